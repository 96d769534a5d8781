using Adrpo.Validation;
using Microsoft.ML;

namespace Adrpo.Rewards;

/// <summary>
/// One reward: a fitted ML.NET <see cref="ITransformer"/> (a trained pipeline, an ONNX model applied with
/// <c>ApplyOnnxModel</c>, a <c>CustomMapping</c>, ...) whose score column, times <see cref="Weight"/>, is added to the
/// total reward of each sample, or a C# function (<c>FromFunction</c>, <c>FromBatchFunction</c>,
/// <c>FromAsyncFunction</c>). See <see cref="RewardScorer"/> for the inputs each is given.
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
    /// <remarks>The function is called once per completion, from one thread at a time, on the scorer's prompt and sample
    /// columns whatever their names. A NaN score means "not applicable to this sample" (see <see cref="RewardScorer"/>).
    /// A function reward has no <see cref="Transformer"/> and is not saved with <c>mlContext.Model.Save</c>.</remarks>
    /// <param name="score">Score of one completion; higher is better.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    public static RewardModel FromFunction(Func<string, string, float> score, double weight = 1.0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return FromFunction(sample => score(sample.Prompt, sample.Completion), weight, name);
    }

    /// <summary>
    /// A reward written as a C# function of the prompt and the generated image (text-to-image), e.g.
    /// <c>RewardModel.FromImageFunction((prompt, image) =&gt; image.Average(), name: "bright")</c>.
    /// </summary>
    /// <remarks>The image is the generator's sample: <c>channels * height * width</c> values in [-1, 1], row-major
    /// (CHW). The function is called once per image, from one thread at a time; NaN means "not applicable".</remarks>
    /// <param name="score">Score of one image; higher is better.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    public static RewardModel FromImageFunction(Func<string, float[], float> score, double weight = 1.0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return FromFunction(sample => score(sample.Prompt, sample.Image), weight, name);
    }

    /// <summary>
    /// A reward written as a C# function of one sample, which also sees the training row's other columns, e.g. an
    /// accuracy reward against an <c>Answer</c> column:
    /// <c>RewardModel.FromFunction(s =&gt; s.Completion.Trim() == s["Answer"] ? 1f : 0f, name: "accuracy", columns: ["Answer"])</c>.
    /// </summary>
    /// <remarks>Called once per sample, from one thread at a time. Return null (or NaN) when the reward does not apply
    /// to a sample: that sample's total then leaves this reward out (see <see cref="RewardScorer"/>).</remarks>
    /// <param name="score">Score of one sample; higher is better; null when not applicable.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    /// <param name="columns">Dataset columns the function reads; the trainer checks them against the training data
    /// before training and names any that is missing.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in the delegate's arity, (prompt, completion) or (sample), so a lambda binds to exactly one.")]
    public static RewardModel FromFunction(Func<RewardSample, float?> score, double weight = 1.0, string? name = null, IEnumerable<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new RewardModel(FunctionReward.Synchronous(samples => samples.Select(score).ToArray(), columns), weight, name);
    }

    /// <summary>
    /// A reward written as a C# function of a whole batch of samples (one call per scoring step), e.g.
    /// <c>RewardModel.FromBatchFunction(batch =&gt; Judge(batch), name: "judge")</c>.
    /// </summary>
    /// <remarks>The function returns one score per sample, in order; null (or NaN) where the reward does not apply.</remarks>
    /// <param name="score">Scores of the batch; higher is better.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    /// <param name="columns">Dataset columns the function reads, checked against the training data before training.</param>
    public static RewardModel FromBatchFunction(Func<IReadOnlyList<RewardSample>, float?[]> score, double weight = 1.0, string? name = null, IEnumerable<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new RewardModel(FunctionReward.Synchronous(score, columns), weight, name);
    }

    /// <summary>
    /// A reward computed asynchronously, typically by a remote judge, e.g.
    /// <c>RewardModel.FromAsyncFunction((batch, ct) =&gt; judge.ScoreAsync(batch, ct), new() { MaxConcurrency = 8 }, name: "judge")</c>.
    /// </summary>
    /// <remarks>The samples are sent in batches of <see cref="AsyncRewardOptions.BatchSize"/>, at most
    /// <see cref="AsyncRewardOptions.MaxConcurrency"/> at a time; each call gets a token cancelled at
    /// <see cref="AsyncRewardOptions.Timeout"/>, and a failed or timed-out call is retried
    /// <see cref="AsyncRewardOptions.MaxRetries"/> times before scoring throws an <see cref="InvalidOperationException"/>
    /// naming the reward, the samples and each attempt's error. The function returns one score per sample of its batch,
    /// null (or NaN) where the reward does not apply.</remarks>
    /// <param name="score">Scores of one batch; may be called concurrently.</param>
    /// <param name="options">Batch size, concurrency, timeout and retries; the defaults when null.</param>
    /// <param name="weight">Multiplier of its score in the total (see the constructor).</param>
    /// <param name="name">Name in metrics and messages; "reward{index}" when null.</param>
    /// <param name="columns">Dataset columns the function reads, checked against the training data before training.</param>
    public static RewardModel FromAsyncFunction(Func<IReadOnlyList<RewardSample>, CancellationToken, Task<float?[]>> score, AsyncRewardOptions? options = null, double weight = 1.0, string? name = null, IEnumerable<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new RewardModel(new AsyncFunctionReward(score, (options ?? new AsyncRewardOptions()).Validated(), columns), weight, name);
    }

    /// <summary>The fitted transformer that produces the score; null for a reward written as a C# function
    /// (<see cref="FromFunction(Func{RewardSample, float?}, double, string?, IEnumerable{string}?)"/> and its siblings).</summary>
    public ITransformer? Transformer { get; }

    /// <summary>The C# function behind a function reward; null for a transformer reward.</summary>
    internal FunctionReward? Function { get; }

    /// <summary>Multiplier of the score in the total reward.</summary>
    public double Weight { get; }

    /// <summary>Name of the output column that holds the score.</summary>
    public string ScoreColumnName { get; }

    /// <summary>Optional name; <see cref="RewardScorer"/> uses "reward{index}" when it is null.</summary>
    public string? Name { get; }

    private RewardModel(FunctionReward function, double weight, string? name)
    {
        TensorChecks.Finite(weight, nameof(weight));
        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("name must be null (a default name is used) or contain text.", nameof(name));
        }

        Function = function;
        Weight = weight;
        ScoreColumnName = "Score";
        Name = name;
    }
}
