using System.Text.Json.Serialization;

namespace Adrpo.Models.Dit;

/// <summary>
/// Hyper-parameters of <see cref="DitVelocityModel"/>, serialised as <c>config.json</c> with snake_case keys like
/// diffusers / Hugging Face configs. The defaults describe a CPU-sized model (about 1.3M parameters) for 3x32x32
/// samples conditioned on a 384-dimensional pooled text embedding (all-MiniLM-L6-v2).
/// </summary>
public sealed record DitConfig
{
    /// <summary>Height and width of a (square) sample in pixels or latent cells.</summary>
    [JsonPropertyName("sample_size")]
    public int SampleSize { get; init; } = 32;

    /// <summary>Channels of a sample (3 for RGB, 4 for SD-style latents).</summary>
    [JsonPropertyName("in_channels")]
    public int InChannels { get; init; } = 3;

    /// <summary>Side of a square patch; each patch becomes one token.</summary>
    [JsonPropertyName("patch_size")]
    public int PatchSize { get; init; } = 4;

    /// <summary>Token width.</summary>
    [JsonPropertyName("hidden_size")]
    public int HiddenSize { get; init; } = 128;

    /// <summary>Number of DiT blocks.</summary>
    [JsonPropertyName("num_layers")]
    public int NumLayers { get; init; } = 4;

    /// <summary>Attention heads per block; must divide <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")]
    public int NumAttentionHeads { get; init; } = 4;

    /// <summary>MLP width as a multiple of <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("mlp_ratio")]
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Size of the pooled condition vector.</summary>
    [JsonPropertyName("condition_dim")]
    public int ConditionDim { get; init; } = 384;

    /// <summary>Width of the sinusoidal timestep features fed to the timestep MLP (DiT: 256).</summary>
    [JsonPropertyName("frequency_embedding_size")]
    public int FrequencyEmbeddingSize { get; init; } = 256;

    /// <summary>
    /// Cross-attention to text tokens (PixArt-alpha / SD3 style): each block's patches attend to the prompt's token
    /// states, so the model can bind a colour to the shape it names. The condition row is then
    /// <c>[pooled | token 1 | ... | token condition_tokens]</c>, each <see cref="ConditionDim"/> wide (the layout of
    /// <c>MiniLmTextEncoder</c> with <c>TokenSlots</c>); the pooled part still drives adaLN. False: adaLN only.
    /// </summary>
    [JsonPropertyName("cross_attention")]
    public bool CrossAttention { get; init; }

    /// <summary>Token slots after the pooled vector when <see cref="CrossAttention"/> is on (0 otherwise).</summary>
    [JsonPropertyName("condition_tokens")]
    public int ConditionTokens { get; init; }

    /// <summary>Width of a whole condition row: <c>condition_dim (1 + condition_tokens)</c>.</summary>
    [JsonIgnore]
    public int ConditionRowSize => ConditionDim * (1 + ConditionTokens);

    /// <summary>Tokens per side: <c>sample_size / patch_size</c>.</summary>
    [JsonIgnore]
    public int GridSize => SampleSize / PatchSize;

    /// <summary>Width of the MLP hidden layer: <c>hidden_size * mlp_ratio</c>.</summary>
    [JsonIgnore]
    public int MlpHiddenSize => (int)(HiddenSize * MlpRatio);

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is invalid; <see cref="ArgumentException.ParamName"/> is its JSON key.</exception>
    public void Validate()
    {
        Positive(SampleSize, "sample_size");
        Positive(InChannels, "in_channels");
        Positive(PatchSize, "patch_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumLayers, "num_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(ConditionDim, "condition_dim");
        Positive(FrequencyEmbeddingSize, "frequency_embedding_size");
        if (SampleSize % PatchSize != 0)
        {
            throw Bad("patch_size", $"patch_size ({PatchSize}) must divide sample_size ({SampleSize}).");
        }

        if (HiddenSize % NumAttentionHeads != 0)
        {
            throw Bad("hidden_size", $"hidden_size ({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads}).");
        }

        // The 2-D sin-cos position embedding gives each axis hidden/2 features, themselves split into sin and cos.
        if (HiddenSize % 4 != 0)
        {
            throw Bad("hidden_size", $"hidden_size ({HiddenSize}) must be a multiple of 4 for the 2-D sin-cos position embedding.");
        }

        if (FrequencyEmbeddingSize % 2 != 0)
        {
            throw Bad("frequency_embedding_size", $"frequency_embedding_size ({FrequencyEmbeddingSize}) must be even (cos and sin halves).");
        }

        if (!(MlpRatio > 0) || double.IsInfinity(MlpRatio) || MlpHiddenSize < 1)
        {
            throw Bad("mlp_ratio", $"mlp_ratio ({MlpRatio}) must be a positive finite number giving an MLP width of at least 1.");
        }

        if (CrossAttention != (ConditionTokens > 0) || ConditionTokens < 0)
        {
            throw Bad("condition_tokens", $"condition_tokens ({ConditionTokens}) must be at least 1 with cross_attention and 0 without it (cross_attention is {(CrossAttention ? "true" : "false")}).");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw Bad(name, $"{name} must be at least 1; got {value}.");
        }
    }

    private static ArgumentException Bad(string name, string message) => new($"Invalid DiT config: {message}", name);
}
