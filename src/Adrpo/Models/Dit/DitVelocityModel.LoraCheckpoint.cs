using System.Globalization;
using Adrpo.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <content>LoRA-only checkpoints (adapter weights plus rank, alpha and targets in the safetensors metadata).</content>
public sealed partial class DitVelocityModel
{
    /// <summary>
    /// Writes the adapters only (<c>{module}.lora_A.weight</c>, <c>{module}.lora_B.weight</c>) with
    /// <c>lora_rank</c>, <c>lora_alpha</c> and <c>target_modules</c> in the safetensors metadata.
    /// </summary>
    /// <param name="path">Destination .safetensors file (written atomically).</param>
    /// <exception cref="InvalidOperationException">The model has no adapters.</exception>
    public void SaveAdapters(string path)
    {
        var loras = LoraModules().ToList();
        if (loras.Count == 0)
        {
            throw new InvalidOperationException("The model has no LoRA adapters to save; call AddLoraAdapters first.");
        }

        var first = loras[0].Lora;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["lora_rank"] = first.Rank.ToString(CultureInfo.InvariantCulture),
            ["lora_alpha"] = first.Alpha.ToString("R", CultureInfo.InvariantCulture),
            ["target_modules"] = string.Join(",", loras.Select(l => l.Name)),
        };
        SafeTensorsFile.Save(path, AdapterTensors(), metadata);
    }

    /// <summary>
    /// Loads adapters written by <see cref="SaveAdapters"/>. A model without adapters gets them first (rank, alpha and
    /// targets from the file's metadata); every adapter key and shape must match.
    /// </summary>
    /// <param name="path">A file written by <see cref="SaveAdapters"/> for a model with this config.</param>
    /// <exception cref="InvalidDataException">Metadata is missing or disagrees with the model's adapters, or a key or shape does not match (the message names it and the file).</exception>
    public void LoadAdapters(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        bool added = false;
        try
        {
            int rank = int.Parse(Metadata(metadata, "lora_rank", path), NumberStyles.Integer, CultureInfo.InvariantCulture);
            double alpha = double.Parse(Metadata(metadata, "lora_alpha", path), NumberStyles.Float, CultureInfo.InvariantCulture);
            var targets = Metadata(metadata, "target_modules", path).Split(',');
            if (!HasAdapters)
            {
                AddLoraAdapters(rank, alpha, targets, new Generator(0)); // lora_A is overwritten below
                added = true;
            }
            else if (LoraModules().Any(l => l.Lora.Rank != rank || l.Lora.Alpha != alpha))
            {
                throw new InvalidDataException($"'{path}' holds adapters with lora_rank {rank} and lora_alpha {alpha}; the model's adapters differ. Merge them or load into a model without adapters.");
            }

            StrictStateDict.Copy(AdapterTensors(), tensors, path);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            if (added)
            {
                RemoveAdapters(merge: false);
            }

            throw new InvalidDataException($"'{path}' is not a LoRA checkpoint for this model: {e.Message}", e);
        }
        catch (InvalidDataException)
        {
            if (added)
            {
                RemoveAdapters(merge: false);
            }

            throw;
        }
        finally
        {
            tensors.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    private Dictionary<string, Tensor> AdapterTensors() =>
        state_dict().Where(kv => kv.Key.Contains(".lora_A.", StringComparison.Ordinal) || kv.Key.Contains(".lora_B.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static string Metadata(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"'{path}' has no '{key}' in its safetensors metadata; it was not written by SaveAdapters.");
}
