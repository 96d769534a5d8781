using Adrpo.Sampling;
using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// Flow-GRPO's objective on one SDE step per sample (Liu et al. 2025, eq. 10): the PPO-clipped surrogate of the
/// per-step ratio <c>exp(log pi(x_{t+h} | x_t) - log pi_old(x_{t+h} | x_t))</c> with group advantages, plus
/// <c>beta * KL(pi || pi_ref)</c> between the Gaussian steps of the policy and of the reference (LoRA off):
/// <c>mean_i [ -min(r_i A_i, clip(r_i, 1 - eps, 1 + eps) A_i) + beta KL_i ]</c>.
/// </summary>
internal static class FlowGrpoLoss
{
    /// <summary>Flow-GRPO's default clip range eps (its SD3 configuration).</summary>
    public const double DefaultClipRange = 1e-4;

    /// <summary>Computes the loss on the recorded transitions x_t -&gt; next.</summary>
    /// <param name="next">[batch, ...] recorded next states (constants).</param>
    /// <param name="mean">[batch, ...] step means of the current policy, from <see cref="FlowSdeStep.Mean"/> (differentiable).</param>
    /// <param name="referenceMean">[batch, ...] step means of the reference (constants).</param>
    /// <param name="std">[batch] step standard deviations.</param>
    /// <param name="oldLogProb">[batch] the transitions' log-probabilities when they were sampled.</param>
    /// <param name="advantages">[batch] group advantages.</param>
    /// <param name="clipRange">eps of the clipped ratio, positive.</param>
    /// <param name="beta">KL coefficient, zero or positive.</param>
    public static FlowGrpoLossOutput Compute(Tensor next, Tensor mean, Tensor referenceMean, Tensor std, Tensor oldLogProb, Tensor advantages, double clipRange = DefaultClipRange, double beta = 0)
    {
        TensorChecks.MinRank(mean, 2, nameof(mean), "[batch, ...]");
        TensorChecks.FloatingPoint(mean, nameof(mean));
        TensorChecks.SameShape(next, nameof(next), mean, nameof(mean));
        TensorChecks.SameShape(referenceMean, nameof(referenceMean), mean, nameof(mean));
        TensorChecks.PerSample(std, nameof(std), mean, nameof(mean));
        TensorChecks.PerSample(oldLogProb, nameof(oldLogProb), mean, nameof(mean));
        TensorChecks.PerSample(advantages, nameof(advantages), mean, nameof(mean));
        if (!(clipRange > 0) || double.IsInfinity(clipRange))
        {
            throw new ArgumentOutOfRangeException(nameof(clipRange), clipRange, "clipRange (the PPO clip range eps) must be a positive finite number.");
        }

        if (!(beta >= 0) || double.IsInfinity(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta (the KL coefficient) must be zero or a positive finite number.");
        }

        using var scope = NewDisposeScope();
        var logProb = FlowSdeStep.LogProb(next, mean, std);                              // [B]
        var ratio = (logProb - oldLogProb.detach().to_type(logProb.dtype)).exp();
        var a = advantages.detach().to_type(logProb.dtype);
        var unclipped = -a * ratio;
        var clipped = -a * ratio.clamp(1 - clipRange, 1 + clipRange);
        var policy = maximum(unclipped, clipped).mean();
        var kl = FlowSdeStep.Kl(mean, referenceMean, std);                              // [B]
        var weightedKl = kl.mean() * beta;
        var clippedFraction = ((ratio.detach() - 1).abs() > clipRange).to_type(logProb.dtype).mean();
        return new FlowGrpoLossOutput(
            (policy + weightedKl).MoveToOuterDisposeScope(),
            policy.detach().MoveToOuterDisposeScope(),
            weightedKl.detach().MoveToOuterDisposeScope(),
            kl.mean().detach().MoveToOuterDisposeScope(),
            ratio.detach().mean().MoveToOuterDisposeScope(),
            clippedFraction.MoveToOuterDisposeScope());
    }
}
