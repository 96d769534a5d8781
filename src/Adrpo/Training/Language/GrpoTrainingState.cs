using static TorchSharp.torch;

namespace Adrpo.Training.Language;

/// <summary>
/// The resumable state of a GRPO run in one place: iteration, the seeded generator behind every prompt draw, and
/// the metrics so far (weights, optimizer and the sampler's generator live with the loop and are saved with it).
/// </summary>
internal sealed class GrpoTrainingState
{
    public GrpoTrainingState(int seed)
    {
        Seed = seed;
        Random = new Generator((ulong)(uint)seed);
    }

    public int Seed { get; }

    public int Iteration { get; set; }

    public Generator Random { get; }

    public List<GrpoIterationMetrics> Metrics { get; } = new();
}
