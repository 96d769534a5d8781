// The PyTorch side of torch-vs-pytorch: one long-lived /usr/bin/python3 running benchmarks/python/step_benchmark.py,
// one command line per request, one reply line each, so start-up and imports are outside every timing.
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Adrpo.Benchmarks;

internal sealed class PythonProcess : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private PythonProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts the script, or returns null (and says why) when Debian's python3 with torch is missing.</summary>
    public static PythonProcess? TryStart(out string why)
    {
        string script = Path.Combine(Bench.RepoRoot(), "benchmarks", "python", "step_benchmark.py");
        if (!File.Exists(Python) || !File.Exists(script))
        {
            why = $"{Python} or {script} not found";
            return null;
        }

        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        // OpenBLAS must pick its kernels for this CPU itself (the CI environment pins a core type for other tools).
        info.Environment.Remove("OPENBLAS_CORETYPE");
        info.Environment.Remove("OPENBLAS_L2_SIZE");
        info.Environment.Remove("LD_PRELOAD");   // a preload meant for libtorch's MKL (see benchmarks/README.md) stays on this side
        var process = Process.Start(info)!;
        var python = new PythonProcess(process);
        try
        {
            python.Send("threads 1");
            why = string.Empty;
            return python;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            why = e.Message;
            python.Dispose();
            return null;
        }
    }

    /// <summary>Sends one command and returns the text after "ok".</summary>
    public string Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        string? reply = _process.StandardOutput.ReadLine();
        if (reply is null || !reply.StartsWith("ok", StringComparison.Ordinal))
        {
            Thread.Sleep(200);   // let the error reader catch up
            string err;
            lock (_stderr)
            {
                err = _stderr.ToString().Trim();
            }

            throw new InvalidOperationException($"python ('{command}'): {reply ?? "no reply (the process ended)"} {err}");
        }

        return reply.Length > 3 ? reply[3..] : string.Empty;
    }

    /// <summary>Runs <paramref name="steps"/> steps of case <paramref name="name"/>: per-step and per-phase milliseconds
    /// (wall), and the per-phase milliseconds of the thread's CPU time.</summary>
    public (List<double> Steps, List<double>[] Phases, List<double>[] CpuPhases) RunTimed(string name, int steps)
    {
        using var doc = JsonDocument.Parse(Send($"run {name} {steps}"));
        var root = doc.RootElement;
        List<double>[] Lists(string key) => root.GetProperty(key).EnumerateArray().Select(p => p.EnumerateArray().Select(e => e.GetDouble()).ToList()).ToArray();
        return (root.GetProperty("steps").EnumerateArray().Select(e => e.GetDouble()).ToList(), Lists("phases"), Lists("cpu_phases"));
    }

    /// <summary>Runs <paramref name="steps"/> steps of case <paramref name="name"/>: per-step and per-phase milliseconds.</summary>
    public (List<double> Steps, List<double>[] Phases) Run(string name, int steps)
    {
        using var doc = JsonDocument.Parse(Send($"run {name} {steps}"));
        var root = doc.RootElement;
        var times = root.GetProperty("steps").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var phases = root.GetProperty("phases").EnumerateArray().Select(p => p.EnumerateArray().Select(e => e.GetDouble()).ToList()).ToArray();
        return (times, phases);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                }
            }
        }
        catch (IOException)
        {
            // the process is already gone
        }

        _process.Dispose();
    }
}
