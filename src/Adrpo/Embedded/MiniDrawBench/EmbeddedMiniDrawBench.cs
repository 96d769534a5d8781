using System.Reflection;
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

    /// <summary>Extracts (once) and returns the folder holding the embedded weights.</summary>
    public static string ExtractWeights(string? cacheRoot = null)
    {
        var assembly = typeof(EmbeddedMiniDrawBench).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        string root = cacheRoot ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "adrpo", "minidrawbench", Sanitize(version));
        Directory.CreateDirectory(root);
        foreach (string file in Files)
        {
            string target = Path.Combine(root, file);
            using var resource = assembly.GetManifestResourceStream(ResourcePrefix + file)
                ?? throw new InvalidOperationException($"The embedded MiniDrawBench weights '{file}' are missing from {assembly.GetName().Name}; rebuild them with samples/Adrpo.Samples.BuildEmbeddedModels.");
            using var buffer = new MemoryStream();
            resource.CopyTo(buffer);
            if (File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            {
                continue;   // already extracted, byte for byte (a rebuilt model of the same size must not be missed)
            }

            buffer.Position = 0;

            string temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                using (var output = File.Create(temp))
                {
                    buffer.CopyTo(output);
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

    /// <summary>The pre-trained reference generator (a fresh copy each call; fine-tuning changes it).</summary>
    public static DitVelocityModel LoadGenerator(string? cacheRoot = null) => DitVelocityModel.Load(ExtractWeights(cacheRoot));

    /// <summary>The learned match-score reward network.</summary>
    public static MatchScorer LoadMatchScorer(ITextEncoder encoder, string? cacheRoot = null) =>
        MatchScorer.Load(Path.Combine(ExtractWeights(cacheRoot), MatchScorer.WeightsFileName), encoder);

    private static string Sanitize(string version) => new(version.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '-' ? c : '_').Take(64).ToArray());
}
