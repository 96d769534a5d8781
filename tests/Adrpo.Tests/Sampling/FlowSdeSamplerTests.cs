using Adrpo.Sampling;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Sampling;

[TestClass]
public sealed class FlowSdeSamplerTests
{
    // Data x1 ~ N(m, s^2) per element and noise x0 ~ N(0, 1): x_t = (1 - t) x0 + t x1 is Gaussian with mean t m and
    // variance V(t) = (1 - t)^2 + t^2 s^2, and the exact velocity is the regression of x1 - x0 on x_t:
    // v(x, t) = m + (t s^2 - (1 - t)) / V(t) * (x - t m).
    private const double M = 0.5, S = 0.3;

    private static Tensor ExactVelocity(Tensor x, Tensor t)
    {
        var tt = t.reshape(-1, 1);
        var variance = (1 - tt).square() + (tt.square() * (S * S));
        return M + (((tt * (S * S)) - (1 - tt)) / variance * (x - (tt * M)));
    }

    [TestMethod]
    public void SdeKeepsTheOdeMarginalOnGaussianData()
    {
        // The SDE adds noise a sqrt(h (1 - t) / t) each step and pulls back along the score; with the score term's sign
        // or scale wrong, the variance at t = 1 would be far from s^2 = 0.09. Measured independently in PyTorch (2e6
        // samples, 200 steps): variance at t = 1 of 0.0889, 0.0901, 0.0898 for a = 0.3, 0.7, 1 (Euler's ODE: 0.0882),
        // and 0.274-0.279 at t = 1/2 (exact 0.2725; the clamped first step adds a^4/4, which the pull-back then decays).
        using var scope = NewDisposeScope();
        var gen = new Generator(11);
        var x0 = randn(new long[] { 1024, 64 }, generator: gen);
        foreach (double a in new[] { 0.3, 0.7, 1.0 })
        {
            using var trajectory = FlowSdeSampler.Sample(ExactVelocity, x0, steps: 200, noiseLevel: a, generator: gen);
            var x1 = trajectory.Final;
            double mean = x1.mean().item<float>(), variance = x1.var().item<float>();
            Assert.IsLessThan(0.005, Math.Abs(mean - M), $"a = {a}: mean {mean} vs {M}");
            Assert.IsLessThan(0.003, Math.Abs(variance - (S * S)), $"a = {a}: variance {variance} vs {S * S}");
            // Half way, the marginal is N(t m, V(t)) too.
            var half = trajectory.States.select(1, 100);
            Assert.IsLessThan(0.008, Math.Abs(half.mean().item<float>() - (0.5 * M)), $"a = {a}: mean at t = 1/2");
            Assert.IsLessThan(0.012, Math.Abs(half.var().item<float>() - (0.25 + (0.25 * S * S))), $"a = {a}: variance at t = 1/2");
        }
    }

    [TestMethod]
    public void StepsMatchTheirClosedFormsAndTheRecordIsConsistent()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(3);
        var x0 = randn(new long[] { 5, 2, 3 }, dtype: ScalarType.Float64, generator: gen);
        const int steps = 4;
        const double a = 0.7, h = 0.25;
        using var trajectory = FlowSdeSampler.Sample((x, t) => (x * 0.5) + t.reshape(-1, 1, 1), x0, steps, a, gen);
        Assert.AreEqual(steps, trajectory.Steps);
        TensorAssert.Close(trajectory.States.select(1, 0), x0.flatten().data<double>().ToArray(), 0, "the first state is x0");
        // std_j = a sqrt(h (1 - t) / max(t, h)) with t = j h: a, a sqrt(3/4 / 1) ... by hand.
        TensorAssert.Close(trajectory.Stds, new[] { a, a * Math.Sqrt(0.25 * 0.75 / 0.25), a * Math.Sqrt(0.25 * 0.5 / 0.5), a * Math.Sqrt(0.25 * 0.25 / 0.75) }, 1e-12);
        for (int j = 0; j < steps; j++)
        {
            var x = trajectory.States.select(1, j);
            double t = j * h;
            var v = (x * 0.5) + t;
            // mean = x + h [v - a^2 / (2 max(t, h)) (x - t v)]
            var expectedMean = x + (h * (v - ((a * a / (2 * Math.Max(t, h))) * (x - (t * v)))));
            TensorAssert.Close(trajectory.Means.select(1, j), expectedMean.flatten().data<double>().ToArray(), 1e-12, $"mean of step {j}");
            var next = trajectory.States.select(1, j + 1);
            double sd = trajectory.Stds[j].item<double>();
            var z = (next - expectedMean) / sd;
            var expectedLogp = (-(z.square() / 2) - Math.Log(sd) - (0.5 * Math.Log(2 * Math.PI))).flatten(1).mean(new long[] { 1 });
            TensorAssert.Close(trajectory.LogProbs.select(1, j), expectedLogp.data<double>().ToArray(), 1e-12, $"log-prob of step {j}");
        }

        var (xs, nexts, logps, stds) = trajectory.Transition(tensor(new long[] { 0, 3, 1, 2, 0 }));
        TensorAssert.Close(xs[1], trajectory.States[1, 3].flatten().data<double>().ToArray(), 0);
        TensorAssert.Close(nexts[1], trajectory.States[1, 4].flatten().data<double>().ToArray(), 0);
        TensorAssert.Close(logps[3], trajectory.LogProbs[3, 2].item<double>(), 0);
        TensorAssert.Close(stds, new[] { a, trajectory.Stds[3].item<double>(), trajectory.Stds[1].item<double>(), trajectory.Stds[2].item<double>(), a }, 0);
    }

    [TestMethod]
    public void WithoutNoiseTheMeanIsTheEulerStepAndSamplingIsSeeded()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 4);
        var v = randn(3, 4);
        var t = tensor(new[] { 0f, 0.3f, 0.9f });
        TensorAssert.Close(FlowSdeStep.Mean(x, v, t, 0.1, 0), (x + (v * 0.1f)).flatten().data<float>().Select(f => (double)f).ToArray(), 1e-6);

        var x0 = randn(3, 4);
        using var first = FlowSdeSampler.Sample((y, s) => y * -1, x0, 5, 0.7, new Generator(9));
        using var second = FlowSdeSampler.Sample((y, s) => y * -1, x0, 5, 0.7, new Generator(9));
        Assert.IsTrue(first.States.eq(second.States).all().item<bool>(), "same seed, same trajectory");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FlowSdeSampler.Sample((y, s) => y, x0, 5, 0, new Generator(9)));
    }
}
