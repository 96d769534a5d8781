using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// ADRPO for flow matching (eq. 6): advantage-weighted conditional flow matching plus a per-sample W2 penalty,
/// <c>mean_i [ A_i |v_i - u_i|^2 + beta_i |v_i - v_ref,i|^2 ]</c> with <c>beta_i = beta0 - A_i</c>.
/// Positive advantages pull v toward u, negative ones push it away (section 3.3.2).
/// </summary>
internal static class AdrpoFlowMatchingLoss
{
    /// <summary>Computes the loss.</summary>
    /// <param name="velocity">[batch, ...] v_theta(x_t, t, c) (differentiable).</param>
    /// <param name="targetVelocity">[batch, ...] u = x1 - x0.</param>
    /// <param name="referenceVelocity">[batch, ...] v_ref(x_t, t, c) (treated as a constant).</param>
    /// <param name="advantages">[batch] (clipped) advantages weighting the matching term.</param>
    /// <param name="beta">[batch] per-sample coefficients of the W2 term, e.g. from
    /// <see cref="Regularization.AdaptiveDivergenceCoefficient"/>.</param>
    public static FlowMatchingLossOutput Compute(Tensor velocity, Tensor targetVelocity, Tensor referenceVelocity, Tensor advantages, Tensor beta)
    {
        TensorChecks.MinRank(velocity, 2, nameof(velocity), "[batch, ...]");
        TensorChecks.SameShape(targetVelocity, nameof(targetVelocity), velocity, nameof(velocity));
        TensorChecks.SameShape(referenceVelocity, nameof(referenceVelocity), velocity, nameof(velocity));
        TensorChecks.PerSample(advantages, nameof(advantages), velocity, nameof(velocity));
        TensorChecks.PerSample(beta, nameof(beta), velocity, nameof(velocity));

        using var scope = NewDisposeScope();
        var matching = VelocityError.PerSample(velocity, targetVelocity.detach());   // [B]
        var w2 = VelocityError.PerSample(velocity, referenceVelocity.detach());      // [B]
        var weightedMatching = advantages.detach().to_type(velocity.dtype) * matching;
        var weightedW2 = beta.detach().to_type(velocity.dtype) * w2;
        return new FlowMatchingLossOutput(
            (weightedMatching + weightedW2).mean().MoveToOuterDisposeScope(),
            weightedMatching.mean().detach().MoveToOuterDisposeScope(),
            weightedW2.mean().detach().MoveToOuterDisposeScope(),
            w2.mean().detach().MoveToOuterDisposeScope());
    }
}
