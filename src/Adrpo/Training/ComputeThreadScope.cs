using TorchSharp;

namespace Adrpo.Training;

/// <summary>
/// Sets libtorch's intra-op thread count (process-global, <c>torch.set_num_threads</c>) for one Fit or one generation
/// batch and puts the previous value back on dispose, so a caller that chose its own thread count finds it unchanged.
/// </summary>
/// <remarks>
/// The count is process-global: two Fits running at once on different threads of one process share it, and the last
/// to start wins until it ends. That is libtorch's limit, not this type's.
/// </remarks>
internal sealed class ComputeThreadScope : IDisposable
{
    private readonly int _previous;
    private bool _disposed;

    private ComputeThreadScope(int threads)
    {
        _previous = torch.get_num_threads();
        Threads = threads;
        if (threads != _previous)
        {
            torch.set_num_threads(threads);
        }
    }

    /// <summary>The thread count in force inside the scope.</summary>
    public int Threads { get; }

    /// <summary>
    /// The thread count that 0 (automatic) stands for: half the processors the process may use, at least one.
    /// Measured on a 2-core machine (benchmarks/README.md, "ComputeThreads' default"): for the embedded models two
    /// libtorch threads were 13-24% faster than one when the machine was idle, but 1.5-1.8x slower with one other
    /// busy process and 3-6x slower on a shared machine (libtorch's worker threads spin-wait for a core another
    /// process holds); the metrics were identical. Half the cores bounds that loss and leaves room for the reward
    /// model, the OS and other processes. Larger machines were not measured; set the option there.
    /// </summary>
    public static int Automatic => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>The thread count for an option value: 0 = <see cref="Automatic"/>, otherwise the value itself.</summary>
    public static int Resolve(int requested) => requested > 0 ? requested : Automatic;

    /// <summary>Starts a scope with <see cref="Resolve"/>(<paramref name="requested"/>) threads.</summary>
    public static ComputeThreadScope Enter(int requested) => new(Resolve(requested));

    /// <summary>Restores the thread count found when the scope started.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (torch.get_num_threads() != _previous)
        {
            torch.set_num_threads(_previous);
        }
    }
}
