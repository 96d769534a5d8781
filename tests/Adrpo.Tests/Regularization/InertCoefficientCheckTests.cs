using Adrpo.Regularization;

namespace Adrpo.Tests.Regularization;

[TestClass]
public sealed class InertCoefficientCheckTests
{
    [TestMethod]
    public void AdvantagesFarInsideTheClipRangeLeaveBetaAtBeta0()
    {
        // The case: a reward spread of about 0.02 against the flow-matching default clip [-1, 1].
        var advantages = new[] { 0.01f, -0.02f, 0.015f, -0.005f, 0.0f, 0.02f, -0.01f, -0.01f };
        string? problem = new InertCoefficientCheck(-1, 1).Diagnose(advantages);
        Assert.IsNotNull(problem);
        StringAssert.Contains(problem, "100 % of the advantages are within 5 % of the clip range [-1, 1] of 0");
        StringAssert.Contains(problem, "stays at beta0");
        StringAssert.Contains(problem, "AdvantageScaling");
    }

    [TestMethod]
    public void AdvantagesFarOutsideTheClipRangeMakeBetaTwoValued()
    {
        // Group-scaled advantages (about +-1) against a clip of +-0.04.
        var advantages = new[] { 1.2f, -0.9f, 0.7f, -1.1f, 0.3f, -0.2f, 1.5f, -1.5f, 0.5f, -0.1f };
        string? problem = new InertCoefficientCheck(-0.04, 0.04).Diagnose(advantages);
        Assert.IsNotNull(problem);
        StringAssert.Contains(problem, "100 % of the advantages lie at or beyond a clip bound (-0.04 or 0.04");
        StringAssert.Contains(problem, "MinAdvantage/MaxAdvantage");
    }

    [TestMethod]
    public void AdvantagesSpreadOverTheClipRangeAreFine()
    {
        var advantages = new[] { 0.9f, -0.8f, 0.5f, -0.4f, 0.2f, -0.3f, 0.7f, -0.6f, 1.5f, 0.0f };
        Assert.IsNull(new InertCoefficientCheck(-1, 1).Diagnose(advantages));
    }

    [TestMethod]
    public void JustBelowTheShareIsFine()
    {
        // 8 of 10 at 0 (80% < 90%).
        var advantages = new[] { 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0.5f, -0.5f };
        Assert.IsNull(new InertCoefficientCheck(-1, 1).Diagnose(advantages));
        // 9 of 10 at 0 (90%): inert.
        Assert.IsNotNull(new InertCoefficientCheck(-1, 1).Diagnose(new[] { 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, -0.5f }));
    }

    [TestMethod]
    public void WarnsOnTheFirstInertIterationThenEveryTenth()
    {
        var check = new InertCoefficientCheck(-1, 1);
        var zeros = new float[8];
        var warned = Enumerable.Range(1, 25).Where(i => check.Check(i, zeros) is not null).ToList();
        CollectionAssert.AreEqual(new[] { 1, 11, 21 }, warned);
        StringAssert.StartsWith(new InertCoefficientCheck(-1, 1).Check(3, zeros), "Iteration 3: ");
    }
}
