using Adrpo.Losses.FlowMatching;
using Adrpo.Sampling;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.FlowMatching;

[TestClass]
public sealed class FlowGrpoLossTests
{
    private const double H = 0.1, A = 0.7;

    private static (Tensor X, Tensor V, Tensor T, Tensor Std, Tensor Next, Tensor Adv) Case(int seed)
    {
        var gen = new Generator((ulong)seed);
        var x = randn(new long[] { 6, 2, 4 }, dtype: ScalarType.Float64, generator: gen);
        var v = randn(x.shape, dtype: ScalarType.Float64, generator: gen);
        var t = tensor(new[] { 0.0, 0.1, 0.3, 0.5, 0.7, 0.9 }, dtype: ScalarType.Float64);
        var std = FlowSdeStep.Std(t, H, A);
        var next = FlowSdeStep.Mean(x, v, t, H, A) + (randn(x.shape, dtype: ScalarType.Float64, generator: gen) * std.reshape(-1, 1, 1));
        var adv = tensor(new[] { 1.0, -0.5, 0.25, -1, 0.75, 0 }, dtype: ScalarType.Float64);
        return (x, v, t, std, next, adv);
    }

    [TestMethod]
    public void AtTheFirstUpdateTheRatioIsOneAndTheGradientIsThePlainPolicyGradient()
    {
        using var scope = NewDisposeScope();
        var (x, v, t, std, next, adv) = Case(1);
        var old = FlowSdeStep.LogProb(next, FlowSdeStep.Mean(x, v, t, H, A), std);   // sampled by this very policy

        var leaf = v.clone().requires_grad_(true);
        var mean = FlowSdeStep.Mean(x, leaf, t, H, A);
        var output = FlowGrpoLoss.Compute(next, mean, mean.detach(), std, old, adv, clipRange: 1e-4, beta: 0);
        output.Loss.backward();
        TensorAssert.Close(output.MeanRatio, 1.0, 1e-12, "ratio exp(logp - logp_old) = 1");
        TensorAssert.Close(output.ClippedFraction, 0.0, 0, "nothing clipped");

        // REINFORCE on the same step: -mean_i A_i log pi(next_i | x_i).
        var plain = v.clone().requires_grad_(true);
        (-(adv * FlowSdeStep.LogProb(next, FlowSdeStep.Mean(x, plain, t, H, A), std)).mean()).backward();
        TensorAssert.Close(leaf.grad!, plain.grad!.flatten().data<double>().ToArray(), 1e-12);
        Assert.IsGreaterThan(1e-3, plain.grad!.abs().max().item<double>(), "the gradient is not trivially zero");
    }

    [TestMethod]
    public void RatiosBeyondTheClipInTheAdvantagesDirectionGetNoGradientAndTheKlPullsTowardTheReference()
    {
        using var scope = NewDisposeScope();
        var (x, v, t, std, next, adv) = Case(2);
        var mean0 = FlowSdeStep.Mean(x, v, t, H, A);
        var logp = FlowSdeStep.LogProb(next, mean0, std);
        // Old log-probs 0.1 below the current ones: ratio e^0.1 > 1 + eps, so samples with A > 0 are clipped (no
        // gradient) and samples with A < 0 are not (the pessimistic bound keeps the unclipped term).
        var old = logp - 0.1;
        var leaf = v.clone().requires_grad_(true);
        var output = FlowGrpoLoss.Compute(next, FlowSdeStep.Mean(x, leaf, t, H, A), mean0, std, old, adv, clipRange: 0.05, beta: 0);
        output.Loss.backward();
        var perSample = leaf.grad!.abs().flatten(1).sum(1);
        double[] g = perSample.data<double>().ToArray();
        double[] a = adv.data<double>().ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] >= 0)
            {
                Assert.AreEqual(0.0, g[i], $"sample {i} (A = {a[i]}) is clipped");
            }
            else
            {
                Assert.IsGreaterThan(0.0, g[i], $"sample {i} (A = {a[i]}) keeps its gradient");
            }
        }

        // KL alone: zero at the reference, and its gradient step moves the mean toward the reference's.
        var vRef = v + 0.5;
        var refMean = FlowSdeStep.Mean(x, vRef, t, H, A);
        var klLeaf = v.clone().requires_grad_(true);
        var klOnly = FlowGrpoLoss.Compute(next, FlowSdeStep.Mean(x, klLeaf, t, H, A), refMean, std, logp, zeros_like(adv), 1e-4, beta: 1);
        klOnly.Loss.backward();
        Assert.IsGreaterThan(0.0, klOnly.MeanKl.item<double>());
        Assert.IsTrue((klLeaf.grad! < 0).all().item<bool>(), "v_ref = v + 0.5: descending the KL raises v everywhere");
        var atReference = FlowGrpoLoss.Compute(next, refMean, refMean, std, logp, adv, 1e-4, beta: 1);
        TensorAssert.Close(atReference.MeanKl, 0.0, 0);
    }

    [TestMethod]
    public void BadSettingsAreRefusedNamingTheSetting()
    {
        using var scope = NewDisposeScope();
        var (x, v, t, std, next, adv) = Case(3);
        var mean = FlowSdeStep.Mean(x, v, t, H, A);
        var logp = FlowSdeStep.LogProb(next, mean, std);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FlowGrpoLoss.Compute(next, mean, mean, std, logp, adv, clipRange: 0));
        Assert.AreEqual("clipRange", ex.ParamName);
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FlowGrpoLoss.Compute(next, mean, mean, std, logp, adv, beta: -1));
        Assert.AreEqual("beta", ex.ParamName);
    }
}
