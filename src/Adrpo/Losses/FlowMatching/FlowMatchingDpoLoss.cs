using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// Diffusion-DPO (Wallace et al.) for flow matching, velocity errors in place of noise-prediction errors:
/// <c>-log sigmoid(-beta/2 * [(e_w - e_ref,w) - (e_l - e_ref,l)])</c> with <c>e = |v - u|^2</c> per sample
/// (mean over elements) for the preferred (w) and dispreferred (l) sample of each pair. The offline baseline.
/// </summary>
internal static class FlowMatchingDpoLoss
{
    /// <summary>A default beta suited to mean-reduced velocity errors of order 1.</summary>
    public const double DefaultBeta = 500.0;

    /// <summary>Computes the mean loss over the pairs and the fraction of pairs ranked correctly.</summary>
    /// <param name="velocityWin">[pairs, ...] v_theta at the preferred sample's x_t (differentiable).</param>
    /// <param name="targetWin">[pairs, ...] u for the preferred sample.</param>
    /// <param name="referenceVelocityWin">[pairs, ...] v_ref at the preferred sample's x_t (constant).</param>
    /// <param name="velocityLose">[pairs, ...] v_theta at the dispreferred sample's x_t (differentiable).</param>
    /// <param name="targetLose">[pairs, ...] u for the dispreferred sample.</param>
    /// <param name="referenceVelocityLose">[pairs, ...] v_ref at the dispreferred sample's x_t (constant).</param>
    /// <param name="beta">Inverse temperature, positive.</param>
    public static (Tensor Loss, Tensor Accuracy) Compute(Tensor velocityWin, Tensor targetWin, Tensor referenceVelocityWin, Tensor velocityLose, Tensor targetLose, Tensor referenceVelocityLose, double beta = DefaultBeta)
    {
        TensorChecks.MinRank(velocityWin, 2, nameof(velocityWin), "[pairs, ...]");
        TensorChecks.SameShape(targetWin, nameof(targetWin), velocityWin, nameof(velocityWin));
        TensorChecks.SameShape(referenceVelocityWin, nameof(referenceVelocityWin), velocityWin, nameof(velocityWin));
        TensorChecks.SameShape(velocityLose, nameof(velocityLose), velocityWin, nameof(velocityWin));
        TensorChecks.SameShape(targetLose, nameof(targetLose), velocityWin, nameof(velocityWin));
        TensorChecks.SameShape(referenceVelocityLose, nameof(referenceVelocityLose), velocityWin, nameof(velocityWin));
        if (!(beta > 0) || double.IsInfinity(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be a positive finite number.");
        }

        using var scope = NewDisposeScope();
        var modelWin = VelocityError.PerSample(velocityWin, targetWin.detach());
        var modelLose = VelocityError.PerSample(velocityLose, targetLose.detach());
        var refWin = VelocityError.PerSample(referenceVelocityWin.detach(), targetWin.detach());
        var refLose = VelocityError.PerSample(referenceVelocityLose.detach(), targetLose.detach());
        var inside = ((modelWin - refWin) - (modelLose - refLose)) * (-0.5 * beta);
        var loss = nn.functional.logsigmoid(inside).neg().mean();
        var accuracy = (inside.detach() > 0).to_type(velocityWin.dtype).mean();
        return (loss.MoveToOuterDisposeScope(), accuracy.MoveToOuterDisposeScope());
    }
}
