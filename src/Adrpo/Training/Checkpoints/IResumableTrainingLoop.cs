using Adrpo.Training.Evaluation;
using static TorchSharp.torch;

namespace Adrpo.Training.Checkpoints;

/// <summary>A training loop that runs one iteration at a time and can save and restore its whole state; disposed when Fit ends.</summary>
/// <typeparam name="TMetrics">The per-iteration metrics record.</typeparam>
internal interface IResumableTrainingLoop<TMetrics> : IDisposable
{
    /// <summary>Completed iterations.</summary>
    int Iteration { get; }

    /// <summary>Metrics of every completed iteration, restored ones included (with evaluation data, first a row of iteration 0); saved with the checkpoint.</summary>
    List<TMetrics> Metrics { get; }

    TMetrics RunIteration(CancellationToken cancellation);

    /// <summary>
    /// Draws <paramref name="samplesPerPrompt"/> samples of each held-out prompt from the current policy, without
    /// gradients and with a generator seeded from <paramref name="seed"/> (never the training streams), and scores them.
    /// </summary>
    HeldOutSamples SampleHeldOut(IReadOnlyList<string> prompts, int samplesPerPrompt, ulong seed);

    /// <summary>The tensors the optimizer trains (all weights, or the LoRA adapters), in a fixed order.</summary>
    IReadOnlyList<Tensor> TrainableParameters();

    void SaveCheckpoint(string path);

    void RestoreCheckpoint(string path);
}
