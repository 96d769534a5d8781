using static TorchSharp.torch;

namespace Adrpo.Training.Checkpoints;

/// <summary>
/// The resumable state both training loops share, in one place: the iteration, the run's seeded generator (prompt
/// draws; for flow matching also x0, t and ODE noise), and the metrics so far. The weights, the optimizer and any
/// further generator live with the loop; <see cref="LoopCheckpoint"/> saves all of them together.
/// </summary>
/// <typeparam name="TMetrics">The track's per-iteration metrics record.</typeparam>
internal sealed class TrainingState<TMetrics>
{
    public TrainingState(int seed)
    {
        Seed = seed;
        Random = new Generator((ulong)(uint)seed);
    }

    /// <summary>The run's seed.</summary>
    public int Seed { get; }

    /// <summary>Completed iterations.</summary>
    public int Iteration { get; set; }

    /// <summary>The run's main random stream (saved and restored with <c>get_state</c>/<c>set_state</c>).</summary>
    public Generator Random { get; }

    /// <summary>Metrics of every completed iteration.</summary>
    public List<TMetrics> Metrics { get; } = new();
}
