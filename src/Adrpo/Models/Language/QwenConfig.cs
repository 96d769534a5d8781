using System.Text.Json;
using System.Text.Json.Serialization;
using Adrpo.Models.Transformer;

namespace Adrpo.Models.Language;

/// <summary>
/// The architecture of a Qwen2/Qwen3 or Llama-family (Llama 2/3.x, SmolLM2, Mistral without sliding window) causal
/// language model, read from and written to a Hugging Face <c>config.json</c> (property names are the Hugging Face ones). Fields the library does not use are kept in
/// <see cref="ExtensionData"/> and written back unchanged. Call <see cref="Validate"/> before building a model.
/// </summary>
public sealed class QwenConfig
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary><c>model_type</c>: "qwen2" (q/k/v biases), "qwen3" (q_norm/k_norm), "llama" (Llama, SmolLM2; biases
    /// only with <c>attention_bias</c>/<c>mlp_bias</c>) or "mistral" (Llama-shaped; <c>sliding_window</c> must not bind).</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "";

    /// <summary><c>vocab_size</c>: rows of the embedding and of <c>lm_head</c>.</summary>
    [JsonPropertyName("vocab_size")] public long VocabSize { get; set; }

    /// <summary><c>hidden_size</c>: width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")] public long HiddenSize { get; set; }

    /// <summary><c>intermediate_size</c>: width of the SwiGLU MLP.</summary>
    [JsonPropertyName("intermediate_size")] public long IntermediateSize { get; set; }

    /// <summary><c>num_hidden_layers</c>: decoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; }

    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; }

    /// <summary><c>num_key_value_heads</c>: key/value heads (grouped-query attention); null means as many as query heads.</summary>
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; set; }

    /// <summary><c>head_dim</c> (Qwen3); null means <c>hidden_size / num_attention_heads</c>.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDim { get; set; }

    /// <summary><c>max_position_embeddings</c>: longest sequence the model was trained for.</summary>
    [JsonPropertyName("max_position_embeddings")] public long MaxPositionEmbeddings { get; set; } = 32768;

    /// <summary><c>rope_theta</c>: rotary base; null means <c>rope_parameters.rope_theta</c> (newer configs) or 10,000.</summary>
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; set; }

    /// <summary><c>rms_norm_eps</c>.</summary>
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; set; } = 1e-6;

    /// <summary><c>tie_word_embeddings</c>: <c>lm_head</c> reuses <c>model.embed_tokens.weight</c>.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; }

    /// <summary><c>attention_bias</c>; null means the model type's default (qwen2: true; qwen3, llama, mistral: false).</summary>
    [JsonPropertyName("attention_bias")] public bool? AttentionBias { get; set; }

    /// <summary><c>hidden_act</c>; only "silu" is supported.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; set; } = "silu";

    /// <summary><c>bos_token_id</c>.</summary>
    [JsonPropertyName("bos_token_id")] public long? BosTokenId { get; set; }

    /// <summary><c>eos_token_id</c>: one id or a list of ids (written back as one id when there is one).</summary>
    [JsonPropertyName("eos_token_id")]
    [JsonConverter(typeof(TokenIdListConverter))]
    public IReadOnlyList<long>? EosTokenId { get; set; }

    /// <summary><c>pad_token_id</c>, if the checkpoint names one.</summary>
    [JsonPropertyName("pad_token_id")] public long? PadTokenId { get; set; }

    /// <summary><c>torch_dtype</c>: the dtype the weights were saved in ("bfloat16", "float32", ...).</summary>
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; set; }

    /// <summary><c>rope_scaling</c>: null or <c>rope_type</c> "default" (plain RoPE), or "llama3" with <c>factor</c>,
    /// <c>low_freq_factor</c>, <c>high_freq_factor</c> and <c>original_max_position_embeddings</c>.</summary>
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; set; }

    /// <summary><c>use_sliding_window</c>; sliding-window attention is not supported.</summary>
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; set; }

    /// <summary><c>mlp_bias</c> (llama only): biases on the three MLP projections.</summary>
    [JsonInclude][JsonPropertyName("mlp_bias")] internal bool? MlpBias { get; set; }

    /// <summary><c>sliding_window</c>: read for mistral, where a window shorter than the positions is refused (Qwen's
    /// field is governed by <see cref="UseSlidingWindow"/>).</summary>
    [JsonInclude][JsonPropertyName("sliding_window")] internal long? SlidingWindow { get; set; }

    /// <summary>Every other field of <c>config.json</c>, kept so that a save writes it back.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>True for Qwen3 (RMSNorm over the head dimension on queries and keys).</summary>
    [JsonIgnore] public bool UsesQkNorm => ModelType == "qwen3";

    /// <summary>Whether q/k/v projections have biases.</summary>
    [JsonIgnore] public bool UsesQkvBias => AttentionBias ?? ModelType == "qwen2";

    /// <summary>Whether <c>o_proj</c> has a bias (Qwen3 and Llama with <c>attention_bias</c>; never Qwen2).</summary>
    [JsonIgnore] public bool UsesOutputBias => ModelType is "qwen3" or "llama" && UsesQkvBias;

    /// <summary>Whether the MLP projections have biases (Llama's <c>mlp_bias</c>).</summary>
    [JsonIgnore] internal bool UsesMlpBias => MlpBias == true;

    /// <summary>Llama 3.1's RoPE rescaling when <c>rope_scaling</c> (or <c>rope_parameters</c>) asks for "llama3";
    /// null for plain RoPE. Valid after <see cref="Validate"/>.</summary>
    [JsonIgnore]
    internal Llama3RopeScaling? Llama3Scaling => RopeType == "llama3" && RopeScalingObject is { } o
        ? new Llama3RopeScaling(Number(o, "factor") ?? 0, Number(o, "low_freq_factor") ?? 0, Number(o, "high_freq_factor") ?? 0, Number(o, "original_max_position_embeddings") ?? 0)
        : null;

    /// <summary>The object that names the rope type: <c>rope_scaling</c> (transformers 4.x) or, when that is null,
    /// <c>rope_parameters</c> (transformers 5).</summary>
    private JsonElement? RopeScalingObject => RopeScaling is { ValueKind: JsonValueKind.Object } r ? r
        : ExtensionData is not null && ExtensionData.TryGetValue("rope_parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p : null;

    /// <summary>The field holding the rope type, for messages.</summary>
    private string RopeScalingField => RopeScaling is { ValueKind: JsonValueKind.Object } ? "rope_scaling" : "rope_parameters";

    /// <summary><c>rope_type</c> (or the older <c>type</c>) of <see cref="RopeScalingObject"/>; "default" when absent.</summary>
    private string? RopeType => RopeScalingObject is not { } o ? "default"
        : o.TryGetProperty("rope_type", out var t) || o.TryGetProperty("type", out t) ? (t.ValueKind == JsonValueKind.String ? t.GetString() : null)
        : "default";

    private static double? Number(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>The rotary base after defaulting (see <see cref="RopeTheta"/>).</summary>
    [JsonIgnore]
    public double ResolvedRopeTheta => RopeTheta ?? (RopeParameter("rope_theta") is { ValueKind: JsonValueKind.Number } t ? t.GetDouble() : 10_000);

    /// <summary>Key/value heads after defaulting.</summary>
    [JsonIgnore] public int KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>Per-head dimension after defaulting.</summary>
    [JsonIgnore] public int ResolvedHeadDim => HeadDim ?? (NumAttentionHeads > 0 ? (int)(HiddenSize / NumAttentionHeads) : 0);

    private JsonElement? RopeParameter(string name) =>
        ExtensionData is not null && ExtensionData.TryGetValue("rope_parameters", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out var v) ? v : null;

    /// <summary>Parses <c>config.json</c> text and validates it.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or a field is invalid (the message names it).</exception>
    public static QwenConfig Parse(string json, string source = "config.json")
    {
        QwenConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<QwenConfig>(json, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not a valid Qwen config: {e.Message}", e);
        }

        if (config is null)
        {
            throw new InvalidDataException($"'{source}' is not a valid Qwen config: it is empty (null).");
        }

        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{source}': {e.Message}", e);
        }

        return config;
    }

    /// <summary>Reads and validates a <c>config.json</c> file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static QwenConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Qwen config file '{path}' does not exist.", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The config as indented JSON with Hugging Face names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Checks every field the model uses.</summary>
    /// <exception cref="ArgumentException">A field is invalid; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        static void Require(bool ok, string field, string why)
        {
            if (!ok)
            {
                throw new ArgumentException($"Config field '{field}' {why}.", field);
            }
        }

        Require(ModelType is "qwen2" or "qwen3" or "llama" or "mistral", "model_type", $"is '{ModelType}'; expected \"qwen2\", \"qwen3\", \"llama\" or \"mistral\"");
        Require(VocabSize >= 1, "vocab_size", $"is {VocabSize}; expected at least 1");
        Require(HiddenSize >= 1, "hidden_size", $"is {HiddenSize}; expected at least 1");
        Require(IntermediateSize >= 1, "intermediate_size", $"is {IntermediateSize}; expected at least 1");
        Require(NumHiddenLayers >= 1, "num_hidden_layers", $"is {NumHiddenLayers}; expected at least 1");
        Require(NumAttentionHeads >= 1, "num_attention_heads", $"is {NumAttentionHeads}; expected at least 1");
        Require(KeyValueHeads >= 1 && NumAttentionHeads % KeyValueHeads == 0, "num_key_value_heads",
            $"is {KeyValueHeads}; num_attention_heads ({NumAttentionHeads}) must be a positive multiple of it");
        Require(HeadDim is not null || HiddenSize % NumAttentionHeads == 0, "hidden_size",
            $"({HiddenSize}) is not divisible by num_attention_heads ({NumAttentionHeads}) and no head_dim is given");
        Require(ResolvedHeadDim >= 2 && ResolvedHeadDim % 2 == 0, "head_dim", $"is {ResolvedHeadDim}; expected a positive even number (rotary pairs)");
        Require(MaxPositionEmbeddings >= 1, "max_position_embeddings", $"is {MaxPositionEmbeddings}; expected at least 1");
        Require(ResolvedRopeTheta > 1 && !double.IsInfinity(ResolvedRopeTheta), "rope_theta", $"is {ResolvedRopeTheta}; expected a finite number above 1");
        ValidateRopeScaling(Require);
        Require(RmsNormEps > 0 && !double.IsInfinity(RmsNormEps), "rms_norm_eps", $"is {RmsNormEps}; expected a small positive number");
        Require(HiddenAct == "silu", "hidden_act", $"is '{HiddenAct}'; only \"silu\" is supported");
        Require(RopeScaling is null || RopeScaling.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Object, "rope_scaling", $"is a JSON {RopeScaling?.ValueKind}; expected null or an object");
        Require(UseSlidingWindow != true, "use_sliding_window", "is true; sliding-window attention is not supported");
        Require(ModelType != "mistral" || SlidingWindow is null || SlidingWindow >= MaxPositionEmbeddings, "sliding_window",
            $"is {SlidingWindow}, shorter than max_position_embeddings ({MaxPositionEmbeddings}); sliding-window attention is not implemented, expected null or at least {MaxPositionEmbeddings}");
        Require(ModelType != "mistral" || AttentionBias != true, "attention_bias", "is true; Mistral has no attention biases (expected false or absent)");
        Require(ExtensionData is null || !ExtensionData.TryGetValue("rope_interleaved", out var interleaved) || interleaved.ValueKind != JsonValueKind.True,
            "rope_interleaved", "is true; only the rotate-half RoPE layout (false or absent) is supported");
        Require(ModelType == "llama" || MlpBias != true, "mlp_bias", $"is true; only model_type \"llama\" has MLP biases, not '{ModelType}'");
        Require(EosTokenId is null || EosTokenId.All(id => id >= 0 && id < VocabSize), "eos_token_id", $"holds an id outside [0, {VocabSize - 1}]");
        Require(BosTokenId is null || (BosTokenId >= 0 && BosTokenId < VocabSize), "bos_token_id", $"is {BosTokenId}; expected an id in [0, {VocabSize - 1}]");
        Require(PadTokenId is null || (PadTokenId >= 0 && PadTokenId < VocabSize), "pad_token_id", $"is {PadTokenId}; expected an id in [0, {VocabSize - 1}]");
    }

    /// <summary>Plain RoPE, or "llama3" with its four parameters in range (the message names the field and what is expected).</summary>
    private void ValidateRopeScaling(Action<bool, string, string> require)
    {
        string field = RopeScalingField;
        require(RopeType is "default" or "llama3", field, $"has rope_type '{RopeType}'; only \"default\" (plain RoPE) and \"llama3\" are supported");
        if (RopeType != "llama3")
        {
            return;
        }

        var o = RopeScalingObject!.Value;
        double? factor = Number(o, "factor"), low = Number(o, "low_freq_factor"), high = Number(o, "high_freq_factor"), original = Number(o, "original_max_position_embeddings");
        require(factor >= 1 && !double.IsInfinity(factor.Value), field, $"has factor {factor?.ToString() ?? "missing"}; rope_type \"llama3\" expects a finite number of at least 1");
        require(low > 0 && !double.IsInfinity(low.Value), field, $"has low_freq_factor {low?.ToString() ?? "missing"}; rope_type \"llama3\" expects a positive number");
        require(high > low && !double.IsInfinity(high.Value), field, $"has high_freq_factor {high?.ToString() ?? "missing"}; rope_type \"llama3\" expects a finite number above low_freq_factor ({low})");
        require(original >= 1 && original == Math.Floor(original.Value) && original <= MaxPositionEmbeddings, field,
            $"has original_max_position_embeddings {original?.ToString() ?? "missing"}; rope_type \"llama3\" expects a whole number in [1, max_position_embeddings = {MaxPositionEmbeddings}]");
        if (field == "rope_scaling")
        {
            string[] known = { "rope_type", "type", "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings" };
            string? unknown = o.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => !known.Contains(n));
            require(unknown is null, field, $"has '{unknown}', which rope_type \"llama3\" does not use; expected only {string.Join(", ", known)}");
        }
    }
}
