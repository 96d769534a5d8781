using System.Reflection;
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
    public static string ExtractWeights(string? cacheRoot = null)
    {
        var assembly = typeof(EmbeddedTinyLanguage).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        string root = cacheRoot ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "adrpo", "tinylanguage", Sanitize(version));
        Directory.CreateDirectory(root);
        foreach (string file in Files)
        {
            string target = Path.Combine(root, file);
            using var resource = assembly.GetManifestResourceStream(ResourcePrefix + file)
                ?? throw new InvalidOperationException($"The embedded tiny language file '{file}' is missing from {assembly.GetName().Name}; rebuild it with samples/Adrpo.Samples.BuildTinyLanguageModels.");
            if (SameContent(target, resource))
            {
                continue;
            }

            resource.Position = 0;

            string temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                using (var output = File.Create(temp))
                {
                    resource.CopyTo(output);
                }

                File.Move(temp, target, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }

        return root;
    }

    /// <summary>The pre-trained model (a fresh copy each call: fine-tuning changes it), with strict key and shape checks.</summary>
    public static QwenForCausalLM LoadModel(string? cacheRoot = null) => QwenForCausalLM.FromPretrained(ExtractWeights(cacheRoot));

    /// <summary>The model's tokenizer (ChatML special tokens, eos <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|endoftext|&gt;</c>).</summary>
    public static HuggingFaceTokenizer LoadTokenizer(string? cacheRoot = null) => HuggingFaceTokenizer.FromPretrained(ExtractWeights(cacheRoot));

    /// <summary>The learned reward: reads "Prompt" and "Completion", writes a Single "Score" (about 1 for a helpful
    /// reply, 0 for a curt one). See <see cref="TinyLanguageReward"/>.</summary>
    public static RewardModel LoadRewardModel(MLContext context, MiniLmTextEncoder encoder, double weight = 1.0, string? cacheRoot = null) =>
        TinyLanguageReward.Create(context, encoder, weight, cacheRoot);

    /// <summary>Whether the file exists with exactly the resource's bytes (a rebuilt model can keep the same size).</summary>
    private static bool SameContent(string path, Stream resource)
    {
        if (!File.Exists(path) || new FileInfo(path).Length != resource.Length)
        {
            return false;
        }

        using var file = File.OpenRead(path);
        var a = new byte[81920];
        var b = new byte[81920];
        while (true)
        {
            int n = resource.ReadAtLeast(a, a.Length, throwOnEndOfStream: false);
            int m = file.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
            if (n != m || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, m)))
            {
                return false;
            }

            if (n == 0)
            {
                return true;
            }
        }
    }

    private static string Sanitize(string version) => new(version.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '-' ? c : '_').Take(64).ToArray());
}
