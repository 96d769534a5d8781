namespace Adrpo.Losses.Language;

/// <summary>How per-token losses are reduced to one number (TRL's <c>loss_type</c>).</summary>
public enum LossAggregation
{
    /// <summary>Mean over each sequence's completion tokens, then mean over sequences (GRPO as published).
    /// Long completions get less weight per token.</summary>
    Grpo,

    /// <summary>Sum over all completion tokens of the batch divided by their number (token-level mean).</summary>
    Bnpo,

    /// <summary>Dr. GRPO: sum over all completion tokens divided by batch size x maximum completion length,
    /// a constant, so no length bias.</summary>
    DrGrpo,

    /// <summary>DAPO: sum over the tokens divided by the number of completion tokens of the whole generation
    /// batch (which may be split into several optimisation micro-batches).</summary>
    Dapo,
}
