namespace Adrpo.Training.Checkpoints;

/// <summary>
/// The outer loop both trainers share: resume from the checkpoint if asked, run iterations until done, report each,
/// and save a checkpoint every <c>interval</c> iterations and after the last. Cancellation is checked before every
/// iteration (and by the loops before every gradient step); a <c>stop</c> callback ends training early after an
/// iteration (its checkpoint is written); it never interrupts a checkpoint write, and a write is
/// atomic anyway, so the last checkpoint stays valid.
/// </summary>
internal static class CheckpointedTraining
{
    public static void Run<TMetrics>(
        IResumableTrainingLoop<TMetrics> loop,
        int iterations,
        CheckpointSettings checkpoints,
        CancellationToken cancellation,
        Action<string> log,
        Func<TMetrics, TMetrics> onIteration,
        Func<bool>? stop = null)
    {
        if (checkpoints.Path is not null && checkpoints.Resume && File.Exists(checkpoints.Path))
        {
            loop.RestoreCheckpoint(checkpoints.Path);
            log($"Resumed from checkpoint '{checkpoints.Path}' at iteration {loop.Iteration} of {iterations}.");
        }

        while (loop.Iteration < iterations)
        {
            cancellation.ThrowIfCancellationRequested();
            var metrics = loop.RunIteration(cancellation);
            // The callback may add to the row (a held-out evaluation); the saved metrics hold what it returns.
            loop.Metrics[^1] = onIteration(metrics);
            bool stopping = stop?.Invoke() == true;
            if (checkpoints.Path is not null && (loop.Iteration % checkpoints.Interval == 0 || loop.Iteration == iterations || stopping))
            {
                loop.SaveCheckpoint(checkpoints.Path);
                log($"Checkpoint at iteration {loop.Iteration}: '{checkpoints.Path}'.");
            }

            if (stopping)
            {
                log($"Training stopped at iteration {loop.Iteration} of {iterations}.");
                return;
            }
        }
    }
}
