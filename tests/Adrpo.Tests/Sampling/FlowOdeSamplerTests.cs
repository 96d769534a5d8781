using Adrpo.Sampling;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Sampling;

[TestClass]
public sealed class FlowOdeSamplerTests
{
    [TestMethod]
    public void EulerIsExactForAConstantVelocity()
    {
        using var x0 = tensor(new[] { 1.0, -2 }, new long[] { 2, 1 }, dtype: ScalarType.Float64);
        using var x1 = FlowOdeSampler.Sample((x, t) => full_like(x, 3.0), x0, steps: 7);
        TensorAssert.Close(x1, new[] { 4.0, 1 }, 1e-12);
    }

    [TestMethod]
    public void SolversMatchTheirClosedFormsOnDxDtEqualsX()
    {
        // dx/dt = x: exact x1 = e x0; Euler gives (1 + h)^N, Heun (1 + h + h^2/2)^N.
        using var x0 = ones(1, 1, dtype: ScalarType.Float64);
        const int n = 10;
        double h = 1.0 / n;
        using var euler = FlowOdeSampler.Sample((x, t) => x.clone(), x0, n, OdeSolver.Euler);
        using var heun = FlowOdeSampler.Sample((x, t) => x.clone(), x0, n, OdeSolver.Heun);
        TensorAssert.Close(euler, Math.Pow(1 + h, n), 1e-12);
        TensorAssert.Close(heun, Math.Pow(1 + h + (h * h / 2), n), 1e-12);
        Assert.IsTrue(Math.Abs(heun.item<double>() - Math.E) < Math.Abs(euler.item<double>() - Math.E), "Heun is the more accurate");
    }

    [TestMethod]
    public void TimeRunsFromZeroTowardOne()
    {
        var seen = new List<double>();
        using var x0 = zeros(3, 2);
        using var _ = FlowOdeSampler.Sample((x, t) => { seen.Add(t[0].item<float>()); return zeros_like(x); }, x0, 4);
        CollectionAssert.AreEqual(new[] { 0.0, 0.25, 0.5, 0.75 }, seen);
    }

    [TestMethod]
    public void GuidanceExtrapolatesFromTheUnconditionalVelocity()
    {
        using var c = tensor(new[] { 2.0, 0 });
        using var u = tensor(new[] { 1.0, 1 });
        TensorAssert.Close(FlowOdeSampler.Guide(c, u, 1), new[] { 2.0, 0 });
        TensorAssert.Close(FlowOdeSampler.Guide(c, u, 3), new[] { 4.0, -2 });
    }

    [TestMethod]
    public void BadArgumentsAreNamed()
    {
        using var x0 = zeros(2, 3);
        Assert.AreEqual("steps", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FlowOdeSampler.Sample((x, t) => x, x0, 0)).ParamName);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => FlowOdeSampler.Sample((x, t) => zeros(2, 4), x0, 2)).Message, "expected [2, 3]");
    }

    [TestMethod]
    [DataRow(OdeSolver.Euler, 2000, 2e-3)]
    [DataRow(OdeSolver.Heun, 100, 1e-4)]
    public void TheExactGaussianToGaussianVelocityIsIntegratedToTheClosedFormMap(OdeSolver solver, int steps, double tolerance)
    {
        // x0 ~ N(0, 1), x1 ~ N(mu, sigma^2) independent, x_t = (1 - t) x0 + t x1. The marginal velocity is
        // E[x1 - x0 | x_t = x] = mu + (t sigma^2 - (1 - t)) / ((1 - t)^2 + t^2 sigma^2) * (x - t mu),
        // and its flow is the monotone map x1 = mu + sigma x0.
        const double mu = 1.5, sigma = 0.5;
        using var x0 = linspace(-3, 3, 25, dtype: ScalarType.Float64).reshape(25, 1);
        Tensor Velocity(Tensor x, Tensor t)
        {
            var tt = t.reshape(-1, 1);
            var gain = ((tt * (sigma * sigma)) - (1 - tt)) / ((1 - tt).square() + (tt.square() * (sigma * sigma)));
            return mu + (gain * (x - (tt * mu)));
        }

        using var x1 = FlowOdeSampler.Sample(Velocity, x0, steps, solver);
        using var expected = (x0 * sigma) + mu;
        double worst = (x1 - expected).abs().max().item<double>();
        Assert.IsTrue(worst < tolerance, $"{solver} with {steps} steps: largest error {worst:E2}");
    }
}
