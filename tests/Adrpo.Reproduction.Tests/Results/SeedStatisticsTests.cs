using Adrpo.Reproduction.Results;

namespace Adrpo.Reproduction.Tests.Results;

[TestClass]
public sealed class SeedStatisticsTests
{
    [TestMethod]
    public void MeanAndStandardErrorMatchTheHandValues()
    {
        // 1, 2, 3: mean 2, sample sd 1, SE 1 / sqrt(3).
        var value = MeanWithError.Of([1.0, 2.0, double.NaN, 3.0]);
        Assert.AreEqual(2.0, value.Mean, 1e-12);
        Assert.AreEqual(1 / Math.Sqrt(3), value.StandardError, 1e-12);
        Assert.AreEqual(3, value.Count, "NaN is left out");
        Assert.AreEqual("2.000 ± 0.577", value.Format());
        Assert.AreEqual("+2.000 ± 0.577", value.FormatSigned());
    }

    [TestMethod]
    public void OneValueHasNoErrorAndNoValueFormatsAsADash()
    {
        var one = MeanWithError.Of([0.25]);
        Assert.AreEqual(0.25, one.Mean);
        Assert.IsTrue(double.IsNaN(one.StandardError));
        Assert.AreEqual("0.250", one.Format());
        Assert.AreEqual("-", MeanWithError.Of([double.NaN]).Format());
    }

    [TestMethod]
    public void PairedDifferenceUsesTheSeedsBothHave()
    {
        // Seed 4 is only in a. Differences 2, 3, 2: mean 7/3, sample sd 1/sqrt(3), SE 1/3, t = 7.
        var a = new Dictionary<int, double> { [1] = 3, [2] = 5, [3] = 4, [4] = 100 };
        var b = new Dictionary<int, double> { [1] = 1, [2] = 2, [3] = 2 };
        var difference = PairedDifference.Of(a, b);
        Assert.AreEqual(3, difference.Count);
        Assert.AreEqual(7.0 / 3, difference.Mean, 1e-12);
        Assert.AreEqual(1.0 / 3, difference.StandardError, 1e-12);
        Assert.AreEqual(7.0, difference.T, 1e-9);
    }

    [TestMethod]
    public void VerdictComparesTWithTheTwoSidedFivePercentValue()
    {
        // 2 degrees of freedom: the critical value is 4.303.
        var strong = new MeanWithError(7, 1, 3);
        var weak = new MeanWithError(4, 1, 3);
        StringAssert.StartsWith(PairedDifference.Verdict(strong), "**holds** (t = 7.00, 2 df");
        StringAssert.StartsWith(PairedDifference.Verdict(weak), "same direction, not significant (t = 4.00, 2 df; needs 4.30)");
        StringAssert.StartsWith(PairedDifference.Verdict(strong, claimPositive: false), "**opposite**, significant (t = -7.00");
        StringAssert.StartsWith(PairedDifference.Verdict(weak, claimPositive: false), "opposite direction, not significant (t = -4.00");
        Assert.AreEqual("no spread (identical runs)", PairedDifference.Verdict(new MeanWithError(0, 0, 3)));
        Assert.AreEqual("too few seeds to test", PairedDifference.Verdict(MeanWithError.Of([1.0])));
    }
}
