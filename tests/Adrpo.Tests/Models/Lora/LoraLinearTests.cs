using Adrpo.Models.Lora;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Lora;

[TestClass]
public sealed class LoraLinearTests
{
    private static (LoraLinear Lora, TorchSharp.Modules.Linear Base, Tensor X) Create()
    {
        var gen = new Generator(11);
        var baseLayer = nn.Linear(6, 4, dtype: ScalarType.Float64);
        var lora = new LoraLinear(baseLayer, rank: 2, alpha: 4, generator: gen);
        var x = randn(new long[] { 3, 6 }, dtype: ScalarType.Float64, generator: gen);
        return (lora, baseLayer, x);
    }

    [TestMethod]
    public void AFreshAdapterLeavesTheModelUnchanged()
    {
        var (lora, baseLayer, x) = Create();
        Assert.IsTrue(lora.forward(x).allclose(baseLayer.forward(x), rtol: 0, atol: 0));
    }

    [TestMethod]
    public void ForwardAddsTheScaledLowRankUpdateAndDisablingGivesTheBase()
    {
        var (lora, baseLayer, x) = Create();
        var (a, b) = lora.Adapters;
        using (no_grad())
        {
            b.copy_(randn(b.shape, dtype: ScalarType.Float64, generator: new Generator(5)));
        }

        var expected = baseLayer.forward(x) + (x.matmul(a.t()).matmul(b.t()) * (4.0 / 2));
        Assert.IsTrue(lora.forward(x).allclose(expected, rtol: 1e-12, atol: 1e-12), "y = W x + b + (alpha/r) B A x");
        lora.AdaptersEnabled = false;
        Assert.IsTrue(lora.forward(x).allclose(baseLayer.forward(x), rtol: 0, atol: 0), "disabled adapters give the reference model");
        lora.AdaptersEnabled = true;

        var merged = nn.functional.linear(x, lora.MergedWeight(), baseLayer.bias);
        Assert.IsTrue(merged.allclose(lora.forward(x), rtol: 1e-12, atol: 1e-12), "the merged weight reproduces the adapted layer");
    }

    [TestMethod]
    public void OnlyTheAdaptersTrain()
    {
        var (lora, baseLayer, x) = Create();
        var trainable = lora.parameters().Where(p => p.requires_grad).ToList();
        Assert.AreEqual(2, trainable.Count);
        lora.forward(x).sum().backward();
        Assert.IsNull(baseLayer.weight!.grad);
        Assert.IsNotNull(lora.Adapters.B.grad);
    }

    [TestMethod]
    public void InvalidRankOrAlphaNamesTheOption()
    {
        var layer = nn.Linear(6, 4);
        Assert.AreEqual("rank", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoraLinear(layer, 5, 8)).ParamName);
        Assert.AreEqual("rank", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoraLinear(layer, 0, 8)).ParamName);
        Assert.AreEqual("alpha", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoraLinear(layer, 2, 0)).ParamName);
    }
}
