using System.Runtime.InteropServices;

namespace Adrpo.Reproduction.Results;

/// <summary>The machine a study ran on, for the report: CPU, cores, memory, OS, runtime and TorchSharp versions.</summary>
internal static class MachineDescription
{
    public static IReadOnlyList<string> Lines(int workers)
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : RuntimeInformation.ProcessArchitecture.ToString();
        string memory = File.Exists("/proc/meminfo")
            ? $"{double.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / (1024 * 1024):F1} GiB"
            : "unknown";
        return
        [
            $"CPU: {cpu}, {Environment.ProcessorCount} logical cores; memory {memory}",
            $"OS: {RuntimeInformation.OSDescription}; .NET {Environment.Version}; TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (CPU)",
            $"Parallelism: {workers} worker process(es), each with 1 libtorch thread (ResNet-18 on 1 ONNX Runtime thread, MiniLM at ONNX Runtime's default)",
        ];
    }
}
