using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Adrpo.Persistence;
using Adrpo.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <content>Persistence: <c>config.json</c> + <c>model.safetensors</c> folders and LoRA-only checkpoints.</content>
public sealed partial class DitVelocityModel
{
    /// <summary>Name of the config file in a saved folder.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>Name of the weights file in a saved folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    private static readonly JsonSerializerOptions ConfigJson = new()
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, // a misspelt key must not silently fall back to a default
    };

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> (the state dict under the module names). With adapters
    /// present the merged weights are written, so the folder always holds a plain model; this model is not changed.
    /// Both files are written through a temporary file and a rename.
    /// </summary>
    /// <param name="folder">Destination folder; created if missing.</param>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var (tensors, owned) = ExportStateDict();
        try
        {
            SafeTensorsFile.Save(Path.Combine(folder, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            owned.ForEach(t => t.Dispose());
        }

        WriteAtomically(Path.Combine(folder, ConfigFileName), JsonSerializer.Serialize(Config, ConfigJson));
    }

    /// <summary>Loads a folder written by <see cref="Save"/>, checking every key and shape.</summary>
    /// <param name="folder">Folder with <c>config.json</c> and <c>model.safetensors</c>.</param>
    /// <exception cref="InvalidDataException">The config is invalid (the message names the field), or a weight is missing, unexpected or of the wrong shape (the message names the key, both shapes and the file).</exception>
    public static DitVelocityModel Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var config = ReadConfig(Path.Combine(folder, ConfigFileName));
        string weightsPath = Path.Combine(folder, WeightsFileName);
        var model = new DitVelocityModel(config, new Generator(0)); // every weight is overwritten below
        try
        {
            var expected = model.state_dict();
            var (tensors, _) = SafeTensorsFile.Load(weightsPath);
            try
            {
                CopyStrict(expected, tensors, weightsPath);
            }
            finally
            {
                tensors.Values.ToList().ForEach(t => t.Dispose());
            }

            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the adapters only (<c>{module}.lora_A.weight</c>, <c>{module}.lora_B.weight</c>) with
    /// <c>lora_rank</c>, <c>lora_alpha</c> and <c>target_modules</c> in the safetensors metadata.
    /// </summary>
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

            CopyStrict(AdapterTensors(), tensors, path);
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

    /// <summary>The state dict with adapters folded in; <c>Owned</c> lists the merged tensors the caller must dispose.</summary>
    private (Dictionary<string, Tensor> Tensors, List<Tensor> Owned) ExportStateDict()
    {
        var loras = LoraModules().ToList();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var owned = new List<Tensor>();
        foreach (var (key, value) in state_dict())
        {
            var owner = loras.FirstOrDefault(l => key.StartsWith(l.Name + ".", StringComparison.Ordinal));
            if (owner.Lora is null)
            {
                result.Add(key, value);
                continue;
            }

            switch (key[(owner.Name.Length + 1)..])
            {
                case "base_layer.weight":
                    var merged = owner.Lora.MergedWeight();
                    owned.Add(merged);
                    result.Add(owner.Name + ".weight", merged);
                    break;
                case "base_layer.bias":
                    result.Add(owner.Name + ".bias", value);
                    break;
            }
        }

        return (result, owned);
    }

    private Dictionary<string, Tensor> AdapterTensors() =>
        state_dict().Where(kv => kv.Key.Contains(".lora_A.", StringComparison.Ordinal) || kv.Key.Contains(".lora_B.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Copies <paramref name="file"/> into <paramref name="expected"/> after checking that keys and shapes agree exactly.</summary>
    private static void CopyStrict(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> file, string path)
    {
        var unexpected = file.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        string unexpectedList = string.Join(", ", unexpected.Select(k => $"'{k}' {TensorChecks.Format(file[k].shape)}"));
        foreach (var (key, target) in expected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!file.TryGetValue(key, out var source))
            {
                string extra = unexpected.Count > 0 ? $"; the file has unexpected keys {unexpectedList}" : string.Empty;
                throw new InvalidDataException($"'{path}' is missing key '{key}' (expected shape {TensorChecks.Format(target.shape)}){extra}.");
            }

            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException($"'{path}': key '{key}' has shape {TensorChecks.Format(source.shape)}; the model expects {TensorChecks.Format(target.shape)}.");
            }

            if (!is_floating_point(source))
            {
                throw new InvalidDataException($"'{path}': key '{key}' has dtype {source.dtype}; expected a floating-point tensor.");
            }
        }

        if (unexpected.Count > 0)
        {
            throw new InvalidDataException($"'{path}' has unexpected keys {unexpectedList}; the model has no such parameters.");
        }

        using var _ = no_grad();
        foreach (var (key, target) in expected)
        {
            target.copy_(file[key]);
        }
    }

    private static DitConfig ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"DiT config '{path}' does not exist.", path);
        }

        DitConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<DitConfig>(File.ReadAllText(path), ConfigJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid DiT config: {e.Message}", e);
        }

        try
        {
            (config ?? throw new ArgumentException("the file holds JSON null", "config")).Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }

        return config!;
    }

    private static string Metadata(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"'{path}' has no '{key}' in its safetensors metadata; it was not written by SaveAdapters.");

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
