using Adrpo.Native;
using System.Text.Json;
using System.Text.Json.Serialization;
using Adrpo.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <content>Persistence: <c>config.json</c> + <c>model.safetensors</c> folders.</content>
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
        AtomicFile.RequireFileDestinations(Path.Combine(folder, WeightsFileName), Path.Combine(folder, ConfigFileName));
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
        TorchRuntime.EnsureAvailable();
        string configPath = Path.Combine(folder, ConfigFileName);
        var config = ReadConfig(configPath);
        string weightsPath = Path.Combine(folder, WeightsFileName);
        var model = new DitVelocityModel(config, new Generator(0)); // every weight is overwritten below
        try
        {
            var expected = model.state_dict();
            var (tensors, _) = SafeTensorsFile.Load(weightsPath);
            try
            {
                StrictStateDict.Copy(expected, tensors, weightsPath);
            }
            catch (InvalidDataException e)
            {
                // The expected keys and shapes come from config.json: say so, since either file may be the wrong one.
                throw new InvalidDataException($"{e.Message} (The model was built from '{configPath}'; the weights must match that config.)", e);
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
