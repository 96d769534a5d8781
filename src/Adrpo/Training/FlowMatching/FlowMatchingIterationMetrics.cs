namespace Adrpo.Training.FlowMatching;

/// <summary>What one training iteration of <see cref="AdrpoFlowMatchingTrainer"/> measured.</summary>
public sealed record FlowMatchingIterationMetrics
{
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

    /// <summary>Mean and range of the clipped advantages.</summary>
    public double AdvantageMean { get; init; }

    /// <summary>Smallest clipped advantage.</summary>
    public double AdvantageMin { get; init; }

    /// <summary>Largest clipped advantage.</summary>
    public double AdvantageMax { get; init; }

    /// <summary>Mean per-sample divergence coefficient beta_i (ADRPO: beta0 - A_i; ORW: alpha; else 0).</summary>
    public double BetaMean { get; init; }

    /// <summary>Smallest beta_i.</summary>
    public double BetaMin { get; init; }

    /// <summary>Largest beta_i.</summary>
    public double BetaMax { get; init; }

    /// <summary>W2 divergence estimate E|v - v_ref|^2 on this iteration's training points (per element).</summary>
    public double W2 { get; init; }

    /// <summary>Mean pairwise L2 distance between samples of the same prompt (in [-1, 1] pixel units).</summary>
    public double Diversity { get; init; }

    /// <summary>Total loss of the last update.</summary>
    public double Loss { get; init; }

    /// <summary>Matching (CFM or DPO) part of the loss.</summary>
    public double MatchingLoss { get; init; }

    /// <summary>Divergence part of the loss.</summary>
    public double RegularizationLoss { get; init; }

    /// <summary>Learning rate used.</summary>
    public double LearningRate { get; init; }

    /// <summary>Gradient steps skipped in this iteration because the loss or gradient norm was NaN or infinite.</summary>
    public int SkippedSteps { get; init; }

    /// <summary>Wall time of the iteration in seconds.</summary>
    public double Seconds { get; init; }
}
