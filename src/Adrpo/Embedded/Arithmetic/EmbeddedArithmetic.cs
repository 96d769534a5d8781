using System.Globalization;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using Adrpo.Text.Tokenization;
using Microsoft.ML;

namespace Adrpo.Embedded.Arithmetic;

/// <summary>
/// The embedded verifiable task of the language-model track: arithmetic word problems (two- and three-number sums
/// and differences, "Tom has 17 apples and buys 5 more, then gives away 8. How many apples does he have?") with a
/// fixed train / held-out split, and a tiny Qwen3-shaped model pre-trained on worked solutions until it solves only
/// part of the held-out problems when sampled at temperature 1, so RL with an exact-answer reward has headroom. The
/// model answers with its working then a last line, e.g. <c>17 + 5 = 22, 22 - 8 = 14. Answer: 14</c>. Its weights
/// and tokenizer are shipped inside the Adrpo assembly (reproduced by <c>samples/Adrpo.Samples.BuildArithmeticModel</c>)
/// and extracted to a cache folder on first use.
/// </summary>
public static class EmbeddedArithmetic
{
    /// <summary>The files of the embedded folder: a Hugging Face checkpoint with its tokenizer.</summary>
    public static IReadOnlyList<string> Files { get; } = new[]
    {
        "config.json", "model.safetensors", HuggingFaceTokenizer.TokenizerFileName, HuggingFaceTokenizer.ConfigFileName,
    };

    private const string ResourcePrefix = "Adrpo.Embedded.Arithmetic.Weights.";

    /// <summary>The 2,000 fixed training problems as an <see cref="IDataView"/> with the text columns <c>Prompt</c>
    /// (the question) and <c>Answer</c> (the final number, e.g. "14").</summary>
    /// <param name="context">The ML.NET context that loads the rows.</param>
    public static IDataView LoadTrainData(MLContext context) => Load(context, ArithmeticProblems.Train);

    /// <summary>The 500 fixed held-out problems (their arithmetic never appears in training, in any wording), with
    /// the same columns as <see cref="LoadTrainData"/>.</summary>
    /// <param name="context">The ML.NET context that loads the rows.</param>
    public static IDataView LoadTestData(MLContext context) => Load(context, ArithmeticProblems.Test);

    /// <summary>Extracts (once per assembly version) and returns the folder holding the embedded files.</summary>
    /// <param name="cacheRoot">Destination folder; null uses <c>LocalApplicationData/adrpo/arithmetic/{version}</c>.</param>
    public static string ExtractWeights(string? cacheRoot = null) =>
        EmbeddedResourceFolder.Extract(ResourcePrefix, Files, "arithmetic", cacheRoot, "samples/Adrpo.Samples.BuildArithmeticModel");

    /// <summary>The pre-trained model (a fresh copy each call: fine-tuning changes it), with strict key and shape checks.</summary>
    /// <param name="cacheRoot">See <see cref="ExtractWeights"/>.</param>
    public static QwenForCausalLM LoadModel(string? cacheRoot = null) => QwenForCausalLM.FromPretrained(ExtractWeights(cacheRoot));

    /// <summary>The model's tokenizer (ChatML special tokens, eos <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|endoftext|&gt;</c>).</summary>
    /// <param name="cacheRoot">See <see cref="ExtractWeights"/>.</param>
    public static HuggingFaceTokenizer LoadTokenizer(string? cacheRoot = null) => HuggingFaceTokenizer.FromPretrained(ExtractWeights(cacheRoot));

    private static IDataView Load(MLContext context, IReadOnlyList<ArithmeticProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Data.LoadFromEnumerable(problems.Select(p => new ProblemRow { Prompt = p.Prompt, Answer = p.Answer.ToString(CultureInfo.InvariantCulture) }));
    }

    /// <summary>One row of the task's data views.</summary>
    private sealed class ProblemRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Answer { get; set; } = string.Empty;
    }
}
