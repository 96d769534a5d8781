using Adrpo.Models.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// One pre-norm decoder layer: <c>h = x + self_attn(input_layernorm(x))</c>, then
/// <c>h + mlp(post_attention_layernorm(h))</c>. Fields carry the Hugging Face key names.
/// </summary>
internal sealed class QwenDecoderLayer : nn.Module
{
#pragma warning disable IDE1006, SA1300 // Hugging Face key names
    private readonly QwenAttention self_attn;
    private readonly QwenMlp mlp;
    private readonly RmsNorm input_layernorm;
    private readonly RmsNorm post_attention_layernorm;
#pragma warning restore IDE1006, SA1300

    /// <summary>Creates decoder layer <paramref name="layer"/> (the index selects its slot in a <see cref="KeyValueCache"/>).</summary>
    public QwenDecoderLayer(QwenConfig config, int layer, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(QwenDecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        self_attn = new QwenAttention(config, layer, dtype, device);
        mlp = new QwenMlp(config, dtype, device);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
        if (device is not null)
        {
            input_layernorm.to(device);
            post_attention_layernorm.to(device);
        }

        RegisterComponents();
    }

    /// <param name="hidden">[batch, tokens, hidden] residual stream.</param>
    /// <param name="cos">[batch, 1, tokens, headDim] rotary table.</param>
    /// <param name="sin">[batch, 1, tokens, headDim] rotary table.</param>
    /// <param name="allowed">[batch, 1, tokens, cached + tokens] bool attention pattern.</param>
    /// <param name="cache">Optional key/value cache.</param>
    /// <returns>[batch, tokens, hidden].</returns>
    public Tensor forward(Tensor hidden, Tensor cos, Tensor sin, Tensor allowed, KeyValueCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = hidden + self_attn.forward(input_layernorm.forward(hidden), cos, sin, allowed, cache);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}
