using System.Text.Json;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// Reads and writes Hugging Face Qwen checkpoint folders. Loading first reads only the safetensors headers and checks
/// them against the keys and shapes the config implies (every key present, nothing unexpected, exact shapes), so a
/// wrong checkpoint fails before any weight is read; then each file is read once and copied into the model.
/// </summary>
internal static class QwenCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Where each checkpoint key lives.</summary>
    public sealed record Plan(QwenConfig Config, IReadOnlyDictionary<string, (string File, SafeTensorsEntry Entry)> Entries);

    public static QwenConfig ReadConfig(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new FileNotFoundException($"Checkpoint folder '{folder}' does not exist.", folder);
        }

        return QwenConfig.Load(Path.Combine(folder, ConfigFile));
    }

    public static Plan MakePlan(string folder, QwenConfig config)
    {
        var entries = new Dictionary<string, (string File, SafeTensorsEntry Entry)>(StringComparer.Ordinal);
        string single = Path.Combine(folder, WeightsFile), index = Path.Combine(folder, IndexFile);
        if (File.Exists(single))
        {
            foreach (var entry in SafeTensorsFile.ReadHeader(single).Tensors)
            {
                entries[entry.Name] = (single, entry);
            }
        }
        else if (File.Exists(index))
        {
            ReadShards(folder, index, entries);
        }
        else
        {
            throw new FileNotFoundException($"Checkpoint folder '{folder}' has neither '{WeightsFile}' nor '{IndexFile}'.", single);
        }

        QwenCheckpointLayout.Verify(config, entries);
        return new Plan(config, entries);
    }

    public static void Load(QwenForCausalLM lm, Plan plan)
    {
        var parameters = lm.state_dict();
        var expected = QwenCheckpointLayout.ExpectedShapes(plan.Config);
        if (!parameters.Keys.OrderBy(k => k, StringComparer.Ordinal).SequenceEqual(expected.Keys))
        {
            throw new InvalidOperationException("Internal error: the model's state_dict keys differ from the checkpoint layout.");
        }

        Tensor? tiedHead = null;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var group in plan.Entries.GroupBy(e => e.Value.File))
        {
            var (tensors, _) = SafeTensorsFile.Load(group.Key);
            foreach (var (name, tensor) in tensors)
            {
                if (parameters.TryGetValue(name, out var target))
                {
                    target.copy_(tensor);
                }
                else if (name == QwenCheckpointLayout.LmHead)
                {
                    tiedHead = tensor;
                    continue;
                }

                tensor.Dispose();
            }
        }

        if (tiedHead is not null)
        {
            using (tiedHead)
            {
                using var converted = tiedHead.to(lm.DType, lm.Device);
                if (!converted.eq(lm.Model.EmbeddingWeight).all().item<bool>())
                {
                    throw new InvalidDataException($"Checkpoint key '{QwenCheckpointLayout.LmHead}' in '{plan.Entries[QwenCheckpointLayout.LmHead].File}' differs from '{QwenCheckpointLayout.Embedding}', but tie_word_embeddings is true; set it to false to load a separate output head.");
                }
            }
        }
    }

    public static void Save(QwenForCausalLM lm, string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        AtomicFile.RequireFileDestinations(Path.Combine(folder, WeightsFile), Path.Combine(folder, ConfigFile));
        var config = QwenConfig.Parse(lm.Config.ToJson());
        config.TorchDtype = DTypeName(lm.DType);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var merged = new List<Tensor>();
        try
        {
            // With LoRA adapters the folder holds the merged weights under the plain Hugging Face keys.
            SafeTensorsFile.Save(Path.Combine(folder, WeightsFile), lm.HuggingFaceStateDict(merged), metadata);
        }
        finally
        {
            merged.ForEach(t => t.Dispose());
        }

        WriteAtomically(Path.Combine(folder, ConfigFile), config.ToJson());
    }

    private static void ReadShards(string folder, string index, Dictionary<string, (string File, SafeTensorsEntry Entry)> entries)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            weightMap = doc.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{index}' is not a valid safetensors index: it needs a 'weight_map' object of key -> shard file name ({e.Message}).", e);
        }

        foreach (string shard in weightMap.Values.Distinct(StringComparer.Ordinal))
        {
            if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
            {
                throw new InvalidDataException($"'{index}' names shard '{shard}'; shards must be plain file names in the checkpoint folder.");
            }

            string path = Path.Combine(folder, shard);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Shard '{path}' listed in '{index}' does not exist.", path);
            }

            foreach (var entry in SafeTensorsFile.ReadHeader(path).Tensors)
            {
                if (!weightMap.TryGetValue(entry.Name, out string? mapped) || mapped != shard)
                {
                    throw new InvalidDataException($"Checkpoint key '{entry.Name}' is stored in '{path}' but '{index}' maps it to '{mapped ?? "nothing"}'.");
                }

                entries[entry.Name] = (path, entry);
            }
        }

        foreach (var (key, shard) in weightMap)
        {
            if (!entries.ContainsKey(key))
            {
                throw new InvalidDataException($"Checkpoint key '{key}' is mapped to '{Path.Combine(folder, shard)}' by '{index}' but that file does not hold it.");
            }
        }
    }

    private static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    private static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
