using Adrpo.Rewards;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// Wraps a <see cref="MatchScorer"/> as an ordinary ML.NET transformer (a <c>CustomMapping</c>) that reads the
/// "Prompt" and "Image" columns and writes a Single "Score" column: the same kind of reward model a user plugs in.
/// </summary>
public static class MatchRewardMapping
{
    /// <summary>Builds the reward transformer and its <see cref="RewardModel"/> entry.</summary>
    public static RewardModel Create(MLContext context, MatchScorer scorer, double weight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(scorer);
        var estimator = context.Transforms.CustomMapping<MatchInput, MatchOutput>(
            (input, output) => output.Score = scorer.Score(new[] { input.Prompt }, new[] { input.Image })[0],
            contractName: null);
        var transformer = estimator.Fit(context.Data.LoadFromEnumerable(new List<MatchInput>()));
        return new RewardModel(transformer, weight, "Score", "minidrawbench-match");
    }

    /// <summary>Input row of the mapping.</summary>
    internal sealed class MatchInput
    {
        /// <summary>Prompt text.</summary>
        public string Prompt { get; set; } = string.Empty;

        /// <summary>Generated image, CHW in [-1, 1].</summary>
        [VectorType(3, 32, 32)]
        public float[] Image { get; set; } = Array.Empty<float>();
    }

    /// <summary>Output row of the mapping.</summary>
    internal sealed class MatchOutput
    {
        /// <summary>P(image matches prompt).</summary>
        public float Score { get; set; }
    }
}
