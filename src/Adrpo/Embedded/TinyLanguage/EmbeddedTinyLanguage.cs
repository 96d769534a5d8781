using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Text.Tokenization;
using Microsoft.ML;

namespace Adrpo.Embedded.TinyLanguage;

/// <summary>
/// The embedded default of the language-model track: a tiny Qwen3-shaped causal LM pre-trained on
/// <see cref="TinyLanguageCorpus"/> (it answers helpfully only part of the time, so RL fine-tuning has reward
/// headroom), its byte-level BPE tokenizer, and a reward model learned with ML.NET from labelled replies. All are
/// shipped inside the Adrpo assembly (reproduced by <c>samples/Adrpo.Samples.BuildTinyLanguageModels</c>) and
/// extracted to a cache folder on first use.
/// </summary>
public static class EmbeddedTinyLanguage
{
    /// <summary>The files of the embedded folder: a Hugging Face checkpoint with its tokenizer, and the reward head.</summary>
    public static IReadOnlyList<string> Files { get; } = new[]
    {
        "config.json", "model.safetensors", HuggingFaceTokenizer.TokenizerFileName, HuggingFaceTokenizer.ConfigFileName, TinyLanguageReward.FileName,
    };

    private const string ResourcePrefix = "Adrpo.Embedded.TinyLanguage.Weights.";

    /// <summary>Training prompts (120: five of the six templates for each of the 24 topics).</summary>
    public static IReadOnlyList<string> TrainPrompts => TinyLanguageCorpus.Split().Train;

    /// <summary>Held-out prompts (24: one template per topic, never seen in pre-training).</summary>
    public static IReadOnlyList<string> TestPrompts => TinyLanguageCorpus.Split().Test;

    /// <summary>Extracts (once per assembly version) and returns the folder holding the embedded files.</summary>
    /// <param name="cacheRoot">Destination folder; null uses <c>LocalApplicationData/adrpo/tinylanguage/{version}</c>.</param>
    public static string ExtractWeights(string? cacheRoot = null) =>
        EmbeddedResourceFolder.Extract(ResourcePrefix, Files, "tinylanguage", cacheRoot, "samples/Adrpo.Samples.BuildTinyLanguageModels");

    /// <summary>The pre-trained model (a fresh copy each call: fine-tuning changes it), with strict key and shape checks.</summary>
    public static QwenForCausalLM LoadModel(string? cacheRoot = null) => QwenForCausalLM.FromPretrained(ExtractWeights(cacheRoot));

    /// <summary>The model's tokenizer (ChatML special tokens, eos <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|endoftext|&gt;</c>).</summary>
    public static HuggingFaceTokenizer LoadTokenizer(string? cacheRoot = null) => HuggingFaceTokenizer.FromPretrained(ExtractWeights(cacheRoot));

    /// <summary>The learned reward: reads "Prompt" and "Completion", writes a Single "Score" (about 1 for a helpful
    /// reply, 0 for a curt one). See <see cref="TinyLanguageReward"/>.</summary>
    public static RewardModel LoadRewardModel(MLContext context, MiniLmTextEncoder encoder, double weight = 1.0, string? cacheRoot = null) =>
        TinyLanguageReward.Create(context, encoder, weight, cacheRoot);
}
