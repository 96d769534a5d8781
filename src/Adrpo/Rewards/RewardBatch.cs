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
}
