using Adrpo.Rewards;
using Adrpo.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Embedded.TinyLanguage;

/// <summary>
/// The learned reward of the tiny language track, trained with ML.NET on labelled (prompt, reply) pairs as a
/// preference reward model is: features are all-MiniLM-L6-v2 sentence embeddings, the regressor is SDCA.
/// </summary>
/// <remarks>
/// <para>Features (768 floats): the reply's embedding (style, politeness) and the element-wise product of the
/// prompt's and the reply's embeddings (whose sum is their cosine similarity, so a linear model on it can learn
/// relevance to the prompt). The head, <c>Concatenate → NormalizeMeanVariance → Sdca</c>, is pure ML.NET and is saved
/// with <c>mlContext.Model.Save</c> to <see cref="FileName"/>.</para>
/// <para>The featuriser is a <c>CustomMapping</c> around a live <see cref="MiniLmTextEncoder"/> (an ONNX session), so
/// it is rebuilt in code by <c>Create</c> instead of being saved: the zip holds only the learned part. An
/// empty or whitespace reply is embedded as <see cref="EmptyReplyText"/>.</para>
/// </remarks>
internal static class TinyLanguageReward
{
    /// <summary>File of the saved ML.NET head.</summary>
    public const string FileName = "reward.zip";

    /// <summary>What an empty reply is embedded as (MiniLM needs text).</summary>
    public const string EmptyReplyText = "(no reply)";

    /// <summary>Name of the reward in <see cref="RewardBatch.PerModel"/>.</summary>
    public const string RewardName = "tiny-language-preference";

    /// <summary>Trains the head on labelled examples.</summary>
    /// <param name="context">ML.NET context (its seed fixes SDCA's shuffling).</param>
    /// <param name="encoder">The sentence encoder.</param>
    /// <param name="examples">Labelled (prompt, reply, label) examples.</param>
    /// <returns>The fitted head (reads <see cref="Features.ReplyEmbedding"/> and <see cref="Features.PairProduct"/>,
    /// writes "Score") and the schema to save it with.</returns>
    public static (ITransformer Head, DataViewSchema InputSchema) TrainHead(MLContext context, MiniLmTextEncoder encoder, IReadOnlyList<TinyLanguageExample> examples)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(examples);
        var rows = Featurize(encoder, examples.Select(e => e.Prompt).ToList(), examples.Select(e => e.Reply).ToList())
            .Select((f, i) => new LabelledFeatures { ReplyEmbedding = f.ReplyEmbedding, PairProduct = f.PairProduct, Label = examples[i].Label })
            .ToList();
        var data = context.Data.LoadFromEnumerable(rows);
        var pipeline = context.Transforms.Concatenate("Features", nameof(Features.ReplyEmbedding), nameof(Features.PairProduct))
            .Append(context.Transforms.NormalizeMeanVariance("Features"))
            .Append(context.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features", l2Regularization: 1e-3f, maximumNumberOfIterations: 50));
        var head = pipeline.Fit(data);
        return (head, context.Data.LoadFromEnumerable(new List<Features>()).Schema);
    }

    /// <summary>The embedded learned reward (see <see cref="EmbeddedTinyLanguage.LoadRewardModel"/>).</summary>
    /// <param name="context">ML.NET context.</param>
    /// <param name="encoder">The sentence encoder (kept alive by the caller while the reward is used).</param>
    /// <param name="weight">Weight of the reward in the total.</param>
    /// <param name="cacheRoot">Folder the embedded weights are extracted to; null uses the default cache.</param>
    /// <returns>A reward whose transformer reads "Prompt" and "Completion" (text) and writes a Single "Score".</returns>
    public static RewardModel Create(MLContext context, MiniLmTextEncoder encoder, double weight = 1.0, string? cacheRoot = null) =>
        Create(context, encoder, LoadHead(context, Path.Combine(EmbeddedTinyLanguage.ExtractWeights(cacheRoot), FileName)), weight);

    /// <summary>Builds the reward transformer: the MiniLM featuriser followed by the saved head.</summary>
    /// <param name="context">ML.NET context.</param>
    /// <param name="encoder">The sentence encoder (kept alive by the caller while the reward is used).</param>
    /// <param name="head">The learned head (from <see cref="TrainHead"/> or <see cref="LoadHead"/>).</param>
    /// <param name="weight">Weight of the reward in the total.</param>
    /// <returns>A reward whose transformer reads "Prompt" and "Completion" (text) and writes a Single "Score".</returns>
    public static RewardModel Create(MLContext context, MiniLmTextEncoder encoder, ITransformer head, double weight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(head);
        var featurizer = context.Transforms.CustomMapping<TextInput, Features>(
            (input, output) =>
            {
                var f = Featurize(encoder, new[] { input.Prompt }, new[] { input.Completion })[0];
                output.ReplyEmbedding = f.ReplyEmbedding;
                output.PairProduct = f.PairProduct;
            },
            contractName: null).Fit(context.Data.LoadFromEnumerable(new List<TextInput>()));
        return new RewardModel(new TransformerChain<ITransformer>(featurizer, head), weight, "Score", RewardName);
    }

    /// <summary>Loads a head saved with <see cref="SaveHead"/>.</summary>
    public static ITransformer LoadHead(MLContext context, string path)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Reward model file '{path}' does not exist.", path);
        }

        return context.Model.Load(path, out _);
    }

    /// <summary>Saves a head (an ML.NET zip).</summary>
    public static void SaveHead(MLContext context, ITransformer head, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Model.Save(head, inputSchema, path);
    }

    /// <summary>Scores (prompt, reply) pairs directly, in one batch per call to the encoder.</summary>
    public static float[] Score(MLContext context, MiniLmTextEncoder encoder, ITransformer head, IReadOnlyList<string> prompts, IReadOnlyList<string> replies)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(head);
        var rows = Featurize(encoder, prompts, replies);
        return head.Transform(context.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
    }

    /// <summary>The 2 x 384 features of each (prompt, reply) pair.</summary>
    public static IReadOnlyList<Features> Featurize(MiniLmTextEncoder encoder, IReadOnlyList<string> prompts, IReadOnlyList<string> replies)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(replies);
        if (prompts.Count != replies.Count)
        {
            throw new ArgumentException($"{prompts.Count} prompts but {replies.Count} replies.", nameof(replies));
        }

        if (prompts.Count == 0)
        {
            return Array.Empty<Features>();
        }

        const int d = MiniLmTextEncoder.EmbeddingDimension;
        var texts = prompts.Select(p => string.IsNullOrWhiteSpace(p) ? EmptyReplyText : p)
            .Concat(replies.Select(r => string.IsNullOrWhiteSpace(r) ? EmptyReplyText : r)).ToList();
        using var embeddings = encoder.Encode(texts);
        float[] flat = embeddings.data<float>().ToArray();
        var result = new Features[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            var prompt = flat.AsSpan(i * d, d);
            var reply = flat.AsSpan((prompts.Count + i) * d, d).ToArray();
            var product = new float[d];
            for (int k = 0; k < d; k++)
            {
                product[k] = prompt[k] * reply[k];
            }

            result[i] = new Features { ReplyEmbedding = reply, PairProduct = product };
        }

        return result;
    }

    /// <summary>The text columns the reward reads.</summary>
    public sealed class TextInput
    {
        /// <summary>The prompt.</summary>
        public string Prompt { get; set; } = string.Empty;

        /// <summary>The reply to score.</summary>
        public string Completion { get; set; } = string.Empty;
    }

    /// <summary>The features the head reads.</summary>
    public class Features
    {
        /// <summary>MiniLM embedding of the reply.</summary>
        [VectorType(MiniLmTextEncoder.EmbeddingDimension)]
        public float[] ReplyEmbedding { get; set; } = Array.Empty<float>();

        /// <summary>Element-wise product of the prompt's and the reply's embeddings.</summary>
        [VectorType(MiniLmTextEncoder.EmbeddingDimension)]
        public float[] PairProduct { get; set; } = Array.Empty<float>();
    }

    /// <summary>Features with the label, for training.</summary>
    public sealed class LabelledFeatures : Features
    {
        /// <summary>The preference label in [0, 1].</summary>
        public float Label { get; set; }
    }
}
