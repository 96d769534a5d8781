namespace Adrpo.Losses.Language;

/// <summary>How per-token losses are reduced to one number (TRL's <c>loss_type</c>).</summary>
public enum LossAggregation
{
    /// <summary>Mean over each sequence's completion tokens, then mean over sequences (GRPO as published).
    /// Long completions get less weight per token.</summary>
    Grpo,

    /// <summary>Sum over all completion tokens of the batch divided by their number (token-level mean). In the GRPO
    /// trainer the batch is the whole generation batch whatever <c>MicroBatchSize</c> is (TRL's <c>bnpo</c> under
    /// gradient accumulation averages each micro-batch's own mean instead), so there it equals <see cref="Dapo"/>.</summary>
    Bnpo,

    /// <summary>Dr. GRPO: sum over all completion tokens divided by batch size x maximum completion length,
    /// a constant, so no length bias.</summary>
    DrGrpo,

    /// <summary>DAPO: sum over the tokens divided by the number of completion tokens of the whole generation
    /// batch (which may be split into several optimisation micro-batches; TRL's <c>num_items_in_batch</c>).</summary>
    Dapo,
}
