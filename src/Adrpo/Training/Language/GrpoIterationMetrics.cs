namespace Adrpo.Training.Language;

/// <summary>What one training iteration of <see cref="AdrpoGrpoTrainer"/> measured.</summary>
public sealed record GrpoIterationMetrics
{
    /// <summary>1-based iteration number.</summary>
    public int Iteration { get; init; }

    /// <summary>Mean total (weighted) reward of the valid completions.</summary>
    public double RewardMean { get; init; }

    /// <summary>Standard deviation of the total reward.</summary>
    public double RewardStd { get; init; }

    /// <summary>Mean raw score of each reward model, by name.</summary>
    public IReadOnlyDictionary<string, double> RewardMeanPerModel { get; init; } = new Dictionary<string, double>();

    /// <summary>Completions whose reward was NaN or infinite (excluded from the update).</summary>
    public int InvalidRewards { get; init; }

    /// <summary>Mean advantage (≈ 0 by construction).</summary>
    public double AdvantageMean { get; init; }

    /// <summary>Standard deviation of the advantages.</summary>
    public double AdvantageStd { get; init; }

    /// <summary>Mean per-sample KL coefficient beta_i.</summary>
    public double BetaMean { get; init; }

    /// <summary>Smallest beta_i.</summary>
    public double BetaMin { get; init; }

    /// <summary>Largest beta_i.</summary>
    public double BetaMax { get; init; }

    /// <summary>Token-level mean of the k3 KL estimate to the reference; 0 for GRPO with Beta0 = 0, which computes no reference.</summary>
    public double Kl { get; init; }

    /// <summary>Token-level mean entropy of the policy on its completions (nats).</summary>
    public double Entropy { get; init; }

    /// <summary>Fraction of completion tokens whose ratio was clipped.</summary>
    public double ClipRatio { get; init; }

    /// <summary>Mean completion length in tokens (EOS included).</summary>
    public double CompletionLength { get; init; }

    /// <summary>Total loss of the last update.</summary>
    public double Loss { get; init; }

    /// <summary>Generated tokens per second during sampling.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Learning rate used.</summary>
    public double LearningRate { get; init; }

    /// <summary>Gradient steps skipped in this iteration because the loss or gradient norm was NaN or infinite.</summary>
    public int SkippedSteps { get; init; }

    /// <summary>Wall time of the iteration in seconds.</summary>
    public double Seconds { get; init; }
}
