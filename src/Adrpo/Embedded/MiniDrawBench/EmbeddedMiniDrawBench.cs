using Adrpo.Models.Dit;
using Adrpo.Text;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// The embedded default of the flow-matching track: a reference DiT pre-trained on MiniDrawBench to imperfect
/// prompt fidelity and the learned match-score reward, both shipped inside the Adrpo assembly (a few MB of
/// safetensors, reproduced by <c>samples/Adrpo.Samples.BuildEmbeddedModels</c>) and extracted to a cache folder
/// on first use.
/// </summary>
public static class EmbeddedMiniDrawBench
{
    private const string ResourcePrefix = "Adrpo.Embedded.MiniDrawBench.Weights.";
    private static readonly string[] Files = { "config.json", "model.safetensors", MatchScorer.WeightsFileName };

    /// <summary>
    /// MiniLM token slots the embedded generator attends to (MiniDrawBench prompts are at most 10 word pieces with
    /// [CLS] and [SEP]; two slots spare).
    /// </summary>
    public const int TokenSlots = 12;

    /// <summary>
    /// The text encoder the embedded generator expects: all-MiniLM-L6-v2 with <see cref="TokenSlots"/> token slots
    /// (see <see cref="MiniLmTextEncoder.TokenSlots"/>). The match scorer reads its pooled part, so one encoder serves both.
    /// </summary>
    public static MiniLmTextEncoder CreateTextEncoder() => new() { TokenSlots = TokenSlots };

    /// <summary>Extracts (once) and returns the folder holding the embedded weights.</summary>
    public static string ExtractWeights(string? cacheRoot = null) =>
        EmbeddedResourceFolder.Extract(ResourcePrefix, Files, "minidrawbench", cacheRoot, "samples/Adrpo.Samples.BuildEmbeddedModels");

    /// <summary>The pre-trained reference generator (a fresh copy each call; fine-tuning changes it).</summary>
    public static DitVelocityModel LoadGenerator(string? cacheRoot = null) => DitVelocityModel.Load(ExtractWeights(cacheRoot));

    /// <summary>The learned match-score reward network.</summary>
    public static MatchScorer LoadMatchScorer(ITextEncoder encoder, string? cacheRoot = null) =>
        MatchScorer.Load(Path.Combine(ExtractWeights(cacheRoot), MatchScorer.WeightsFileName), encoder);
}
