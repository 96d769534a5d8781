namespace Adrpo.Rewards;

/// <summary>Rewards of one batch of samples, in the order the samples were given.</summary>
public sealed class RewardBatch
{
    internal RewardBatch(float[] total, IReadOnlyDictionary<string, float[]> perModel, bool[] valid)
    {
        Total = total;
        PerModel = perModel;
        Valid = valid;
        InvalidCount = valid.Count(v => !v);
    }

    /// <summary>Number of samples.</summary>
    public int Count => Total.Length;

    /// <summary>Sum over reward models of weight x score; NaN where <see cref="Valid"/> is false.</summary>
    public float[] Total { get; }

    /// <summary>Each model's raw (unweighted) score per sample, by model name.</summary>
    public IReadOnlyDictionary<string, float[]> PerModel { get; }

    /// <summary>False where some model's score is NaN or infinite, or the weighted sum overflows.</summary>
    public bool[] Valid { get; }

    /// <summary>Number of samples whose reward is invalid; trainers should drop or zero them, not train on NaN.</summary>
    public int InvalidCount { get; }

    /// <summary>
    /// Throws when no sample has a valid reward, naming each model with its count of non-finite scores, so a user
    /// can tell which reward transformer to fix.
    /// </summary>
    /// <param name="iteration">1-based training iteration, for the message.</param>
    internal void RequireSomeValid(int iteration)
    {
        if (InvalidCount < Count)
        {
            return;
        }

        var culprits = PerModel
            .Select((kv, index) => (Index: index, kv.Key, Bad: kv.Value.Count(v => !float.IsFinite(v))))
            .Select(m => m.Bad > 0
                ? $"reward model {m.Index} ('{m.Key}') returned {m.Bad} of {Count} non-finite scores"
                : $"reward model {m.Index} ('{m.Key}') returned finite scores");
        throw new InvalidOperationException(
            $"Iteration {iteration}: every reward was NaN or infinite ({string.Join("; ", culprits)}); expected finite scores. " +
            "Check the reward models (a weighted sum can also overflow).");
    }
}
