using Adrpo.Models.Transformer;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Transformer;

[TestClass]
public sealed class RmsNormAndRotaryTests
{
    [TestMethod]
    public void RmsNormDividesByTheRootMeanSquare()
    {
        var norm = new RmsNorm(2, eps: 1e-6);
        using var x = tensor(new[] { 3.0f, 4.0f }, new long[] { 1, 2 });
        double rms = Math.Sqrt(12.5 + 1e-6);
        TensorAssert.Close(norm.forward(x), new[] { 3 / rms, 4 / rms }, 1e-6);
        using var bf16 = x.to_type(ScalarType.BFloat16);
        var bf16Norm = new RmsNorm(2, dtype: ScalarType.BFloat16);
        Assert.AreEqual(ScalarType.BFloat16, bf16Norm.forward(bf16).dtype, "a bfloat16 model stays in bfloat16");
        Assert.AreEqual("weight", norm.named_parameters().Single().name, "Hugging Face key name");
        Assert.AreEqual("input", Assert.ThrowsExactly<ArgumentException>(() => norm.forward(ones(1, 3))).ParamName);
    }

    [TestMethod]
    public void RotaryRotatesEachPairByPositionTimesFrequency()
    {
        var rope = new RotaryEmbedding(headDim: 2, theta: 10_000); // one pair, frequency 1
        using var positions = tensor(new long[] { 0, 1, 2 }, new long[] { 1, 3 });
        var (cos, sin) = rope.Tables(positions, ScalarType.Float64);
        using var q = tensor(new[] { 1.0, 0, 1, 0, 1, 0 }, new long[] { 1, 1, 3, 2 }, dtype: ScalarType.Float64);
        var rotated = RotaryEmbedding.Apply(q, cos, sin);
        TensorAssert.Close(rotated, new[] { 1.0, 0, Math.Cos(1), Math.Sin(1), Math.Cos(2), Math.Sin(2) }, 1e-12);
    }

    [TestMethod]
    public void RotaryScoresDependOnlyOnRelativePosition()
    {
        var rope = new RotaryEmbedding(headDim: 8, theta: 1_000_000);
        var gen = new Generator(4);
        using var q = randn(new long[] { 1, 1, 1, 8 }, dtype: ScalarType.Float64, generator: gen);
        using var k = randn(new long[] { 1, 1, 1, 8 }, dtype: ScalarType.Float64, generator: gen);
        double Score(long m, long n)
        {
            var (cm, sm) = rope.Tables(tensor(new[] { m }, new long[] { 1, 1 }), ScalarType.Float64);
            var (cn, sn) = rope.Tables(tensor(new[] { n }, new long[] { 1, 1 }), ScalarType.Float64);
            return (RotaryEmbedding.Apply(q, cm, sm) * RotaryEmbedding.Apply(k, cn, sn)).sum().item<double>();
        }

        Assert.AreEqual(Score(7, 3), Score(104, 100), 1e-9);
        Assert.AreNotEqual(Score(7, 3), Score(7, 4), 1e-6);
        Assert.AreEqual("headDim", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RotaryEmbedding(7)).ParamName);
    }
}
