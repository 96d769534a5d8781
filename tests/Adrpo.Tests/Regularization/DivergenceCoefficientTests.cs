using Adrpo.Regularization;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Regularization;

[TestClass]
public sealed class DivergenceCoefficientTests
{
    [TestMethod]
    public void AdaptiveBetaIsBeta0MinusClippedAdvantage()
    {
        using var a = tensor(new[] { -1.0, -0.02, 0, 0.03, 0.5 }, dtype: ScalarType.Float64);
        using var beta = AdaptiveDivergenceCoefficient.PaperLanguageModelDefaults.Compute(a);
        TensorAssert.Close(beta, new[] { 0.08, 0.06, 0.04, 0.01, 0.0 }, 1e-12);
    }

    [TestMethod]
    public void AdaptiveBetaShrinksAsAdvantageGrowsAndNeverGoesNegative()
    {
        using var a = linspace(-3, 3, 61, dtype: ScalarType.Float64);
        using var beta = AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults.Compute(a);
        double[] b = beta.data<double>().ToArray();
        for (int i = 1; i < b.Length; i++)
        {
            Assert.IsTrue(b[i] <= b[i - 1], $"beta must not grow with the advantage (index {i})");
        }

        Assert.AreEqual(2.0, b[0], 1e-12, "A clipped at -1 gives beta0 + 1");
        Assert.AreEqual(0.0, b[^1], 1e-12, "A clipped at +1 gives beta0 - 1 = 0");
        Assert.IsTrue(b.All(x => x >= 0));
    }

    [TestMethod]
    public void FixedBetaIsTheSameForEverySample()
    {
        using var a = tensor(new[] { -5.0, 0, 5 });
        using var beta = FixedDivergenceCoefficient.PaperGrpoBaseline.Compute(a);
        TensorAssert.Close(beta, new[] { 0.04, 0.04, 0.04 });
    }

    [TestMethod]
    public void OptionsThatWouldMakeBetaNegativeAreRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AdaptiveDivergenceCoefficient(0.01, -0.04, 0.04));
        Assert.AreEqual("beta0", e.ParamName);
        StringAssert.Contains(e.Message, "negative divergence coefficient");
        Assert.AreEqual("minAdvantage", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AdaptiveDivergenceCoefficient(1, 0.1, 1)).ParamName);
        Assert.AreEqual("maxAdvantage", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AdaptiveDivergenceCoefficient(1, -1, -0.5)).ParamName);
        Assert.AreEqual("beta0", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AdaptiveDivergenceCoefficient(double.NaN, -1, 1)).ParamName);
        Assert.AreEqual("beta", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FixedDivergenceCoefficient(-0.1)).ParamName);
    }
}
