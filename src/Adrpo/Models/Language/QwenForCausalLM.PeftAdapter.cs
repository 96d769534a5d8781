using System.Text.RegularExpressions;
using Adrpo.Models.Dit;
using Adrpo.Models.Lora;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <content>PEFT adapter folders: <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>, as PEFT writes them.</content>
public sealed partial class QwenForCausalLM
{
    /// <summary>File holding the adapter weights in a PEFT adapter folder.</summary>
    internal const string AdapterWeightsFileName = "adapter_model.safetensors";

    /// <summary>File holding the adapter settings in a PEFT adapter folder.</summary>
    internal const string AdapterConfigFileName = PeftLoraConfig.FileName;

    // PeftModel wraps the LoraModel as `base_model`, which wraps the transformers model as `model`; PEFT's
    // get_peft_model_state_dict drops the adapter name ("default"), so lora_A.default.weight is saved as lora_A.weight.
    private const string PeftKeyPrefix = "base_model.model.";

    /// <summary>
    /// Writes the adapters as a PEFT LoRA adapter folder: <c>adapter_model.safetensors</c> with PEFT's keys
    /// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>, ...) and <c>adapter_config.json</c>
    /// (<c>peft_type</c> LORA, <c>task_type</c> CAUSAL_LM, <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>,
    /// <c>target_modules</c>, ...), each atomically. <c>PeftModel.from_pretrained(base, folder)</c> loads it onto the
    /// Hugging Face base model; <see cref="LoadAdapter"/> loads it back here.
    /// </summary>
    /// <param name="folder">Destination folder; created if needed.</param>
    /// <param name="baseModelNameOrPath">Written as <c>base_model_name_or_path</c> (e.g. the base checkpoint folder); null writes null.</param>
    /// <exception cref="InvalidOperationException">The model has no adapters.</exception>
    public void SaveAdapter(string folder, string? baseModelNameOrPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var loras = LoraModules();
        if (loras.Count == 0)
        {
            throw new InvalidOperationException("The model has no LoRA adapters to save; call AddLoraAdapters (or train with Options.LoraRank > 0) first.");
        }

        string weights = Path.Combine(folder, AdapterWeightsFileName), config = Path.Combine(folder, AdapterConfigFileName);
        Directory.CreateDirectory(folder);
        AtomicFile.RequireFileDestinations(weights, config);
        var first = loras[0].Lora;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, lora) in loras)
        {
            var (a, b) = lora.Adapters;
            tensors[PeftKeyPrefix + name + ".lora_A.weight"] = a;
            tensors[PeftKeyPrefix + name + ".lora_B.weight"] = b;
        }

        SafeTensorsFile.Save(weights, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var peft = new PeftLoraConfig
        {
            Rank = first.Rank,
            Alpha = first.Alpha,
            Dropout = first.Dropout,
            TargetModules = _loraTargets,
            BaseModelNameOrPath = baseModelNameOrPath,
        };
        AtomicFile.WriteAllText(Path.GetFullPath(config), peft.ToJson());
    }

    /// <summary>
    /// Loads a PEFT LoRA adapter folder (written by <see cref="SaveAdapter"/> or by PEFT's <c>save_pretrained</c>).
    /// A model without adapters first gets them, with the folder's <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>
    /// and <c>target_modules</c>; a model with adapters must have the same ones. The keys must be exactly the
    /// adapters those settings put on this model, with shapes [r, in] and [out, r].
    /// </summary>
    /// <param name="folder">The adapter folder.</param>
    /// <exception cref="FileNotFoundException">The folder or one of its two files is missing.</exception>
    /// <exception cref="InvalidDataException">The config asks for something this library does not implement, a key is
    /// missing or unexpected, or a shape disagrees with r; the message names the key and the file. The model is left as it was.</exception>
    public void LoadAdapter(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new FileNotFoundException($"Adapter folder '{folder}' does not exist.", folder);
        }

        string configPath = Path.Combine(folder, AdapterConfigFileName), weightsPath = Path.Combine(folder, AdapterWeightsFileName);
        var peft = PeftLoraConfig.Load(configPath);
        if (!File.Exists(weightsPath))
        {
            throw new FileNotFoundException($"'{weightsPath}' does not exist; a PEFT adapter folder holds {AdapterConfigFileName} and {AdapterWeightsFileName}.", weightsPath);
        }

        var targets = ResolveTargets(peft, configPath);
        bool added = false;
        var (tensors, _) = SafeTensorsFile.Load(weightsPath);
        try
        {
            if (!HasAdapters)
            {
                try
                {
                    AddLoraAdapters(peft.Rank, peft.Alpha, targets, peft.Dropout, new Generator(0)); // lora_A and lora_B are overwritten below
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException($"PEFT adapter config '{configPath}' does not fit this model: {e.Message}", e);
                }

                added = true;
            }
            else
            {
                var wanted = LoraInjection.Select(this, targets, DefaultLoraTargets, nameof(folder));
                var have = LoraModules();
                if (have.Any(l => l.Lora.Rank != peft.Rank || l.Lora.Alpha != peft.Alpha) || !have.Select(l => l.Name).SequenceEqual(wanted, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"PEFT adapter config '{configPath}' (r {peft.Rank}, lora_alpha {peft.Alpha}, target_modules {string.Join(", ", targets)}) differs from the model's adapters (r {have[0].Lora.Rank}, lora_alpha {have[0].Lora.Alpha}, on {have.Count} modules); call MergeAdapters() first, or load into a model without adapters.");
                }
            }

            var expected = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, lora) in LoraModules())
            {
                var (a, b) = lora.Adapters;
                expected[PeftKeyPrefix + name + ".lora_A.weight"] = a;
                expected[PeftKeyPrefix + name + ".lora_B.weight"] = b;
            }

            StrictStateDict.Copy(expected, tensors, weightsPath);
        }
        catch (InvalidDataException)
        {
            if (added)
            {
                DiscardAdapters();
            }

            throw;
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>target_modules as names for <see cref="AddLoraAdapters"/>: the list itself, the default targets for
    /// "all-linear", or the module names a regular expression full-matches (PEFT's <c>re.fullmatch</c>).</summary>
    private List<string> ResolveTargets(PeftLoraConfig peft, string configPath)
    {
        if (peft.TargetModules is not null)
        {
            return peft.TargetModules.ToList();
        }

        if (peft.TargetPattern == "all-linear")
        {
            return DefaultLoraTargets.ToList();
        }

        Regex regex;
        try
        {
            regex = new Regex("^(?:" + peft.TargetPattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"PEFT adapter config '{configPath}' has target_modules '{peft.TargetPattern}', which is not a regular expression .NET can read ({e.Message}).", e);
        }

        var all = LoraInjection.Select(this, DefaultLoraTargets, DefaultLoraTargets, nameof(peft));
        var matched = all.Where(n => regex.IsMatch(n)).ToList();
        return matched.Count > 0
            ? matched
            : throw new InvalidDataException($"PEFT adapter config '{configPath}' has target_modules '{peft.TargetPattern}', which matches none of this model's projections (e.g. '{all[0]}').");
    }
}
