using Adrpo.Losses.Language;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.Language;

[TestClass]
public sealed class GrpoLossTests
{
    [TestMethod]
    public void K3IsNonNegativeAndZeroAtTheReference()
    {
        using var logp = tensor(new[] { Math.Log(0.5), Math.Log(0.5) }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        using var refLogp = tensor(new[] { Math.Log(0.25), Math.Log(0.5) }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        using var kl = KlEstimator.K3(logp, refLogp);
        // r = ln(0.25/0.5) = -ln 2: exp(r) - r - 1 = 0.5 + ln 2 - 1.
        TensorAssert.Close(kl, new[] { Math.Log(2) - 0.5, 0 }, 1e-12);
    }

    [TestMethod]
    public void ClippedSurrogateTakesThePessimisticBranch()
    {
        using var logp = tensor(new[] { 0.5, 0.5, -0.5, -0.5 }, new long[] { 4, 1 }, dtype: ScalarType.Float64);
        using var old = zeros(4, 1, dtype: ScalarType.Float64);
        using var adv = tensor(new[] { 1.0, -1, -1, 1 }, dtype: ScalarType.Float64);
        var (loss, clipped) = ClippedSurrogate.PerToken(logp, old, adv, 0.2, 0.2);
        double up = Math.Exp(0.5), down = Math.Exp(-0.5);
        // ratio e^0.5 with A=+1 is capped at 1.2; with A=-1 the unclipped (worse) value counts.
        // ratio e^-0.5 with A=-1 is floored at 0.8; with A=+1 the unclipped value counts.
        TensorAssert.Close(loss, new[] { -1.2, up, 0.8, -down }, 1e-12);
        TensorAssert.Close(clipped, new[] { 1.0, 0, 1, 0 });
    }

    [TestMethod]
    public void AggregationModes()
    {
        using var perToken = tensor(new[] { 1.0, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        using var mask = tensor(new[] { 1.0, 1, 0, 1, 0, 0 }, new long[] { 2, 3 });
        TensorAssert.Close(MaskedAggregation.Reduce(perToken, mask, LossAggregation.Grpo), (1.5 + 4) / 2, 1e-6, "grpo");
        TensorAssert.Close(MaskedAggregation.Reduce(perToken, mask, LossAggregation.Bnpo), 7.0 / 3, 1e-6, "bnpo");
        TensorAssert.Close(MaskedAggregation.Reduce(perToken, mask, LossAggregation.DrGrpo, maxCompletionLength: 4), 7.0 / 8, 1e-6, "dr_grpo");
        TensorAssert.Close(MaskedAggregation.Reduce(perToken, mask, LossAggregation.DrGrpo), 7.0 / 6, 1e-6, "dr_grpo, default length");
        TensorAssert.Close(MaskedAggregation.Reduce(perToken, mask, LossAggregation.Dapo, globalTokenCount: 10), 0.7, 1e-6, "dapo");
    }

    [TestMethod]
    public void Eq7LossAndGradientByHand()
    {
        // One sequence, two tokens, first update (ratio 1): per token -A + beta * k3.
        using var logp = tensor(new[] { Math.Log(0.5), Math.Log(0.5) }, new long[] { 1, 2 }, dtype: ScalarType.Float64).requires_grad_(true);
        using var refLogp = tensor(new[] { Math.Log(0.25), Math.Log(0.5) }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        using var adv = tensor(new[] { 2.0 }, dtype: ScalarType.Float64);
        using var beta = tensor(new[] { 0.1 }, dtype: ScalarType.Float64);
        using var mask = ones(1, 2, dtype: ScalarType.Float64);
        using var output = GrpoLoss.Compute(logp, null, refLogp, adv, beta, mask);
        double k3 = Math.Log(2) - 0.5;
        TensorAssert.Close(output.Loss, ((-2 + (0.1 * k3)) + -2) / 2, 1e-12, "loss");
        TensorAssert.Close(output.PolicyLoss, -2, 1e-12, "policy part");
        TensorAssert.Close(output.KlPenalty, 0.1 * k3 / 2, 1e-12, "KL part");
        TensorAssert.Close(output.MeanKl, k3 / 2, 1e-12, "mean KL");
        output.Loss.backward();
        // d/dlogp: (-A + beta * (1 - exp(ref - logp))) / 2 tokens.
        TensorAssert.Close(logp.grad!, new[] { (-2 + (0.1 * 0.5)) / 2, -1.0 }, 1e-12);
    }

    [TestMethod]
    public void NoReferenceMeansNoKlTerm()
    {
        using var logp = zeros(2, 3, dtype: ScalarType.Float64);
        using var adv = tensor(new[] { 1.0, -1 }, dtype: ScalarType.Float64);
        using var beta = full(2, 0.5, dtype: ScalarType.Float64);
        using var mask = ones(2, 3, dtype: ScalarType.Float64);
        using var output = GrpoLoss.Compute(logp, null, null, adv, beta, mask);
        TensorAssert.Close(output.Loss, 0, 1e-12);
        TensorAssert.Close(output.KlPenalty, 0, 1e-12);
    }

    [TestMethod]
    public void DpoLossIsLog2AtTheReferenceAndPrefersTheChosen()
    {
        using var chosen = tensor(new[] { -10.0, -12 }, dtype: ScalarType.Float64).requires_grad_(true);
        using var rejected = tensor(new[] { -11.0, -9 }, dtype: ScalarType.Float64).requires_grad_(true);
        var (loss, margins) = DpoLoss.Sigmoid(chosen, rejected, chosen.detach(), rejected.detach(), beta: 0.1);
        TensorAssert.Close(loss, Math.Log(2), 1e-12);
        TensorAssert.Close(margins, new[] { 0.0, 0 });
        loss.backward();
        // d/dchosen of -log sigmoid(beta h) at h = 0 is -beta / 2, averaged over 2 pairs.
        TensorAssert.Close(chosen.grad!, new[] { -0.025, -0.025 }, 1e-12);
        TensorAssert.Close(rejected.grad!, new[] { 0.025, 0.025 }, 1e-12);
    }

    [TestMethod]
    public void MismatchedShapesThrowNamingTheTensor()
    {
        using var logp = zeros(2, 3);
        using var adv = zeros(2);
        using var beta = zeros(2);
        using var badMask = ones(2, 4);
        using var badBeta = zeros(3);
        using var badRef = zeros(3, 2);
        using var mask = ones(2, 3);
        Assert.AreEqual("mask", Assert.ThrowsExactly<ArgumentException>(() => GrpoLoss.Compute(logp, null, null, adv, beta, badMask)).ParamName);
        Assert.AreEqual("beta", Assert.ThrowsExactly<ArgumentException>(() => GrpoLoss.Compute(logp, null, null, adv, badBeta, mask)).ParamName);
        Assert.AreEqual("referenceLogProbs", Assert.ThrowsExactly<ArgumentException>(() => GrpoLoss.Compute(logp, null, badRef, adv, beta, mask)).ParamName);
        Assert.AreEqual("epsilonLow", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GrpoLoss.Compute(logp, null, null, adv, beta, mask, new GrpoLossSettings { EpsilonLow = -1 })).ParamName);
        Assert.AreEqual("beta", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DpoLoss.Sigmoid(adv, adv, adv, adv, 0)).ParamName);
    }
}
