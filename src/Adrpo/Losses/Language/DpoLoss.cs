using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>
/// Direct Preference Optimization's sigmoid loss over sequence log-probabilities:
/// <c>-log sigmoid(beta * ((log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))))</c>,
/// with optional label smoothing (conservative DPO). The offline baseline of the paper.
/// </summary>
internal static class DpoLoss
{
    /// <summary>Computes the mean loss over the pairs.</summary>
    /// <param name="chosenLogProbs">[pairs] policy log-probabilities of the preferred completions.</param>
    /// <param name="rejectedLogProbs">[pairs] policy log-probabilities of the dispreferred completions.</param>
    /// <param name="referenceChosenLogProbs">[pairs] reference log-probabilities of the preferred completions.</param>
    /// <param name="referenceRejectedLogProbs">[pairs] reference log-probabilities of the dispreferred completions.</param>
    /// <param name="beta">Inverse temperature of the implicit reward (TRL default 0.1); positive.</param>
    /// <param name="labelSmoothing">Assumed probability that a preference label is flipped, in [0, 0.5).</param>
    /// <returns>The scalar loss and the [pairs] implicit-reward margins <c>beta * (chosen - rejected)</c> (detached).</returns>
    public static (Tensor Loss, Tensor RewardMargins) Sigmoid(Tensor chosenLogProbs, Tensor rejectedLogProbs, Tensor referenceChosenLogProbs, Tensor referenceRejectedLogProbs, double beta, double labelSmoothing = 0.0)
    {
        TensorChecks.Rank(chosenLogProbs, 1, nameof(chosenLogProbs), "[pairs]");
        TensorChecks.FloatingPoint(chosenLogProbs, nameof(chosenLogProbs));
        TensorChecks.SameShape(rejectedLogProbs, nameof(rejectedLogProbs), chosenLogProbs, nameof(chosenLogProbs));
        TensorChecks.SameShape(referenceChosenLogProbs, nameof(referenceChosenLogProbs), chosenLogProbs, nameof(chosenLogProbs));
        TensorChecks.SameShape(referenceRejectedLogProbs, nameof(referenceRejectedLogProbs), chosenLogProbs, nameof(chosenLogProbs));
        if (!(beta > 0) || double.IsInfinity(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be a positive finite number (TRL's default is 0.1).");
        }

        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 0.5).");
        }

        using var scope = NewDisposeScope();
        var margin = (chosenLogProbs - referenceChosenLogProbs.detach()) - (rejectedLogProbs - referenceRejectedLogProbs.detach());
        var logits = margin * beta;
        var loss = nn.functional.logsigmoid(logits).neg() * (1 - labelSmoothing);
        if (labelSmoothing > 0)
        {
            loss = loss - (nn.functional.logsigmoid(logits.neg()) * labelSmoothing);
        }

        return (loss.mean().MoveToOuterDisposeScope(), logits.detach().MoveToOuterDisposeScope());
    }
}
