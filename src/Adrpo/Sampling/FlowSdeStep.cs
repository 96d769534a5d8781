using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Sampling;

/// <summary>
/// One Euler-Maruyama step of Flow-GRPO's marginal-preserving SDE (Liu et al. 2025, "Flow-GRPO", eq. 8-9), derived
/// for this project's time direction: x_t = (1 - t) x0 + t x1 with noise x0 at t = 0 and data x1 at t = 1.
/// </summary>
/// <remarks>
/// Derivation. The flow ODE dx = v(x, t) dt has marginals p_t. For any sigma_t, the forward-time SDE
/// dx = [v + (sigma_t^2 / 2) grad log p_t(x)] dt + sigma_t dW has the same marginals: its Fokker-Planck equation is
/// dp/dt = -div(v p) - (sigma^2/2) div(p grad log p) + (sigma^2/2) lap p = -div(v p), because p grad log p = grad p.
/// (Time runs forward here, t: 0 -> 1, so the score enters with a plus sign; Flow-GRPO integrates its noise level
/// s = 1 - t downwards and writes the same drift with dt &lt; 0.)
/// The score of the straight path: x = (1 - t) x0 + t x1 gives v = E[x1 - x0 | x] = (x - E[x0 | x]) / t, so
/// E[x0 | x] = x - t v; and since x0 ~ N(0, I) enters x with weight (1 - t), grad log p_t(x) = -E[x0 | x] / (1 - t)
/// = -(x - t v) / (1 - t) (Tweedie). Flow-GRPO's noise schedule sigma_t = a sqrt(s / (1 - s)) in its noise level s
/// becomes sigma_t = a sqrt((1 - t) / t) here; at t = 0 it is infinite, and Flow-GRPO replaces the offending noise
/// level by the next grid point's, i.e. t by h, so t~ = max(t, h) in the denominator. With step h the step is
/// <code>
/// x_{t+h} = mean + std * eps,  eps ~ N(0, I)
/// mean    = x_t + h [ v - (sigma_t^2 / (2 (1 - t))) (x_t - t v) ] = x_t + h [ v - (a^2 / (2 t~)) (x_t - t v) ]
/// std     = sigma_t sqrt(h) = a sqrt(h (1 - t) / t~)
/// </code>
/// which equals Flow-GRPO's step under s = 1 - t and v_theirs = -v. a = 0 is the Euler step of the ODE.
/// Log-probabilities are Gaussian log-densities of a recorded transition averaged over the sample's elements (as
/// Flow-GRPO does, so the PPO clip range does not depend on the image size); the KL between the current and the
/// reference step (same std) is |mean - mean_ref|^2 / (2 std^2), averaged over elements likewise.
/// </remarks>
internal static class FlowSdeStep
{
    /// <summary>Flow-GRPO's default noise level a.</summary>
    public const double DefaultNoiseLevel = 0.7;

    /// <summary>The step's standard deviation, <c>a sqrt(h (1 - t) / max(t, h))</c>.</summary>
    /// <param name="t">[batch] step start times in [0, 1).</param>
    /// <param name="h">Step size in (0, 1].</param>
    /// <param name="noiseLevel">a, zero or positive.</param>
    /// <returns>[batch] standard deviations (same dtype and device as <paramref name="t"/>).</returns>
    public static Tensor Std(Tensor t, double h, double noiseLevel)
    {
        Check(t, h, noiseLevel);
        using var scope = NewDisposeScope();
        return ((h * (1 - t) / t.clamp_min(h)).sqrt() * noiseLevel).MoveToOuterDisposeScope();
    }

    /// <summary>The step's mean, <c>x + h [v - (a^2 / (2 max(t, h))) (x - t v)]</c>; differentiable in v.</summary>
    /// <param name="x">[batch, ...] states x_t.</param>
    /// <param name="velocity">[batch, ...] (guided) velocities at x_t.</param>
    /// <param name="t">[batch] step start times in [0, 1).</param>
    /// <param name="h">Step size.</param>
    /// <param name="noiseLevel">a.</param>
    public static Tensor Mean(Tensor x, Tensor velocity, Tensor t, double h, double noiseLevel)
    {
        TensorChecks.MinRank(x, 1, nameof(x), "[batch, ...]");
        TensorChecks.SameShape(velocity, nameof(velocity), x, nameof(x));
        TensorChecks.PerSample(t, nameof(t), x, nameof(x));
        Check(t, h, noiseLevel);
        using var scope = NewDisposeScope();
        var tt = PerSample(t.to_type(x.dtype), x.dim());
        var scoreWeight = (noiseLevel * noiseLevel) / (2 * tt.clamp_min(h));   // sigma_t^2 / (2 (1 - t))
        return (x + (h * (velocity - (scoreWeight * (x - (tt * velocity)))))).MoveToOuterDisposeScope();
    }

    /// <summary>Gaussian log-density of <paramref name="next"/> under N(mean, std^2 I), averaged over the elements of each sample.</summary>
    /// <param name="next">[batch, ...] recorded next states (treated as constants).</param>
    /// <param name="mean">[batch, ...] step means.</param>
    /// <param name="std">[batch] step standard deviations, positive.</param>
    /// <returns>[batch] per-element mean log-probabilities.</returns>
    public static Tensor LogProb(Tensor next, Tensor mean, Tensor std)
    {
        TensorChecks.SameShape(next, nameof(next), mean, nameof(mean));
        TensorChecks.PerSample(std, nameof(std), mean, nameof(mean));
        using var scope = NewDisposeScope();
        var s = PerSample(std.to_type(mean.dtype), mean.dim());
        var logp = -((next.detach() - mean).square() / (2 * s.square())) - s.log() - (0.5 * Math.Log(2 * Math.PI));
        return logp.flatten(1).mean(new long[] { 1 }).MoveToOuterDisposeScope();
    }

    /// <summary>KL(N(mean, std^2) || N(referenceMean, std^2)) = |mean - mean_ref|^2 / (2 std^2), averaged over each sample's elements.</summary>
    /// <returns>[batch] per-element mean KL.</returns>
    public static Tensor Kl(Tensor mean, Tensor referenceMean, Tensor std)
    {
        TensorChecks.SameShape(referenceMean, nameof(referenceMean), mean, nameof(mean));
        TensorChecks.PerSample(std, nameof(std), mean, nameof(mean));
        using var scope = NewDisposeScope();
        var s = PerSample(std.to_type(mean.dtype), mean.dim());
        return ((mean - referenceMean.detach()).square() / (2 * s.square())).flatten(1).mean(new long[] { 1 }).MoveToOuterDisposeScope();
    }

    private static Tensor PerSample(Tensor perSample, long rank)
    {
        var shape = new long[rank];
        Array.Fill(shape, 1L);
        shape[0] = perSample.shape[0];
        return perSample.reshape(shape);
    }

    private static void Check(Tensor t, double h, double noiseLevel)
    {
        TensorChecks.Rank(t, 1, nameof(t), "[batch]");
        if (!(h > 0 && h <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(h), h, "h (the SDE step size) must be in (0, 1].");
        }

        if (!(noiseLevel >= 0) || double.IsInfinity(noiseLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseLevel), noiseLevel, "noiseLevel (Flow-GRPO's a) must be zero or a positive finite number.");
        }
    }
}
