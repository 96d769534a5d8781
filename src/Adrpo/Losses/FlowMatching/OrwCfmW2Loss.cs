using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// ORW-CFM-W2 (Fan et al., the online reward-weighted baseline of section 3.2.1):
/// <c>mean_i [ w_i |v_i - u_i|^2 ] + alpha * mean_i |v_i - v_ref,i|^2</c> with <c>w_i = exp(tau r_i) / Z</c>.
/// Z is estimated on the batch, <c>Z = mean_j exp(tau r_j)</c>, so the weights average 1; this is the
/// normalised target distribution of ORW-CFM and keeps exp from overflowing for large tau * r.
/// Weights are never negative: poor samples are only down-weighted, never pushed away.
/// </summary>
internal static class OrwCfmW2Loss
{
    /// <summary>The published default temperature tau.</summary>
    public const double DefaultTau = 0.5;

    /// <summary>The published default W2 coefficient alpha.</summary>
    public const double DefaultAlpha = 1.0;

    /// <summary>The normalised reward weights <c>w_i = N softmax(tau r)_i</c> (detached).</summary>
    /// <param name="rewards">[batch] rewards.</param>
    /// <param name="tau">Inverse temperature; 0 gives uniform weights (plain online CFM).</param>
    public static Tensor Weights(Tensor rewards, double tau)
    {
        TensorChecks.Rank(rewards, 1, nameof(rewards), "[batch]");
        TensorChecks.FloatingPoint(rewards, nameof(rewards));
        TensorChecks.Finite(tau, nameof(tau));
        if (tau < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be zero or positive: a negative tau favours low rewards.");
        }

        using var scope = NewDisposeScope();
        return (nn.functional.softmax(rewards.detach() * tau, 0) * rewards.shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>Computes the loss.</summary>
    /// <param name="velocity">[batch, ...] v_theta(x_t, t, c) (differentiable).</param>
    /// <param name="targetVelocity">[batch, ...] u = x1 - x0.</param>
    /// <param name="referenceVelocity">[batch, ...] v_ref(x_t, t, c) (constant).</param>
    /// <param name="rewards">[batch] rewards of the samples x1.</param>
    /// <param name="tau">Reward temperature; default 0.5.</param>
    /// <param name="alpha">W2 coefficient; default 1.</param>
    public static FlowMatchingLossOutput Compute(Tensor velocity, Tensor targetVelocity, Tensor referenceVelocity, Tensor rewards, double tau = DefaultTau, double alpha = DefaultAlpha)
    {
        TensorChecks.MinRank(velocity, 2, nameof(velocity), "[batch, ...]");
        TensorChecks.SameShape(targetVelocity, nameof(targetVelocity), velocity, nameof(velocity));
        TensorChecks.SameShape(referenceVelocity, nameof(referenceVelocity), velocity, nameof(velocity));
        TensorChecks.PerSample(rewards, nameof(rewards), velocity, nameof(velocity));
        TensorChecks.Finite(alpha, nameof(alpha));
        if (alpha < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha (the W2 coefficient) must be zero or positive.");
        }

        using var scope = NewDisposeScope();
        var weights = Weights(rewards, tau).to_type(velocity.dtype);
        var matching = (weights * VelocityError.PerSample(velocity, targetVelocity.detach())).mean();
        var w2 = VelocityError.PerSample(velocity, referenceVelocity.detach()).mean();
        var regularization = w2 * alpha;
        return new FlowMatchingLossOutput(
            (matching + regularization).MoveToOuterDisposeScope(),
            matching.detach().MoveToOuterDisposeScope(),
            regularization.detach().MoveToOuterDisposeScope(),
            w2.detach().MoveToOuterDisposeScope());
    }
}
