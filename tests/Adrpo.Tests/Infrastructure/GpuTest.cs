using TorchSharp;

namespace Adrpo.Tests.Infrastructure;

/// <summary>
/// Tests that need a CUDA device carry <see cref="Category"/> and start with <see cref="RequireCuda"/>: on a machine
/// without CUDA (every CI machine here, which references the CPU backend) they end inconclusive, which VSTest counts as
/// skipped ("NotExecuted" in the TRX), neither passed nor failed. benchmarks/gpu-checks.sh runs them on a GPU machine.
/// </summary>
internal static class GpuTest
{
    /// <summary>The MSTest category of GPU tests (<c>--filter TestCategory=Gpu</c>).</summary>
    public const string Category = "Gpu";

    /// <summary>Ends the test as inconclusive (skipped) unless TorchSharp sees a CUDA device.</summary>
    public static void RequireCuda()
    {
        if (!torch.cuda.is_available())
        {
            Assert.Inconclusive("Skipped: TorchSharp sees no CUDA device (the CPU backend is referenced, or no GPU is present). Run benchmarks/gpu-checks.sh on a GPU machine.");
        }
    }
}
