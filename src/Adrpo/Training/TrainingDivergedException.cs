namespace Adrpo.Training;

/// <summary>
/// Training stopped because too many consecutive gradient steps had a NaN or infinite loss or gradient norm.
/// No non-finite update was applied, and the last checkpoint (if checkpoints are on) is intact: lower the learning
/// rate, check the reward models, then resume from it.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception for the iteration (1-based) in which the limit was reached.</summary>
    public TrainingDivergedException(int iteration, int consecutiveSkippedSteps)
        : base($"Training diverged in iteration {iteration}: {consecutiveSkippedSteps} consecutive steps had a NaN or infinite loss or gradient norm (option MaxConsecutiveSkippedSteps). " +
               "No non-finite update was applied and the last checkpoint, if any, is intact; lower LearningRate or check the reward models, then resume.")
    {
        Iteration = iteration;
        ConsecutiveSkippedSteps = consecutiveSkippedSteps;
    }

    /// <summary>The iteration (1-based) in which training stopped.</summary>
    public int Iteration { get; }

    /// <summary>How many steps in a row were skipped.</summary>
    public int ConsecutiveSkippedSteps { get; }
}
