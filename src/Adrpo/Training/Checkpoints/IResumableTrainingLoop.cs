namespace Adrpo.Training.Checkpoints;

/// <summary>A training loop that runs one iteration at a time and can save and restore its whole state; disposed when Fit ends.</summary>
/// <typeparam name="TMetrics">The per-iteration metrics record.</typeparam>
internal interface IResumableTrainingLoop<TMetrics> : IDisposable
{
    /// <summary>Completed iterations.</summary>
    int Iteration { get; }

    /// <summary>Metrics of every completed iteration, restored ones included.</summary>
    IReadOnlyList<TMetrics> Metrics { get; }

    TMetrics RunIteration(CancellationToken cancellation);

    void SaveCheckpoint(string path);

    void RestoreCheckpoint(string path);
}
