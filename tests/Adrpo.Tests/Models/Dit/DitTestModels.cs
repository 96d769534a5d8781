using Adrpo.Models.Dit;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Dit;

/// <summary>Tiny DiT configurations and fixed inputs shared by the DiT tests.</summary>
internal static class DitTestModels
{
    /// <summary>hidden 32, 2 layers, 2 heads, condition_dim 8, 3x32x32 samples in 4x4 patches (64 tokens).</summary>
    public static DitConfig Tiny { get; } = new() { HiddenSize = 32, NumLayers = 2, NumAttentionHeads = 2, ConditionDim = 8 };

    public static DitVelocityModel Create(ulong seed = 1) => new(Tiny, new Generator(seed));

    /// <summary>A model whose zero-initialised layers (adaLN, final layer) are perturbed, standing in for a pretrained one.</summary>
    public static DitVelocityModel CreatePretrained(ulong seed = 1, DitConfig? config = null)
    {
        var model = new DitVelocityModel(config ?? Tiny, new Generator(seed));
        var gen = new Generator(seed + 100);
        using var _ = no_grad();
        foreach (var p in model.parameters())
        {
            p.add_(randn(p.shape, generator: gen) * 0.05);
        }

        return model;
    }

    /// <summary>Fixed (xt, t, condition) for a batch.</summary>
    public static (Tensor Xt, Tensor T, Tensor Condition) Inputs(int batch, ulong seed = 7)
    {
        var gen = new Generator(seed);
        return (randn(new long[] { batch, 3, 32, 32 }, generator: gen),
                rand(new long[] { batch }, generator: gen),
                randn(new long[] { batch, Tiny.ConditionDim }, generator: gen));
    }

    /// <summary>Conditional flow-matching loss on the straight path: |v(x_t, t, c) - (x1 - x0)|^2.</summary>
    public static Tensor CfmLoss(DitVelocityModel model, Tensor x0, Tensor x1, Tensor t, Tensor condition)
    {
        var tt = t.reshape(-1, 1, 1, 1);
        var xt = ((1 - tt) * x0) + (tt * x1);
        return (model.Forward(xt, t, condition) - (x1 - x0)).square().mean();
    }

    public static bool Identical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();
}
