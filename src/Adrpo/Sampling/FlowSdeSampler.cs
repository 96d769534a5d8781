using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Sampling;

/// <summary>
/// Samples by Flow-GRPO's SDE (<see cref="FlowSdeStep"/>) from t = 0 to 1 in N Euler-Maruyama steps, under
/// <c>no_grad</c>, and records each step for the per-step policy ratio. The SDE has the ODE's marginals, so its samples
/// come from the same policy; the noise is what makes each step a Gaussian with a log-probability.
/// </summary>
internal static class FlowSdeSampler
{
    /// <param name="velocity">v(x [batch, ...], t [batch]) -&gt; [batch, ...]; condition and guidance are closed over.</param>
    /// <param name="x0">[batch, ...] starting noise (draw it with a seeded generator).</param>
    /// <param name="steps">Number of steps, at least 1.</param>
    /// <param name="noiseLevel">Flow-GRPO's a, positive.</param>
    /// <param name="generator">Source of each step's noise.</param>
    public static SdeTrajectory Sample(Func<Tensor, Tensor, Tensor> velocity, Tensor x0, int steps, double noiseLevel, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(velocity);
        TensorChecks.MinRank(x0, 1, nameof(x0), "[batch, ...]");
        TensorChecks.FloatingPoint(x0, nameof(x0));
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps (SDE steps) must be at least 1.");
        }

        if (!(noiseLevel > 0) || double.IsInfinity(noiseLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseLevel), noiseLevel, "noiseLevel (Flow-GRPO's a) must be a positive finite number: with a = 0 the steps have no log-probability.");
        }

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long batch = x0.shape[0];
        double h = 1.0 / steps;
        var states = new List<Tensor> { x0.clone() };
        var means = new List<Tensor>();
        var stds = new List<Tensor>();
        var logProbs = new List<Tensor>();
        for (int i = 0; i < steps; i++)
        {
            var x = states[^1];
            var t = full(batch, i * h, dtype: x0.dtype, device: x0.device);
            var v = velocity(x, t);
            if (v is null || !v.shape.SequenceEqual(x.shape))
            {
                throw new InvalidOperationException($"The velocity function returned shape {(v is null ? "null" : TensorChecks.Format(v.shape))}; expected {TensorChecks.Format(x.shape)}, the shape of x.");
            }

            var mean = FlowSdeStep.Mean(x, v, t, h, noiseLevel);
            var std = FlowSdeStep.Std(t, h, noiseLevel);
            var noise = randn(x.shape, dtype: x.dtype, generator: generator).to(x.device);
            var next = mean + (noise * std.reshape(new long[] { batch }.Concat(Enumerable.Repeat(1L, (int)x.dim() - 1)).ToArray()));
            means.Add(mean);
            stds.Add(std[0]);
            logProbs.Add(FlowSdeStep.LogProb(next, mean, std));
            states.Add(next);
        }

        return new SdeTrajectory(
            stack(states, 1).MoveToOuterDisposeScope(),
            stack(means, 1).MoveToOuterDisposeScope(),
            stack(stds, 0).MoveToOuterDisposeScope(),
            stack(logProbs, 1).MoveToOuterDisposeScope(),
            h);
    }
}
