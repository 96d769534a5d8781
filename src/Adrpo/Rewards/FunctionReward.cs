namespace Adrpo.Rewards;

/// <summary>
/// A reward written in C#: it scores in-memory <see cref="RewardSample"/>s directly, without an <c>IDataView</c>.
/// A null or NaN score means "not applicable to this sample" (see <see cref="RewardScorer"/>).
/// </summary>
internal abstract class FunctionReward
{
    protected FunctionReward(IEnumerable<string>? columns)
    {
        var names = (columns ?? Array.Empty<string>()).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(names[i]))
            {
                throw new ArgumentException($"columns[{i}] is {(names[i] is null ? "null" : "blank")}; list the names of the dataset columns the reward reads.", nameof(columns));
            }
        }

        Columns = names.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The dataset columns the function says it reads; checked against the data before training.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>A synchronous function of a whole batch.</summary>
    public static FunctionReward Synchronous(Func<IReadOnlyList<RewardSample>, float?[]> score, IEnumerable<string>? columns) => new SynchronousReward(score, columns);

    /// <summary>Scores the samples, one score (or null) per sample in order; a result of another length is the caller's
    /// error to report.</summary>
    /// <param name="samples">The batch.</param>
    /// <param name="describe">The reward's name for messages, e.g. "reward model 1 ('judge')".</param>
    public abstract float?[] Score(IReadOnlyList<RewardSample> samples, string describe);

    private sealed class SynchronousReward : FunctionReward
    {
        private readonly Func<IReadOnlyList<RewardSample>, float?[]> _score;

        public SynchronousReward(Func<IReadOnlyList<RewardSample>, float?[]> score, IEnumerable<string>? columns)
            : base(columns) => _score = score;

        public override float?[] Score(IReadOnlyList<RewardSample> samples, string describe) => _score(samples);
    }
}
