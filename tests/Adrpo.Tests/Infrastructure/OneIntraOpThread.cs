using TorchSharp;

namespace Adrpo.Tests.Infrastructure;

/// <summary>
/// Runs libtorch on one intra-op thread until disposed. Tests that compare results bit for bit across runs use it:
/// with several threads, the BLAS inside libtorch may pick its thread count per call from the machine's load
/// (MKL's dynamic threading), which changes the summation order of large matrix products in the last bits.
/// On a loaded 2-core machine it is also faster than two contending threads.
/// </summary>
internal sealed class OneIntraOpThread : IDisposable
{
    private readonly int _threads = torch.get_num_threads();

    public OneIntraOpThread() => torch.set_num_threads(1);

    public void Dispose() => torch.set_num_threads(_threads);
}
