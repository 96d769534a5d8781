namespace Adrpo.Losses.Language;

/// <summary>Settings of <see cref="GrpoLoss"/>.</summary>
internal sealed record GrpoLossSettings
{
    /// <summary>Lower ratio clip width; default 0.2 (GRPO/PPO).</summary>
    public double EpsilonLow { get; init; } = 0.2;

    /// <summary>Upper ratio clip width; default 0.2 (set higher, e.g. 0.28, for DAPO's clip-higher).</summary>
    public double EpsilonHigh { get; init; } = 0.2;

    /// <summary>Per-token reduction; default <see cref="LossAggregation.Grpo"/>.</summary>
    public LossAggregation Aggregation { get; init; } = LossAggregation.Grpo;

    /// <summary>Dr. GRPO's constant completion length; null means the mask's token dimension.</summary>
    public long? MaxCompletionLength { get; init; }

    /// <summary>DAPO's normaliser (completion tokens in the whole generation batch); null means this batch's.</summary>
    public double? GlobalTokenCount { get; init; }

    /// <summary>Rows of the whole batch when the loss is computed on one micro-batch of it: GRPO's mean over sequences
    /// and Dr. GRPO's batch x length then divide by it, so that the micro-batches' losses add up to the whole batch's
    /// loss. Null means the rows of this tensor.</summary>
    public long? BatchRows { get; init; }
}
