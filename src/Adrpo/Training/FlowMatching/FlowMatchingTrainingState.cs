using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>
/// Everything a run needs to continue exactly where it stopped, kept in one place: the iteration, the one
/// seeded generator every random draw comes from (prompt choice, x0, t, ODE noise), and the metrics so far.
/// The optimizer and the weights live with the loop and the model; a checkpoint saves all of them together.
/// </summary>
internal sealed class FlowMatchingTrainingState
{
    public FlowMatchingTrainingState(int seed)
    {
        Seed = seed;
        Random = new Generator((ulong)(uint)seed);
    }

    /// <summary>The run's seed.</summary>
    public int Seed { get; }

    /// <summary>Completed iterations.</summary>
    public int Iteration { get; set; }

    /// <summary>The run's only random stream (its state is saved and restored with <c>get_state</c>/<c>set_state</c>).</summary>
    public Generator Random { get; }

    /// <summary>Metrics of every completed iteration.</summary>
    public List<FlowMatchingIterationMetrics> Metrics { get; } = new();
}
