using Adrpo.Models.Lora;
using Adrpo.Models.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// Grouped-query self-attention of Qwen2/Qwen3 and the Llama family: q/k/v projections (biases for Qwen2, or with
/// <c>attention_bias</c>), per-head RMSNorm of queries
/// and keys before RoPE (Qwen3 <c>q_norm</c>/<c>k_norm</c>), rotary positions, the key/value heads repeated to the
/// query heads, scaled dot-product attention (LibTorch's fused kernel) and the output projection. Fields carry the Hugging Face key names; the four
/// projections are LoRA targets, so their fields are swappable.
/// </summary>
internal sealed class QwenAttention : nn.Module, ILinearHost
{
#pragma warning disable IDE1006, SA1300 // Hugging Face key names
    private nn.Module<Tensor, Tensor> q_proj;
    private nn.Module<Tensor, Tensor> k_proj;
    private nn.Module<Tensor, Tensor> v_proj;
    private nn.Module<Tensor, Tensor> o_proj;
    private readonly RmsNorm? q_norm;
    private readonly RmsNorm? k_norm;
#pragma warning restore IDE1006, SA1300
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly int _layer;

    /// <summary>Creates the attention block of decoder layer <paramref name="layer"/>.</summary>
    public QwenAttention(QwenConfig config, int layer, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(QwenAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        _heads = config.NumAttentionHeads;
        _kvHeads = config.KeyValueHeads;
        _headDim = config.ResolvedHeadDim;
        _layer = layer;
        long hidden = config.HiddenSize;
        q_proj = nn.Linear(hidden, (long)_heads * _headDim, hasBias: config.UsesQkvBias, device: device, dtype: dtype);
        k_proj = nn.Linear(hidden, (long)_kvHeads * _headDim, hasBias: config.UsesQkvBias, device: device, dtype: dtype);
        v_proj = nn.Linear(hidden, (long)_kvHeads * _headDim, hasBias: config.UsesQkvBias, device: device, dtype: dtype);
        o_proj = nn.Linear((long)_heads * _headDim, hidden, hasBias: config.UsesOutputBias, device: device, dtype: dtype);
        if (config.UsesQkNorm)
        {
            q_norm = new RmsNorm(_headDim, config.RmsNormEps, dtype);
            k_norm = new RmsNorm(_headDim, config.RmsNormEps, dtype);
            if (device is not null)
            {
                q_norm.to(device);
                k_norm.to(device);
            }
        }

        RegisterComponents();
    }

    /// <summary>Attends over the cached and new tokens.</summary>
    /// <param name="hidden">[batch, tokens, hidden] normalised activations.</param>
    /// <param name="cos">[batch, 1, tokens, headDim] rotary table.</param>
    /// <param name="sin">[batch, 1, tokens, headDim] rotary table.</param>
    /// <param name="allowed">[batch, 1, tokens, cached + tokens] bool, true where a query may attend to a key; every
    /// query must be allowed at least one key.</param>
    /// <param name="cache">Optional cache; the new keys and values are appended to it.</param>
    /// <returns>[batch, tokens, hidden].</returns>
    public Tensor forward(Tensor hidden, Tensor cos, Tensor sin, Tensor allowed, KeyValueCache? cache)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], tokens = hidden.shape[1];
        var q = q_proj.forward(hidden).view(batch, tokens, _heads, _headDim);   // [B, T, H, hd]
        var k = k_proj.forward(hidden).view(batch, tokens, _kvHeads, _headDim); // [B, T, KV, hd]
        var v = v_proj.forward(hidden).view(batch, tokens, _kvHeads, _headDim); // [B, T, KV, hd]
        if (q_norm is not null && k_norm is not null)
        {
            q = q_norm.forward(q);
            k = k_norm.forward(k);
        }

        q = RotaryEmbedding.Apply(q.transpose(1, 2), cos, sin);                  // [B, H, T, hd]
        k = RotaryEmbedding.Apply(k.transpose(1, 2), cos, sin);                  // [B, KV, T, hd]
        v = v.transpose(1, 2);                                                   // [B, KV, T, hd]
        if (cache is not null)
        {
            (k, v) = cache.Append(_layer, k, v);                                 // [B, KV, S, hd]
        }

        // TorchSharp 0.107's scaled_dot_product_attention has no enable_gqa: the key/value heads are repeated first.
        k = RepeatKeyValue(k);                                                   // [B, H, S, hd]
        v = RepeatKeyValue(v);
        // softmax(q k^T / sqrt(hd) masked to `allowed`) v in LibTorch's fused kernel (its default scale is Qwen's
        // head_dim^-0.5): at the training shape forward + backward take 0.77-0.93x the time of the math form
        // (q.matmul, masked_fill, float32 softmax, matmul) on this CPU, and it keeps no [B, H, T, S] float32 scores
        // for the backward pass (benchmarks/README.md, "scale sdpa"). Every query must see at least one key (the
        // model lets padded queries see themselves), else its row is a softmax over nothing.
        var output = nn.functional.scaled_dot_product_attention(q, k, v, allowed)
            .transpose(1, 2).reshape(batch, tokens, (long)_heads * _headDim);   // [B, T, H*hd]
        return o_proj.forward(output).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    void ILinearHost.ReplaceChild(string childName, nn.Module<Tensor, Tensor> replacement)
    {
        switch (childName)
        {
            case nameof(q_proj):
                q_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(k_proj):
                k_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(v_proj):
                v_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(o_proj):
                o_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            default:
                throw new ArgumentException($"QwenAttention has no swappable child '{childName}' (expected q_proj, k_proj, v_proj or o_proj).", nameof(childName));
        }
    }

    /// <summary>[B, KV, S, hd] -> [B, H, S, hd]: each key/value head serves H / KV consecutive query heads.</summary>
    private Tensor RepeatKeyValue(Tensor x)
    {
        int groups = _heads / _kvHeads;
        if (groups == 1)
        {
            return x;
        }

        long batch = x.shape[0], length = x.shape[2];
        return x.unsqueeze(2).expand(batch, _kvHeads, groups, length, _headDim).reshape(batch, _heads, length, _headDim);
    }
}
