namespace Adrpo.Training.Language;

/// <summary>What one training iteration of <see cref="AdrpoGrpoTrainer"/> measured.</summary>
public sealed record GrpoIterationMetrics : IterationMetrics
{
    /// <summary>Standard deviation of the advantages.</summary>
    public double AdvantageStd { get; init; }

    /// <summary>Token-level mean of the k3 KL estimate to the reference; 0 for GRPO with Beta0 = 0, which computes no reference.</summary>
    public double Kl { get; init; }

    /// <summary>Token-level mean entropy of the policy on its completions (nats).</summary>
    public double Entropy { get; init; }

    /// <summary>Fraction of completion tokens whose ratio was clipped.</summary>
    public double ClipRatio { get; init; }

    /// <summary>Mean completion length in tokens (EOS included).</summary>
    public double CompletionLength { get; init; }

    /// <summary>Generated tokens per second during sampling.</summary>
    public double TokensPerSecond { get; init; }
}
