using Adrpo.Validation;
using Microsoft.ML;

namespace Adrpo.Rewards;

/// <summary>
/// One reward: a fitted ML.NET <see cref="ITransformer"/> (a trained pipeline, an ONNX model applied with
/// <c>ApplyOnnxModel</c>, a <c>CustomMapping</c>, ...) whose score column, times <see cref="Weight"/>, is added to the
/// total reward of each sample. See <see cref="RewardScorer"/> for the input columns it is given.
/// </summary>
public sealed class RewardModel
{
    /// <summary>Creates a reward model.</summary>
    /// <param name="transformer">Fitted transformer; it reads the scorer's prompt and/or sample column.</param>
    /// <param name="weight">Multiplier of its score in the total; any finite value (0 logs the score without using it,
    /// a negative weight makes it a penalty).</param>
    /// <param name="scoreColumnName">Output column holding the score: <c>Single</c>, or a <c>Single</c> vector of length 1.</param>
    /// <param name="name">Name used in <see cref="RewardBatch.PerModel"/> and in error messages; defaults to "reward{index}".</param>
    public RewardModel(ITransformer transformer, double weight = 1.0, string scoreColumnName = "Score", string? name = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        TensorChecks.Finite(weight, nameof(weight));
        if (string.IsNullOrWhiteSpace(scoreColumnName))
        {
            throw new ArgumentException("scoreColumnName must name the transformer's score column.", nameof(scoreColumnName));
        }

        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("name must be null (a default name is used) or contain text.", nameof(name));
        }

        Transformer = transformer;
        Weight = weight;
        ScoreColumnName = scoreColumnName;
        Name = name;
    }

    /// <summary>The fitted transformer that produces the score.</summary>
    public ITransformer Transformer { get; }

    /// <summary>Multiplier of the score in the total reward.</summary>
    public double Weight { get; }

    /// <summary>Name of the output column that holds the score.</summary>
    public string ScoreColumnName { get; }

    /// <summary>Optional name; <see cref="RewardScorer"/> uses "reward{index}" when it is null.</summary>
    public string? Name { get; }
}
