namespace Adrpo.Training.FlowMatching;

/// <summary>What one training iteration of <see cref="AdrpoFlowMatchingTrainer"/> measured.</summary>
public sealed record FlowMatchingIterationMetrics : IterationMetrics
{
    /// <summary>Smallest clipped advantage.</summary>
    public double AdvantageMin { get; init; }

    /// <summary>Largest clipped advantage.</summary>
    public double AdvantageMax { get; init; }

    /// <summary>W2 divergence estimate E|v - v_ref|^2 on this iteration's training points (per element); for Flow-GRPO, of the guided velocities on the trained SDE steps.</summary>
    public double W2 { get; init; }

    /// <summary>Mean pairwise L2 distance between samples of the same prompt (in [-1, 1] pixel units).</summary>
    public double Diversity { get; init; }

    /// <summary>Matching (CFM or DPO) part of the loss; Flow-GRPO's clipped surrogate.</summary>
    public double MatchingLoss { get; init; }

    /// <summary>Divergence part of the loss; Flow-GRPO's Beta0 times the mean per-element KL to the reference step.</summary>
    public double RegularizationLoss { get; init; }
}
