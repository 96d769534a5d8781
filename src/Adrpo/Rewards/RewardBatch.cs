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

    /// <summary>Sum over the reward models that apply to each sample of weight x score; NaN where <see cref="Valid"/>
    /// is false.</summary>
    public float[] Total { get; }

    /// <summary>Each model's raw (unweighted) score per sample, by model name; NaN where the model returned null or NaN
    /// ("not applicable to this sample").</summary>
    public IReadOnlyDictionary<string, float[]> PerModel { get; }

    /// <summary>False where no model applies to the sample (every score null or NaN), some model's score is infinite,
    /// or the weighted sum overflows.</summary>
    public bool[] Valid { get; }

    /// <summary>Number of samples whose reward is invalid; trainers should drop or zero them, not train on NaN.</summary>
    public int InvalidCount { get; }

    /// <summary>
    /// A warning for a batch where some model did not apply to some samples (null or NaN, left out of those samples'
    /// weighted sums) or some rewards were invalid (those samples left out of the update), naming each reward model with
    /// its counts; null when every model applied to every sample and every reward is valid.
    /// </summary>
    /// <param name="where">What the batch was, for the message, e.g. "Iteration 3".</param>
    internal string? DescribeExcluded(string where)
    {
        var notApplicable = PerModel
            .Select((kv, index) => (Index: index, kv.Key, Count: kv.Value.Count(float.IsNaN)))
            .Where(m => m.Count > 0)
            .Select(m => $"reward model {m.Index} ('{m.Key}') was not applicable to {m.Count} of {Count} samples (null or NaN)")
            .ToList();
        if (InvalidCount == 0 && notApplicable.Count == 0)
        {
            return null;
        }

        string applicability = notApplicable.Count == 0
            ? string.Empty
            : $" {string.Join("; ", notApplicable)}; such a score is left out of its sample's weighted sum.";
        if (InvalidCount == 0)
        {
            return $"{where}:{applicability}";
        }

        var parts = PerModel
            .Select((kv, index) => (Index: index, kv.Key, Bad: kv.Value.Count(float.IsInfinity)))
            .Where(m => m.Bad > 0)
            .Select(m => $"reward model {m.Index} ('{m.Key}') returned {m.Bad} infinite score(s)")
            .ToList();
        int noneApplies = Enumerable.Range(0, Count).Count(i => PerModel.Values.All(scores => float.IsNaN(scores[i])));
        if (noneApplies > 0)
        {
            parts.Add($"no reward model applied to {noneApplies} sample(s)");
        }

        int overflowed = Enumerable.Range(0, Count).Count(i => !Valid[i]
            && PerModel.Values.All(scores => !float.IsInfinity(scores[i]))
            && PerModel.Values.Any(scores => !float.IsNaN(scores[i])));
        if (overflowed > 0)
        {
            parts.Add($"{overflowed} weighted sum(s) overflowed");
        }

        return $"{where}: {InvalidCount} of {Count} rewards were invalid ({string.Join("; ", parts)}); " +
            $"those samples were left out of this update.{applicability} Check the reward models.";
    }

    /// <summary>
    /// Throws when no sample has a valid reward, naming each model with its counts of inapplicable (null or NaN) and
    /// infinite scores, so a user can tell which reward to fix.
    /// </summary>
    /// <param name="iteration">1-based training iteration, for the message.</param>
    internal void RequireSomeValid(int iteration)
    {
        if (InvalidCount < Count)
        {
            return;
        }

        var culprits = PerModel
            .Select((kv, index) => (Index: index, kv.Key, NaN: kv.Value.Count(float.IsNaN), Inf: kv.Value.Count(float.IsInfinity)))
            .Select(m => (m.NaN, m.Inf) switch
            {
                (0, 0) => $"reward model {m.Index} ('{m.Key}') returned finite scores",
                (_, 0) => $"reward model {m.Index} ('{m.Key}') returned {m.NaN} of {Count} null or NaN scores (not applicable)",
                (0, _) => $"reward model {m.Index} ('{m.Key}') returned {m.Inf} of {Count} infinite scores",
                _ => $"reward model {m.Index} ('{m.Key}') returned {m.NaN} of {Count} null or NaN scores (not applicable) and {m.Inf} infinite ones",
            });
        throw new InvalidOperationException(
            $"Iteration {iteration}: every reward was invalid ({string.Join("; ", culprits)}); expected each sample to get a finite score " +
            "from at least one reward model. Check the reward models (null or NaN means 'not applicable'; a weighted sum can also overflow).");
    }
}
