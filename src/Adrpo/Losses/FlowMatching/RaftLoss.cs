using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// RAFT (reward-ranked fine-tuning, Dong et al.): keep the best samples of each prompt's group and train on
/// them with the plain conditional flow-matching loss; no divergence term.
/// </summary>
internal static class RaftLoss
{
    /// <summary>
    /// Selects the top <c>ceil(fraction * groupSize)</c> samples by reward within each contiguous group.
    /// Ties keep the lower index first.
    /// </summary>
    /// <param name="rewards">[N] rewards, N a multiple of <paramref name="groupSize"/>.</param>
    /// <param name="groupSize">Samples per prompt.</param>
    /// <param name="fraction">Fraction kept per group, in (0, 1].</param>
    /// <returns>[N] mask, 1 for kept samples (same dtype as <paramref name="rewards"/>).</returns>
    public static Tensor SelectTop(Tensor rewards, int groupSize, double fraction)
    {
        TensorChecks.Rank(rewards, 1, nameof(rewards), "[samples]");
        TensorChecks.FloatingPoint(rewards, nameof(rewards));
        if (groupSize < 1 || rewards.shape[0] % groupSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, $"groupSize must be at least 1 and divide the {rewards.shape[0]} samples.");
        }

        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "fraction (RAFT's kept share) must be in (0, 1].");
        }

        int keep = (int)Math.Ceiling(fraction * groupSize - 1e-9);
        using var scope = NewDisposeScope();
        var grouped = rewards.detach().reshape(-1, groupSize);                       // [G, K]
        // A stable descending sort makes ties deterministic (lower index first), unlike topk.
        var order = grouped.sort(1, descending: true, stable: true).Indices.narrow(1, 0, keep);   // [G, keep]
        var mask = zeros_like(grouped).scatter_(1, order, ones(order.shape, dtype: grouped.dtype, device: grouped.device));
        return mask.reshape(-1).MoveToOuterDisposeScope();
    }

    /// <summary>Plain CFM, <c>|v - u|^2</c>, averaged over the kept samples.</summary>
    /// <param name="velocity">[batch, ...] v_theta (differentiable).</param>
    /// <param name="targetVelocity">[batch, ...] u = x1 - x0.</param>
    /// <param name="keep">[batch] 1 for kept samples (see <see cref="SelectTop"/>), 0 otherwise.</param>
    public static FlowMatchingLossOutput Compute(Tensor velocity, Tensor targetVelocity, Tensor keep)
    {
        TensorChecks.MinRank(velocity, 2, nameof(velocity), "[batch, ...]");
        TensorChecks.SameShape(targetVelocity, nameof(targetVelocity), velocity, nameof(velocity));
        TensorChecks.PerSample(keep, nameof(keep), velocity, nameof(velocity));

        using var scope = NewDisposeScope();
        var k = keep.detach().to_type(velocity.dtype);
        double kept = k.sum().to_type(ScalarType.Float64).item<double>();
        if (kept <= 0)
        {
            throw new ArgumentException("Tensor 'keep' selects no sample; RAFT needs at least one kept sample.", nameof(keep));
        }

        var loss = (k * VelocityError.PerSample(velocity, targetVelocity.detach())).sum() / kept;
        return new FlowMatchingLossOutput(
            loss.MoveToOuterDisposeScope(),
            loss.detach().MoveToOuterDisposeScope(),
            zeros(new long[0], dtype: velocity.dtype, device: velocity.device).MoveToOuterDisposeScope(),
            zeros(new long[0], dtype: velocity.dtype, device: velocity.device).MoveToOuterDisposeScope());
    }
}
