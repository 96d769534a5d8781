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
    /// A warning for a batch where some rewards were invalid and those samples were left out, naming each reward model
    /// with its count of non-finite scores (and the overflowed weighted sums); null when every reward is valid.
    /// </summary>
    /// <param name="where">What the batch was, for the message, e.g. "Iteration 3".</param>
    internal string? DescribeExcluded(string where)
    {
        if (InvalidCount == 0)
        {
            return null;
        }

        var parts = PerModel
            .Select((kv, index) => (Index: index, kv.Key, Bad: kv.Value.Count(v => !float.IsFinite(v))))
            .Where(m => m.Bad > 0)
            .Select(m => $"reward model {m.Index} ('{m.Key}') returned {m.Bad} non-finite score(s)")
            .ToList();
        int overflowed = Enumerable.Range(0, Count).Count(i => !Valid[i] && PerModel.Values.All(scores => float.IsFinite(scores[i])));
        if (overflowed > 0)
        {
            parts.Add($"{overflowed} weighted sum(s) overflowed");
        }

        return $"{where}: {InvalidCount} of {Count} rewards were NaN or infinite ({string.Join("; ", parts)}); " +
            "those samples were left out of this update. Check the reward models.";
    }

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
