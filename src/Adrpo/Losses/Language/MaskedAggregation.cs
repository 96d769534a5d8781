using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>Reduces a [batch, tokens] per-token quantity over the completion-token mask.</summary>
internal static class MaskedAggregation
{
    /// <summary>Reduces <paramref name="perToken"/> as <paramref name="mode"/> says; see <see cref="LossAggregation"/>.</summary>
    /// <param name="perToken">[batch, tokens] values.</param>
    /// <param name="mask">[batch, tokens] 1 on completion tokens, 0 on prompt and padding.</param>
    /// <param name="mode">Reduction.</param>
    /// <param name="maxCompletionLength">DrGrpo's constant length; defaults to the mask's token dimension.</param>
    /// <param name="globalTokenCount">Dapo's normaliser: completion tokens in the whole generation batch;
    /// defaults to the tokens in <paramref name="mask"/>.</param>
    /// <param name="batchRows">Rows of the whole batch when <paramref name="perToken"/> is one micro-batch of it
    /// (Grpo's mean over sequences and DrGrpo's batch x length use it, so micro-batch results add up to the whole
    /// batch's); defaults to the rows of <paramref name="perToken"/>.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Reduce(Tensor perToken, Tensor mask, LossAggregation mode, long? maxCompletionLength = null, double? globalTokenCount = null, long? batchRows = null)
    {
        TensorChecks.Rank(perToken, 2, nameof(perToken), "[batch, tokens]");
        TensorChecks.SameShape(mask, nameof(mask), perToken, nameof(perToken));
        if (maxCompletionLength is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxCompletionLength), maxCompletionLength, "maxCompletionLength must be at least 1.");
        }

        if (globalTokenCount is not null && !(globalTokenCount > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(globalTokenCount), globalTokenCount, "globalTokenCount must be positive.");
        }

        if (batchRows is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchRows), batchRows, "batchRows must be at least 1.");
        }

        using var scope = NewDisposeScope();
        var m = mask.to_type(perToken.dtype);
        var masked = perToken * m;
        Tensor result = mode switch
        {
            LossAggregation.Grpo => batchRows is long rows ? (masked.sum(1) / m.sum(1).clamp_min(1)).sum() / rows : (masked.sum(1) / m.sum(1).clamp_min(1)).mean(),
            LossAggregation.Bnpo => masked.sum() / m.sum().clamp_min(1),
            LossAggregation.DrGrpo => masked.sum() / ((batchRows ?? perToken.shape[0]) * (double)(maxCompletionLength ?? perToken.shape[1])),
            LossAggregation.Dapo => globalTokenCount is double n ? masked.sum() / n : masked.sum() / m.sum().clamp_min(1),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown LossAggregation."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Token-level mean over the mask, for metrics (KL, entropy, clip ratio).</summary>
    public static Tensor Mean(Tensor perToken, Tensor mask) => Reduce(perToken, mask, LossAggregation.Bnpo);
}
