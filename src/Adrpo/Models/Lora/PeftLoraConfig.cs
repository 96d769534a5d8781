using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Adrpo.Models.Lora;

/// <summary>
/// The <c>adapter_config.json</c> of a PEFT LoRA adapter. Written as PEFT's <c>PeftConfigMixin.save_pretrained</c>
/// writes a <c>LoraConfig</c>: every field of the dataclass (here those of a plain LoRA adapter), keys sorted, indent 2.
/// Read strictly: <c>peft_type</c> must be <c>LORA</c>, and every PEFT feature this library does not implement
/// (DoRA, rsLoRA, biases, per-layer rank or alpha patterns, modules_to_save, layer selection, fan_in_fan_out) must be
/// off, else the message names the field and the file. Unknown fields are ignored, as PEFT itself ignores fields of
/// newer versions.
/// </summary>
internal sealed record PeftLoraConfig
{
    public const string FileName = "adapter_config.json";

    /// <summary>Adapter rank r (<c>r</c>).</summary>
    public required int Rank { get; init; }

    /// <summary><c>lora_alpha</c>; the update is scaled by alpha / r.</summary>
    public required double Alpha { get; init; }

    /// <summary><c>lora_dropout</c>.</summary>
    public double Dropout { get; init; }

    /// <summary><c>target_modules</c> as a list of names; null when the file holds a single regular expression.</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }

    /// <summary><c>target_modules</c> when the file holds one string: <c>"all-linear"</c> or a regular expression PEFT full-matches against module names.</summary>
    public string? TargetPattern { get; init; }

    /// <summary><c>base_model_name_or_path</c> (informational; PEFT loads the base from it when asked to).</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary><c>task_type</c>: "CAUSAL_LM" for a causal language model.</summary>
    public string? TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>The JSON PEFT writes for this adapter.</summary>
    public string ToJson()
    {
        // PEFT writes json.dumps(asdict(config), indent=2, sort_keys=True); the fields below are those of LoraConfig
        // that a plain LoRA adapter sets, with PEFT's defaults for the features it does not use.
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = "{}",
            ["auto_mapping"] = "null",
            ["base_model_name_or_path"] = BaseModelNameOrPath is null ? "null" : JsonSerializer.Serialize(BaseModelNameOrPath),
            ["bias"] = "\"none\"",
            ["eva_config"] = "null",
            ["exclude_modules"] = "null",
            ["fan_in_fan_out"] = "false",
            ["inference_mode"] = "true",
            ["init_lora_weights"] = "true",
            ["layer_replication"] = "null",
            ["layers_pattern"] = "null",
            ["layers_to_transform"] = "null",
            ["loftq_config"] = "{}",
            ["lora_alpha"] = Number(Alpha, integralAsInt: true),
            ["lora_bias"] = "false",
            ["lora_dropout"] = Number(Dropout, integralAsInt: false),
            ["megatron_config"] = "null",
            ["megatron_core"] = "\"megatron.core\"",
            ["modules_to_save"] = "null",
            ["peft_type"] = "\"LORA\"",
            ["r"] = Rank.ToString(CultureInfo.InvariantCulture),
            ["rank_pattern"] = "{}",
            ["revision"] = "null",
            ["target_modules"] = TargetPattern is not null
                ? JsonSerializer.Serialize(TargetPattern)
                : "[\n" + string.Join(",\n", (TargetModules ?? Array.Empty<string>()).Select(t => "    " + JsonSerializer.Serialize(t))) + "\n  ]",
            ["task_type"] = TaskType is null ? "null" : JsonSerializer.Serialize(TaskType),
            ["use_dora"] = "false",
            ["use_rslora"] = "false",
        };
        var text = new StringBuilder("{\n");
        text.Append(string.Join(",\n", fields.Select(f => $"  {JsonSerializer.Serialize(f.Key)}: {f.Value}")));
        text.Append("\n}");
        return text.ToString();
    }

    /// <summary>Reads and checks <c>adapter_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a LoRA config this library can apply; the message names the field and the file.</exception>
    public static PeftLoraConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' does not exist; a PEFT adapter folder holds {FileName} and adapter_model.safetensors.", path);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, "is not a JSON object");
            }

            string? peftType = OptionalString(root, "peft_type", path);
            if (peftType != "LORA")
            {
                throw Bad(path, $"has peft_type {(peftType is null ? "missing" : "'" + peftType + "'")}; expected \"LORA\"");
            }

            string? taskType = OptionalString(root, "task_type", path);
            if (taskType is not null and not "CAUSAL_LM")
            {
                throw Bad(path, $"has task_type '{taskType}'; expected \"CAUSAL_LM\" (or null) for a causal language model");
            }

            if (!root.TryGetProperty("r", out var r) || r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out int rank) || rank < 1)
            {
                throw Bad(path, "needs 'r', the adapter rank, as a positive integer");
            }

            double alpha = OptionalNumber(root, "lora_alpha", path) ?? 8;   // PEFT's default
            if (!(alpha > 0) || double.IsInfinity(alpha))
            {
                throw Bad(path, $"has lora_alpha {alpha}; expected a positive number");
            }

            double dropout = OptionalNumber(root, "lora_dropout", path) ?? 0;
            if (!(dropout >= 0 && dropout < 1))
            {
                throw Bad(path, $"has lora_dropout {dropout}; expected a probability in [0, 1)");
            }

            string bias = OptionalString(root, "bias", path) ?? "none";
            if (bias != "none")
            {
                throw Bad(path, $"has bias '{bias}'; only \"none\" is supported (the adapters train no biases)");
            }

            foreach (string flag in new[] { "fan_in_fan_out", "use_dora", "use_rslora", "lora_bias", "use_qalora" })
            {
                if (root.TryGetProperty(flag, out var value) && value.ValueKind == JsonValueKind.True)
                {
                    throw Bad(path, $"sets {flag} = true; only plain LoRA (W x + alpha / r * B A x) is supported");
                }
            }

            foreach (string field in new[] { "rank_pattern", "alpha_pattern", "modules_to_save", "layers_to_transform", "layer_replication", "exclude_modules", "target_parameters", "trainable_token_indices" })
            {
                if (root.TryGetProperty(field, out var value) && !IsEmpty(value))
                {
                    throw Bad(path, $"sets {field} = {value.GetRawText()}; only adapters with one rank and alpha on every targeted module are supported (expected null or empty)");
                }
            }

            if (root.TryGetProperty("init_lora_weights", out var init) && init.ValueKind == JsonValueKind.String && init.GetString() is string scheme && scheme.StartsWith("alora", StringComparison.OrdinalIgnoreCase))
            {
                throw Bad(path, $"uses init_lora_weights '{scheme}', a LoRA variant this library does not implement");
            }

            if (!root.TryGetProperty("target_modules", out var targets) || targets.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                throw Bad(path, "has no target_modules; expected the list of adapted module names (PEFT writes it after resolving the model's defaults)");
            }

            IReadOnlyList<string>? list = null;
            string? pattern = null;
            if (targets.ValueKind == JsonValueKind.String)
            {
                pattern = targets.GetString();
            }
            else if (targets.ValueKind == JsonValueKind.Array && targets.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String))
            {
                list = targets.EnumerateArray().Select(t => t.GetString()!).ToList();
            }

            if (string.IsNullOrWhiteSpace(pattern) && (list is null || list.Count == 0 || list.Any(string.IsNullOrWhiteSpace)))
            {
                throw Bad(path, $"has target_modules {targets.GetRawText()}; expected a non-empty list of module names, \"all-linear\" or a regular expression");
            }

            return new PeftLoraConfig
            {
                Rank = rank,
                Alpha = alpha,
                Dropout = dropout,
                TargetModules = list,
                TargetPattern = pattern,
                BaseModelNameOrPath = OptionalString(root, "base_model_name_or_path", path),
                TaskType = taskType,
            };
        }
    }

    private static bool IsEmpty(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False => true,
        JsonValueKind.Object => !value.EnumerateObject().Any(),
        JsonValueKind.Array => value.GetArrayLength() == 0,
        JsonValueKind.String => value.GetString()!.Length == 0,
        _ => false,
    };

    private static string? OptionalString(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad(path, $"has {name} = {value.GetRawText()}; expected a string");
    }

    private static double? OptionalNumber(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Bad(path, $"has {name} = {value.GetRawText()}; expected a number");
    }

    /// <summary>A number as Python's json writes it: integers without a point when <paramref name="integralAsInt"/>, floats with one (0.0, 0.05).</summary>
    private static string Number(double value, bool integralAsInt)
    {
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            return value.ToString("F0", CultureInfo.InvariantCulture) + (integralAsInt ? string.Empty : ".0");
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    private static InvalidDataException Bad(string path, string problem) => new($"PEFT adapter config '{path}' {problem}.");
}
