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

    /// <summary>
    /// A reward written as a C# function of the prompt and the completion (language models), e.g.
    /// <c>RewardModel.FromFunction((prompt, completion) =&gt; completion.Length &lt;= 40 ? 1f : 0f, name: "short")</c>.
    /// </summary>
    /// <remarks>Built as an ML.NET <c>CustomMapping</c> that reads the columns <c>Prompt</c> and <c>Completion</c> (the
    /// trainer's defaults) and writes <c>Score</c>, so it takes the same path as any other reward transformer. The function
    /// is called once per completion, from one thread at a time; a NaN or infinite score marks the sample invalid (see
    /// <see cref="RewardScorer"/>). Such a model cannot be saved with <c>mlContext.Model.Save</c>.</remarks>
    /// <param name="score">Score of one completion; higher is better.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    public static RewardModel FromFunction(Func<string, string, float> score, double weight = 1.0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return FromMapping<PromptCompletionRow>((row, output) => output.Score = score(row.Prompt, row.Completion), weight, name);
    }

    /// <summary>
    /// A reward written as a C# function of the prompt and the generated image (text-to-image), e.g.
    /// <c>RewardModel.FromImageFunction((prompt, image) =&gt; image.Average(), name: "bright")</c>.
    /// </summary>
    /// <remarks>Built as an ML.NET <c>CustomMapping</c> that reads the columns <c>Prompt</c> and <c>Image</c> (the
    /// trainer's defaults) and writes <c>Score</c>. The image is the generator's sample: <c>channels * height * width</c>
    /// values in [-1, 1], row-major (CHW). The function is called once per image, from one thread at a time.</remarks>
    /// <param name="score">Score of one image; higher is better.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    public static RewardModel FromImageFunction(Func<string, float[], float> score, double weight = 1.0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return FromMapping<PromptImageRow>((row, output) => output.Score = score(row.Prompt, row.Image), weight, name);
    }

    /// <summary>The fitted transformer that produces the score.</summary>
    public ITransformer Transformer { get; }

    /// <summary>Multiplier of the score in the total reward.</summary>
    public double Weight { get; }

    /// <summary>Name of the output column that holds the score.</summary>
    public string ScoreColumnName { get; }

    /// <summary>Optional name; <see cref="RewardScorer"/> uses "reward{index}" when it is null.</summary>
    public string? Name { get; }

    private static RewardModel FromMapping<TRow>(Action<TRow, FunctionScoreRow> map, double weight, string? name)
        where TRow : class, new()
    {
        // A CustomMapping keeps no state, so fitting it on an empty view of its input type is all it needs.
        var context = new MLContext();
        var transformer = context.Transforms.CustomMapping(map, contractName: null).Fit(context.Data.LoadFromEnumerable(Array.Empty<TRow>()));
        return new RewardModel(transformer, weight, "Score", name);
    }
}
