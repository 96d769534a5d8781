using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>Per-token estimators of KL(pi_theta || pi_ref) from log-probabilities of sampled tokens.</summary>
internal static class KlEstimator
{
    /// <summary>
    /// Schulman's k3 estimator used by GRPO: <c>exp(r) - r - 1</c> with <c>r = log pi_ref - log pi_theta</c>.
    /// Unbiased for KL(pi_theta || pi_ref) under samples from pi_theta, and never negative.
    /// This is the D_KL of eq. 3 and eq. 7.
    /// </summary>
    /// <param name="logProbs">[batch, tokens] policy log-probabilities (differentiable).</param>
    /// <param name="referenceLogProbs">[batch, tokens] reference-model log-probabilities (treated as constants).</param>
    /// <returns>[batch, tokens] per-token KL estimates.</returns>
    public static Tensor K3(Tensor logProbs, Tensor referenceLogProbs)
    {
        TensorChecks.FloatingPoint(logProbs, nameof(logProbs));
        TensorChecks.SameShape(referenceLogProbs, nameof(referenceLogProbs), logProbs, nameof(logProbs));
        using var scope = NewDisposeScope();
        var r = referenceLogProbs.detach() - logProbs;
        return (r.exp() - r - 1).MoveToOuterDisposeScope();
    }
}
