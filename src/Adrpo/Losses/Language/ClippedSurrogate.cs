using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>
/// PPO/GRPO's clipped policy-gradient term, the L_PG of eq. 3 and eq. 7:
/// <c>-min(ratio * A, clip(ratio, 1 - eps_low, 1 + eps_high) * A)</c> with <c>ratio = pi_theta / pi_old</c> per token.
/// </summary>
internal static class ClippedSurrogate
{
    /// <summary>Per-token clipped surrogate loss.</summary>
    /// <param name="logProbs">[batch, tokens] current policy log-probabilities (differentiable).</param>
    /// <param name="oldLogProbs">[batch, tokens] log-probabilities of the policy that sampled the tokens (constants).</param>
    /// <param name="advantages">[batch] one advantage per sequence, shared by its tokens.</param>
    /// <param name="epsilonLow">Lower clip: ratios below 1 - epsilonLow stop contributing gradient for A &lt; 0.</param>
    /// <param name="epsilonHigh">Upper clip: ratios above 1 + epsilonHigh stop contributing gradient for A &gt; 0
    /// (DAPO's "clip-higher" uses a larger value than epsilonLow).</param>
    /// <returns>[batch, tokens] losses and [batch, tokens] 1/0 flags of tokens whose clipped branch was taken.</returns>
    public static (Tensor Loss, Tensor Clipped) PerToken(Tensor logProbs, Tensor oldLogProbs, Tensor advantages, double epsilonLow, double epsilonHigh)
    {
        TensorChecks.Rank(logProbs, 2, nameof(logProbs), "[batch, tokens]");
        TensorChecks.FloatingPoint(logProbs, nameof(logProbs));
        TensorChecks.SameShape(oldLogProbs, nameof(oldLogProbs), logProbs, nameof(logProbs));
        TensorChecks.PerSample(advantages, nameof(advantages), logProbs, nameof(logProbs));
        ValidateEpsilon(epsilonLow, nameof(epsilonLow));
        ValidateEpsilon(epsilonHigh, nameof(epsilonHigh));
        return PerTokenChecked(logProbs, oldLogProbs, advantages, epsilonLow, epsilonHigh);
    }

    /// <summary><see cref="PerToken"/> without its checks, for <see cref="GrpoLoss"/>, which has made them already.</summary>
    internal static (Tensor Loss, Tensor Clipped) PerTokenChecked(Tensor logProbs, Tensor oldLogProbs, Tensor advantages, double epsilonLow, double epsilonHigh)
    {
        using var scope = NewDisposeScope();
        var a = advantages.detach().to_type(logProbs.dtype).unsqueeze(1);   // [B, 1]
        var ratio = (logProbs - oldLogProbs.detach()).exp();                // [B, T]
        var unclipped = ratio * a;
        var clipped = ratio.clamp(1 - epsilonLow, 1 + epsilonHigh) * a;
        var loss = minimum(unclipped, clipped).neg();
        var isClipped = ((ratio < 1 - epsilonLow) & (a < 0)) | ((ratio > 1 + epsilonHigh) & (a > 0));
        return (loss.MoveToOuterDisposeScope(), isClipped.to_type(logProbs.dtype).MoveToOuterDisposeScope());
    }

    internal static void ValidateEpsilon(double epsilon, string name)
    {
        if (!(epsilon >= 0) || epsilon >= 1e6)
        {
            throw new ArgumentOutOfRangeException(name, epsilon, $"{name} must be a non-negative clip width (GRPO uses 0.2).");
        }
    }
}
