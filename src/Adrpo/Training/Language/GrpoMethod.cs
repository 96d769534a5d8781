namespace Adrpo.Training.Language;

/// <summary>The objective of <see cref="AdrpoGrpoTrainer"/>: which divergence coefficient multiplies the KL penalty.</summary>
public enum GrpoMethod
{
    /// <summary>ADRPO-GRPO (eq. 7): the per-completion coefficient beta_i = beta0 - clip(A_i).</summary>
    Adrpo,

    /// <summary>GRPO (eq. 3): the fixed coefficient beta = <see cref="FineTuningOptions{TMetrics}.Beta0"/>.</summary>
    Grpo,
}
