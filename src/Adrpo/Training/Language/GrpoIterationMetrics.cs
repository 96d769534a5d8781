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

    // The phase split of Seconds, for the scale benchmark (benchmarks/Adrpo.Benchmarks/Scale.cs). Internal: a
    // diagnostic, kept out of the metrics table (MetricsTable lists public properties) and the public API.

    /// <summary>Seconds spent generating the completions (no autograd, KV cache).</summary>
    internal double SamplingSeconds { get; init; }

    /// <summary>Seconds of the no-grad passes before the update: the reference log-probs and, with more than one
    /// update per iteration, the old-policy log-probs.</summary>
    internal double ReferenceSeconds { get; init; }

    /// <summary>Seconds of every update (forward, loss, backward, clipping, AdamW) of the iteration.</summary>
    internal double UpdateSeconds { get; init; }
}
