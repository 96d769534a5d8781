using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>
/// GRPO's objective with a per-sample KL coefficient. With beta_i = beta0 - clip(A_i) this is ADRPO-GRPO (eq. 7);
/// with a constant beta_i it is GRPO (eq. 3). Per token:
/// <c>-min(ratio * A_i, clip(ratio) * A_i) + beta_i * k3(pi_theta, pi_ref)</c>, then aggregated over the mask.
/// </summary>
internal static class GrpoLoss
{
    /// <summary>Computes the loss.</summary>
    /// <param name="logProbs">[batch, tokens] current policy log-probabilities (differentiable).</param>
    /// <param name="oldLogProbs">[batch, tokens] sampling-policy log-probabilities; null when the batch gets one
    /// update only, in which case the ratio is 1 with the gradient of the current policy.</param>
    /// <param name="referenceLogProbs">[batch, tokens] reference-model log-probabilities; null disables the KL term.</param>
    /// <param name="advantages">[batch] advantages for the policy-gradient term.</param>
    /// <param name="beta">[batch] per-sample KL coefficients (from an <c>IDivergenceCoefficient</c>).</param>
    /// <param name="mask">[batch, tokens] 1 on completion tokens, 0 elsewhere.</param>
    /// <param name="settings">Clip widths and aggregation; null means the defaults.</param>
    public static GrpoLossOutput Compute(Tensor logProbs, Tensor? oldLogProbs, Tensor? referenceLogProbs, Tensor advantages, Tensor beta, Tensor mask, GrpoLossSettings? settings = null)
    {
        settings ??= new GrpoLossSettings();
        TensorChecks.Rank(logProbs, 2, nameof(logProbs), "[batch, tokens]");
        TensorChecks.SameShape(mask, nameof(mask), logProbs, nameof(logProbs));
        TensorChecks.PerSample(beta, nameof(beta), logProbs, nameof(logProbs));
        if (referenceLogProbs is not null)
        {
            TensorChecks.SameShape(referenceLogProbs, nameof(referenceLogProbs), logProbs, nameof(logProbs));
        }

        // ClippedSurrogate.PerToken's checks, made here once (in its order) so the surrogate need not repeat them.
        TensorChecks.FloatingPoint(logProbs, nameof(logProbs));
        if (oldLogProbs is not null)
        {
            TensorChecks.SameShape(oldLogProbs, nameof(oldLogProbs), logProbs, nameof(logProbs));
        }

        TensorChecks.PerSample(advantages, nameof(advantages), logProbs, nameof(logProbs));
        ClippedSurrogate.ValidateEpsilon(settings.EpsilonLow, "epsilonLow");
        ClippedSurrogate.ValidateEpsilon(settings.EpsilonHigh, "epsilonHigh");

        using var scope = NewDisposeScope();
        var old = oldLogProbs ?? logProbs.detach();
        var (policyPerToken, clipped) = ClippedSurrogate.PerTokenChecked(logProbs, old, advantages, settings.EpsilonLow, settings.EpsilonHigh);

        Tensor klPerToken = referenceLogProbs is null ? zeros_like(logProbs) : KlEstimator.K3(logProbs, referenceLogProbs);
        var penaltyPerToken = beta.detach().to_type(logProbs.dtype).unsqueeze(1) * klPerToken;

        Tensor Reduce(Tensor perToken) => MaskedAggregation.Reduce(perToken, mask, settings.Aggregation, settings.MaxCompletionLength, settings.GlobalTokenCount, settings.BatchRows);

        var output = new GrpoLossOutput(
            Reduce(policyPerToken + penaltyPerToken).MoveToOuterDisposeScope(),
            Reduce(policyPerToken).detach().MoveToOuterDisposeScope(),
            Reduce(penaltyPerToken).detach().MoveToOuterDisposeScope(),
            MaskedAggregation.Mean(klPerToken.detach(), mask).MoveToOuterDisposeScope(),
            MaskedAggregation.Mean(clipped, mask).MoveToOuterDisposeScope());
        return output;
    }
}
