using Adrpo.Losses.FlowMatching;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.FlowMatching;

[TestClass]
public sealed class FlowMatchingLossTests
{
    private static Tensor Row(params double[] values) => tensor(values, new long[] { 1, values.Length }, dtype: ScalarType.Float64);

    [TestMethod]
    public void PathInterpolatesFromNoiseToData()
    {
        using var x0 = zeros(2, 3, dtype: ScalarType.Float64);
        using var x1 = full(2, 3, 2.0, dtype: ScalarType.Float64);
        using var t = tensor(new[] { 0.25, 1.0 }, dtype: ScalarType.Float64);
        using var xt = FlowMatchingPath.Interpolate(x0, x1, t);
        TensorAssert.Close(xt, new[] { 0.5, 0.5, 0.5, 2, 2, 2 });
        using var u = FlowMatchingPath.TargetVelocity(x0, x1);
        TensorAssert.Close(u, Enumerable.Repeat(2.0, 6).ToArray());
        using var badT = tensor(new[] { 0.5 });
        Assert.AreEqual("t", Assert.ThrowsExactly<ArgumentException>(() => FlowMatchingPath.Interpolate(x0, x1, badT)).ParamName);
    }

    [TestMethod]
    public void AdrpoEq6ByHand()
    {
        using var v = Row(1, 1);
        using var u = Row(0, 2);
        using var vRef = Row(1, 0);
        using var a = tensor(new[] { 0.5 }, dtype: ScalarType.Float64);
        using var beta = tensor(new[] { 0.5 }, dtype: ScalarType.Float64);
        using var output = AdrpoFlowMatchingLoss.Compute(v, u, vRef, a, beta);
        // |v - u|^2 averaged over 2 elements = 1; |v - v_ref|^2 averaged = 0.5.
        TensorAssert.Close(output.Loss, (0.5 * 1) + (0.5 * 0.5), 1e-12);
        TensorAssert.Close(output.MatchingLoss, 0.5, 1e-12);
        TensorAssert.Close(output.RegularizationLoss, 0.25, 1e-12);
        TensorAssert.Close(output.MeanW2, 0.5, 1e-12);
    }

    [TestMethod]
    public void OrwWeightsAreExpTauRNormalisedToMeanOne()
    {
        using var r = tensor(new[] { 0.0, Math.Log(3) }, dtype: ScalarType.Float64);
        using var w = OrwCfmW2Loss.Weights(r, tau: 1);
        TensorAssert.Close(w, new[] { 0.5, 1.5 }, 1e-12);
        using var v = tensor(new[] { 1.0, 1, 1, 1 }, new long[] { 2, 2 }, dtype: ScalarType.Float64);
        using var u = tensor(new[] { 0.0, 0, 1, 3 }, new long[] { 2, 2 }, dtype: ScalarType.Float64);
        using var vRef = tensor(new[] { 1.0, 3, 1, 1 }, new long[] { 2, 2 }, dtype: ScalarType.Float64);
        using var output = OrwCfmW2Loss.Compute(v, u, vRef, r, tau: 1, alpha: 2);
        // CFM per sample: 1 and 2; weighted mean (0.5 * 1 + 1.5 * 2) / 2 = 1.75. W2 per sample: 2 and 0, mean 1, times alpha 2.
        TensorAssert.Close(output.Loss, 1.75 + 2, 1e-12);
        Assert.AreEqual("tau", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OrwCfmW2Loss.Weights(r, -1)).ParamName);
    }

    [TestMethod]
    public void RaftKeepsTheBestOfEachGroup()
    {
        using var r = tensor(new[] { 1.0, 3, 2, 5, 4, 6 });
        using var keep = RaftLoss.SelectTop(r, groupSize: 3, fraction: 0.5);
        TensorAssert.Close(keep, new[] { 0.0, 1, 1, 1, 0, 1 });
        using var ties = tensor(new[] { 1.0, 1, 1 });
        using var keepTies = RaftLoss.SelectTop(ties, 3, 1.0 / 3);
        TensorAssert.Close(keepTies, new[] { 1.0, 0, 0 });

        using var v = tensor(new[] { 1.0, 1, 3, 3 }, new long[] { 2, 2 }, dtype: ScalarType.Float64);
        using var u = zeros(2, 2, dtype: ScalarType.Float64);
        using var onlySecond = tensor(new[] { 0.0, 1 }, dtype: ScalarType.Float64);
        using var output = RaftLoss.Compute(v, u, onlySecond);
        TensorAssert.Close(output.Loss, 9, 1e-12);
        using var none = zeros(2, dtype: ScalarType.Float64);
        Assert.AreEqual("keep", Assert.ThrowsExactly<ArgumentException>(() => RaftLoss.Compute(v, u, none)).ParamName);
        Assert.AreEqual("fraction", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RaftLoss.SelectTop(r, 3, 0)).ParamName);
    }

    [TestMethod]
    public void FlowDpoIsLog2WhenThePolicyEqualsTheReference()
    {
        using var vw = Row(1, 2);
        using var uw = Row(0, 0);
        using var vl = Row(3, 1);
        using var ul = Row(1, 1);
        var (loss, accuracy) = FlowMatchingDpoLoss.Compute(vw, uw, vw, vl, ul, vl, beta: 10);
        TensorAssert.Close(loss, Math.Log(2), 1e-12);
        TensorAssert.Close(accuracy, 0, 1e-12);

        // A policy closer than the reference on the preferred sample ranks the pair correctly.
        using var better = Row(0.5, 1);
        var (lower, correct) = FlowMatchingDpoLoss.Compute(better, uw, vw, vl, ul, vl, beta: 10);
        Assert.IsTrue(lower.item<double>() < Math.Log(2));
        TensorAssert.Close(correct, 1, 1e-12);
    }

    [TestMethod]
    public void MismatchedShapesThrowNamingTheTensor()
    {
        using var v = zeros(4, 3, 8, 8);
        using var wrong = zeros(4, 3, 8, 7);
        using var a = zeros(4);
        using var a3 = zeros(3);
        Assert.AreEqual("targetVelocity", Assert.ThrowsExactly<ArgumentException>(() => AdrpoFlowMatchingLoss.Compute(v, wrong, v, a, a)).ParamName);
        Assert.AreEqual("referenceVelocity", Assert.ThrowsExactly<ArgumentException>(() => AdrpoFlowMatchingLoss.Compute(v, v, wrong, a, a)).ParamName);
        var e = Assert.ThrowsExactly<ArgumentException>(() => AdrpoFlowMatchingLoss.Compute(v, v, v, a3, a));
        Assert.AreEqual("advantages", e.ParamName);
        StringAssert.Contains(e.Message, "expected [4]");
        Assert.AreEqual("rewards", Assert.ThrowsExactly<ArgumentException>(() => OrwCfmW2Loss.Compute(v, v, v, a3)).ParamName);
        Assert.AreEqual("velocityLose", Assert.ThrowsExactly<ArgumentException>(() => FlowMatchingDpoLoss.Compute(v, v, v, wrong, v, v)).ParamName);
    }
}
