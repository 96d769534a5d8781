using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Regularization;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.FlowMatching;

/// <summary>
/// One optimizer step of eq. 6 on the velocity itself: positive-advantage samples move toward their target
/// velocity u, negative ones away from it (section 3.3.2's "bidirectional" signal), unlike reward weighting.
/// </summary>
[TestClass]
public sealed class GradientDirectionTests
{
    private static (Tensor Before, Tensor After) StepOnce(Func<Tensor, Tensor> loss, Tensor start, Tensor u)
    {
        // Parameter takes over the tensor it wraps, so v is the parameter itself.
        var v = new TorchSharp.Modules.Parameter(start.clone());
        var optimizer = optim.SGD(new[] { v }, 0.05);
        using var before = DistanceToTarget(v, u);
        optimizer.zero_grad();
        loss(v).backward();
        optimizer.step();
        return (before.clone(), DistanceToTarget(v, u));
    }

    private static Tensor DistanceToTarget(Tensor v, Tensor u)
    {
        using var _ = no_grad();
        return VelocityError.PerSample(v, u);
    }

    [TestMethod]
    public void AdrpoMovesGoodSamplesTowardTargetAndBadSamplesAway()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        var start = randn(new long[] { 4, 3, 4, 4 }, dtype: ScalarType.Float64, generator: gen);
        var u = randn(new long[] { 4, 3, 4, 4 }, dtype: ScalarType.Float64, generator: gen);
        var rewards = tensor(new[] { 1.0, 0.2, -0.3, -0.9 }, dtype: ScalarType.Float64);
        var advantages = GroupAdvantages.Clip(GroupAdvantages.Compute(rewards, groupSize: 4), -1, 1);
        var beta = AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults.Compute(advantages);
        var vRef = start.clone(); // the reference equals the policy before the step, as at the start of fine-tuning

        var (before, after) = StepOnce(v => AdrpoFlowMatchingLoss.Compute(v, u, vRef, advantages, beta).Loss, start, u);
        double[] a = advantages.data<double>().ToArray();
        double[] b = before.data<double>().ToArray(), c = after.data<double>().ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] > 0)
            {
                Assert.IsTrue(c[i] < b[i], $"sample {i} has advantage {a[i]:F3} and should move toward u: {b[i]:F4} -> {c[i]:F4}");
            }
            else if (a[i] < 0)
            {
                Assert.IsTrue(c[i] > b[i], $"sample {i} has advantage {a[i]:F3} and should move away from u: {b[i]:F4} -> {c[i]:F4}");
            }
        }

        double[] betas = beta.data<double>().ToArray();
        Assert.IsTrue(betas[0] < betas[3], "the best sample gets the smallest divergence coefficient");
    }

    [TestMethod]
    public void RewardWeightingMovesEverySampleTowardItsTarget()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(8);
        var start = randn(new long[] { 3, 8 }, dtype: ScalarType.Float64, generator: gen);
        var u = randn(new long[] { 3, 8 }, dtype: ScalarType.Float64, generator: gen);
        var rewards = tensor(new[] { 1.0, 0.0, -1.0 }, dtype: ScalarType.Float64);
        var (before, after) = StepOnce(v => OrwCfmW2Loss.Compute(v, u, start, rewards).Loss, start, u);
        double[] b = before.data<double>().ToArray(), c = after.data<double>().ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.IsTrue(c[i] < b[i], $"ORW weights are positive, so sample {i} moves toward u even with a low reward");
        }
    }
}
