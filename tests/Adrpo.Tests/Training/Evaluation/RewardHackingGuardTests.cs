using Adrpo.Training.Evaluation;

namespace Adrpo.Tests.Training.Evaluation;

[TestClass]
public sealed class RewardHackingGuardTests
{
    /// <summary>Feeds iterations 1..n with the given training rewards and evaluations at the given iterations; returns the warnings.</summary>
    private static List<string> Run(RewardHackingGuard guard, double[] training, Dictionary<int, double> heldOut, double[]? divergence = null)
    {
        var warnings = new List<string>();
        if (heldOut.TryGetValue(0, out double before) && guard.ObserveEvaluation(0, before) is string w0)
        {
            warnings.Add(w0);
        }

        for (int i = 1; i <= training.Length; i++)
        {
            if (guard.ObserveIteration(i, training[i - 1], divergence?[i - 1] ?? 0) is string w)
            {
                warnings.Add(w);
            }

            if (heldOut.TryGetValue(i, out double h) && guard.ObserveEvaluation(i, h) is string e)
            {
                warnings.Add(e);
            }
        }

        return warnings;
    }

    [TestMethod]
    public void WarnsWhenTheHeldOutRewardFallsTwiceWhileTheTrainingRewardRises()
    {
        // Evaluations at 0, 2, 4: held-out 0.5 -> 0.4 -> 0.3; training windows (1..2) mean 1.5, (3..4) mean 3.5.
        var warnings = Run(new RewardHackingGuard(double.PositiveInfinity, "KL"), new[] { 1.0, 2, 3, 4 }, new() { [0] = 0.5, [2] = 0.4, [4] = 0.3 });
        Assert.AreEqual(1, warnings.Count, string.Join("\n", warnings));
        StringAssert.Contains(warnings[0], "iteration 4");
        StringAssert.Contains(warnings[0], "0.5 at iteration 0, 0.4 at 2, 0.3 at 4");
        StringAssert.Contains(warnings[0], "training reward rose (1.5 -> 3.5)");
    }

    [TestMethod]
    [DataRow(new[] { 4.0, 3, 2, 1 }, new[] { 0.5, 0.4, 0.3 }, DisplayName = "training falls too")]
    [DataRow(new[] { 1.0, 2, 3, 4 }, new[] { 0.5, 0.4, 0.45 }, DisplayName = "held-out fell once, then rose")]
    [DataRow(new[] { 1.0, 2, 3, 4 }, new[] { 0.5, 0.5, 0.3 }, DisplayName = "held-out flat, then fell")]
    [DataRow(new[] { 1.0, 2, 3, 4 }, new[] { 0.3, 0.4, 0.5 }, DisplayName = "both rise")]
    public void StaysQuietOtherwise(double[] training, double[] heldOut)
    {
        var warnings = Run(new RewardHackingGuard(double.PositiveInfinity, "KL"), training, new() { [0] = heldOut[0], [2] = heldOut[1], [4] = heldOut[2] });
        Assert.AreEqual(0, warnings.Count, string.Join("\n", warnings));
    }

    [TestMethod]
    public void NeedsATrainingWindowOnBothSides()
    {
        // Three evaluations in a row without iterations between the first two: no training trend to compare.
        var guard = new RewardHackingGuard(double.PositiveInfinity, "W2");
        Assert.IsNull(guard.ObserveEvaluation(0, 0.5));
        Assert.IsNull(guard.ObserveEvaluation(0, 0.4));
        Assert.IsNull(guard.ObserveIteration(1, 2.0, 0));
        Assert.IsNull(guard.ObserveEvaluation(1, 0.3));
    }

    [TestMethod]
    public void WarnsWhenTheDivergencePassesTheBound()
    {
        var warnings = Run(new RewardHackingGuard(0.5, "W2"), new[] { 1.0, 1, 1 }, new(), new[] { 0.1, 0.5, 0.7 });
        Assert.AreEqual(1, warnings.Count, string.Join("\n", warnings));
        StringAssert.Contains(warnings[0], "iteration 3: W2 to the reference is 0.7, above MaxDivergence 0.5");
    }
}
