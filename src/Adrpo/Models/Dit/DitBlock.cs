using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// A DiT block with adaLN-Zero conditioning (Peebles and Xie, 2023): the conditioning vector c regresses six
/// [hidden] vectors - shift, scale and gate for the attention branch and for the MLP branch - through
/// <c>adaLN_modulation</c> = SiLU then Linear(hidden, 6 hidden) (keys <c>adaLN_modulation.1.*</c>, as in DiT).
/// That linear starts at zero, so every gate is 0 and a fresh block is the identity: the network starts as a
/// stable residual stack whatever its depth. The layer norms have no affine parameters because adaLN supplies them.
/// With <see cref="DitConfig.CrossAttention"/> a cross-attention to the text tokens sits between the two branches
/// (PixArt-alpha's block: self-attention, cross-attention, MLP), behind its own affine layer norm <c>norm_cross</c> and
/// not modulated by c; its output projection starts at zero so a fresh block is still the identity.
/// </summary>
internal sealed class DitBlock : nn.Module<Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // DiT key names
    private readonly LayerNorm norm1;
    private readonly DitAttention attn;
    private readonly LayerNorm norm2;
    private readonly DitMlp mlp;
    private readonly Sequential adaLN_modulation;
    private readonly LayerNorm? norm_cross;
    private readonly DitCrossAttention? cross_attn;
#pragma warning restore IDE1006

    /// <summary>Creates the block for <paramref name="config"/> (validated by the caller).</summary>
    public DitBlock(DitConfig config) : base(nameof(DitBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        int hidden = config.HiddenSize;
        norm1 = nn.LayerNorm(hidden, eps: 1e-6, elementwise_affine: false);
        attn = new DitAttention(hidden, config.NumAttentionHeads);
        norm2 = nn.LayerNorm(hidden, eps: 1e-6, elementwise_affine: false);
        mlp = new DitMlp(hidden, config.MlpHiddenSize);
        adaLN_modulation = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(hidden, 6 * hidden)));
        if (config.CrossAttention)
        {
            norm_cross = nn.LayerNorm(hidden, eps: 1e-6);
            cross_attn = new DitCrossAttention(hidden, config.NumAttentionHeads);
        }

        RegisterComponents();
    }

    /// <summary>The modulation linear (zero-initialised, as adaLN-Zero requires).</summary>
    internal Linear Modulation => (Linear)adaLN_modulation.children().Last();

    /// <summary>The cross-attention's output projection (zero-initialised), or null without cross-attention.</summary>
    internal Linear? CrossAttentionOutput => cross_attn?.Projection as Linear;

    /// <param name="x">[B, N, hidden] tokens.</param>
    /// <param name="c">[B, hidden] conditioning (timestep + condition embedding).</param>
    /// <param name="context">[B, K, hidden] projected text tokens; null without cross-attention.</param>
    /// <param name="contextMask">[B, 1, 1, K] bool key mask; null without cross-attention.</param>
    /// <returns>[B, N, hidden] tokens.</returns>
    public override Tensor forward(Tensor x, Tensor c, Tensor? context, Tensor? contextMask)
    {
        using var scope = NewDisposeScope();
        var m = adaLN_modulation.forward(c).unsqueeze(1).chunk(6, dim: 2); // 6 x [B, 1, hidden]
        Tensor shiftMsa = m[0], scaleMsa = m[1], gateMsa = m[2], shiftMlp = m[3], scaleMlp = m[4], gateMlp = m[5];
        x = x + (gateMsa * attn.forward(Modulate(norm1.forward(x), shiftMsa, scaleMsa)));
        if (cross_attn is not null)
        {
            x = x + cross_attn.forward(norm_cross!.forward(x), context!, contextMask!);
        }

        x = x + (gateMlp * mlp.forward(Modulate(norm2.forward(x), shiftMlp, scaleMlp)));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>DiT's <c>modulate</c>: <c>x (1 + scale) + shift</c>, so a zero modulation is the identity.</summary>
    /// <param name="x">[B, N, hidden].</param>
    /// <param name="shift">[B, 1, hidden].</param>
    /// <param name="scale">[B, 1, hidden].</param>
    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => (x * (1 + scale)) + shift;
}
