using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Sampling;

/// <summary>
/// Integrates the flow ODE <c>x1 = x0 + integral_0^1 v(x_t, t) dt</c> (Appendix C) with N fixed steps, under
/// <c>no_grad</c>, on the paper's convention x_t = (1 - t) x0 + t x1 (noise at t = 0).
/// </summary>
internal static class FlowOdeSampler
{
    /// <summary>Solves from <paramref name="x0"/> to t = 1.</summary>
    /// <param name="velocity">v(x [batch, ...], t [batch]) -&gt; [batch, ...]; condition and guidance are closed over.</param>
    /// <param name="x0">[batch, ...] starting noise (draw it with a seeded generator).</param>
    /// <param name="steps">Number of steps, at least 1.</param>
    /// <param name="solver">Euler or Heun.</param>
    /// <returns>[batch, ...] samples x1.</returns>
    public static Tensor Sample(Func<Tensor, Tensor, Tensor> velocity, Tensor x0, int steps, OdeSolver solver = OdeSolver.Euler)
    {
        ArgumentNullException.ThrowIfNull(velocity);
        TensorChecks.MinRank(x0, 1, nameof(x0), "[batch, ...]");
        TensorChecks.FloatingPoint(x0, nameof(x0));
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps (ODE steps) must be at least 1.");
        }

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long batch = x0.shape[0];
        double h = 1.0 / steps;
        var x = x0.clone();
        for (int i = 0; i < steps; i++)
        {
            using var stepScope = NewDisposeScope();
            var t = full(batch, i * h, dtype: x0.dtype, device: x0.device);
            var v = Checked(velocity(x, t), x, "velocity");
            Tensor next;
            if (solver == OdeSolver.Heun)
            {
                var predictor = x + (v * h);
                var tNext = full(batch, (i + 1) * h, dtype: x0.dtype, device: x0.device);
                var vNext = Checked(velocity(predictor, tNext), x, "velocity");
                next = x + ((v + vNext) * (h / 2));
            }
            else
            {
                next = x + (v * h);
            }

            var previous = x;
            x = next.MoveToOuterDisposeScope();
            previous.Dispose(); // keep one state alive, not one per step
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Classifier-free guidance: <c>v_uncond + scale * (v_cond - v_uncond)</c>; scale 1 is no guidance.</summary>
    public static Tensor Guide(Tensor conditional, Tensor unconditional, double scale)
    {
        TensorChecks.SameShape(unconditional, nameof(unconditional), conditional, nameof(conditional));
        TensorChecks.Finite(scale, nameof(scale));
        using var scope = NewDisposeScope();
        return (unconditional + ((conditional - unconditional) * scale)).MoveToOuterDisposeScope();
    }

    private static Tensor Checked(Tensor v, Tensor x, string name)
    {
        if (v is null || !v.shape.SequenceEqual(x.shape))
        {
            throw new InvalidOperationException($"The {name} function returned shape {(v is null ? "null" : TensorChecks.Format(v.shape))}; expected {TensorChecks.Format(x.shape)}, the shape of x.");
        }

        return v;
    }
}
