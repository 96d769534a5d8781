using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// DiT's <c>FinalLayer</c>: LayerNorm without affine (<c>norm_final</c>), an adaLN shift and scale regressed from c
/// (<c>adaLN_modulation.1</c>), and <c>linear</c> to p*p*C values per token. Both linears start at zero as in DiT,
/// so a fresh model predicts exactly zero velocity; training then grows the output from the last layer backwards.
/// </summary>
internal sealed class FinalLayer : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // DiT key names
    private readonly LayerNorm norm_final;
    private readonly Linear linear;
    private readonly Sequential adaLN_modulation;
#pragma warning restore IDE1006

    /// <summary>Creates the layer.</summary>
    /// <param name="hiddenSize">Token width.</param>
    /// <param name="patchSize">p.</param>
    /// <param name="outChannels">C of the predicted velocity.</param>
    public FinalLayer(int hiddenSize, int patchSize, int outChannels) : base(nameof(FinalLayer))
    {
        norm_final = nn.LayerNorm(hiddenSize, eps: 1e-6, elementwise_affine: false);
        linear = nn.Linear(hiddenSize, patchSize * patchSize * outChannels);
        adaLN_modulation = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(hiddenSize, 2 * hiddenSize)));
        RegisterComponents();
    }

    /// <summary>The output projection (zero-initialised).</summary>
    internal Linear Linear => linear;

    /// <summary>The modulation linear (zero-initialised).</summary>
    internal Linear Modulation => (Linear)adaLN_modulation.children().Last();

    /// <param name="x">[B, N, hidden] tokens.</param>
    /// <param name="c">[B, hidden] conditioning.</param>
    /// <returns>[B, N, p*p*C] per-patch outputs.</returns>
    public override Tensor forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        var m = adaLN_modulation.forward(c).unsqueeze(1).chunk(2, dim: 2); // 2 x [B, 1, hidden]
        var modulated = DitBlock.Modulate(norm_final.forward(x), m[0], m[1]);
        return linear.forward(modulated).MoveToOuterDisposeScope();
    }
}
