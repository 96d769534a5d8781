namespace Adrpo.Training;

/// <summary>
/// What one training iteration measured, in both trainers: rewards, advantages, the divergence coefficients beta_i
/// (eq. 4), the loss and the step. Each trainer's record adds its own (KL and entropy for the language model, W2 and
/// diversity for flow matching). The metrics <c>DataFrame</c> and CSV have one column per property, these first.
/// </summary>
public abstract record IterationMetrics
{
    // Only the library's two trainers derive from this.
    private protected IterationMetrics()
    {
    }

    /// <summary>1-based iteration number.</summary>
    public int Iteration { get; init; }

    /// <summary>Mean total (weighted) reward of the iteration's valid samples.</summary>
    public double RewardMean { get; init; }

    /// <summary>Standard deviation of the total reward.</summary>
    public double RewardStd { get; init; }

    /// <summary>Mean score of each reward model (unweighted), by reward-model name.</summary>
    public IReadOnlyDictionary<string, double> RewardMeanPerModel { get; init; } = new Dictionary<string, double>();

    /// <summary>Samples whose reward was NaN or infinite (excluded from the update).</summary>
    public int InvalidRewards { get; init; }

    /// <summary>Mean clipped advantage (about 0 by construction; the clip is the coefficient's, eq. 4).</summary>
    public double AdvantageMean { get; init; }

    /// <summary>Mean per-sample divergence coefficient beta_i (ADRPO: beta0 - A_i; ORW: alpha; else 0).</summary>
    public double BetaMean { get; init; }

    /// <summary>Smallest beta_i.</summary>
    public double BetaMin { get; init; }

    /// <summary>Largest beta_i.</summary>
    public double BetaMax { get; init; }

    /// <summary>Total loss of the last update.</summary>
    public double Loss { get; init; }

    /// <summary>Learning rate used.</summary>
    public double LearningRate { get; init; }

    /// <summary>Gradient steps skipped in this iteration because the loss or gradient norm was NaN or infinite.</summary>
    public int SkippedSteps { get; init; }

    /// <summary>Wall time of the iteration in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// Mean total (weighted) reward of the held-out evaluation after this iteration
    /// (<see cref="FineTuningOptions{TMetrics}.EvaluationData"/>); NaN in iterations without an evaluation. With
    /// evaluation data the metrics start with a row of iteration 0: the held-out reward of the model before training,
    /// every training column NaN. Null in iterations without an evaluation (NaN in the <c>DataFrame</c> and CSV).
    /// </summary>
    public double? HeldOutRewardMean { get; init; }

    /// <summary>Held-out mean raw score of each reward model, by name; empty in iterations without an evaluation.</summary>
    public IReadOnlyDictionary<string, double> HeldOutRewardMeanPerModel { get; init; } = new Dictionary<string, double>();
}
