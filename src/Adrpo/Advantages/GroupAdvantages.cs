using Adrpo.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Advantages;

/// <summary>
/// Group-relative advantages: each sample's reward minus the mean reward of the samples drawn for the same
/// prompt (the per-prompt value baseline V(c) of section 3.3.2; Algorithm 1, lines 11-12), optionally scaled,
/// and the advantage clipping of section 3.3.2 ("Stabilization").
/// </summary>
internal static class GroupAdvantages
{
    /// <summary>Added to the standard deviation before dividing, as TRL does, so constant groups give 0, not NaN.</summary>
    public const double DefaultScalingEpsilon = 1e-4;

    /// <summary>
    /// Advantages for samples laid out in contiguous groups of <paramref name="groupSize"/> (prompt 0's samples,
    /// then prompt 1's, ...), the layout the trainers produce.
    /// </summary>
    /// <param name="rewards">[N] rewards, N a multiple of <paramref name="groupSize"/>.</param>
    /// <param name="groupSize">Samples per prompt (G), at least 1.</param>
    /// <param name="scaling">Optional division by a standard deviation; see <see cref="AdvantageScaling"/>.</param>
    /// <param name="epsilon">Added to the standard deviation when scaling.</param>
    /// <returns>[N] advantages, same dtype and device as <paramref name="rewards"/>.</returns>
    public static Tensor Compute(Tensor rewards, int groupSize, AdvantageScaling scaling = AdvantageScaling.None, double epsilon = DefaultScalingEpsilon)
    {
        TensorChecks.Rank(rewards, 1, nameof(rewards), "[samples]");
        if (groupSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "groupSize (samples per prompt) must be at least 1.");
        }

        if (rewards.shape[0] % groupSize != 0)
        {
            throw new ArgumentException($"Tensor 'rewards' has {rewards.shape[0]} samples, which is not a multiple of groupSize {groupSize}.", nameof(rewards));
        }

        using var scope = NewDisposeScope();
        using var groups = arange(rewards.shape[0] / groupSize, dtype: ScalarType.Int64, device: rewards.device);
        return Compute(rewards, groups.repeat_interleave(groupSize), scaling, epsilon).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Advantages for samples whose prompt is given by <paramref name="groupIndex"/>; groups may differ in size
    /// (for example after samples with non-finite rewards were dropped).
    /// </summary>
    /// <param name="rewards">[N] rewards.</param>
    /// <param name="groupIndex">[N] int64 group (prompt) index of each sample, in [0, number of groups).</param>
    /// <param name="scaling">Optional division by a standard deviation; see <see cref="AdvantageScaling"/>.</param>
    /// <param name="epsilon">Added to the standard deviation when scaling.</param>
    /// <returns>[N] advantages. A group of one sample has advantage 0 (and standard deviation 0).</returns>
    public static Tensor Compute(Tensor rewards, Tensor groupIndex, AdvantageScaling scaling = AdvantageScaling.None, double epsilon = DefaultScalingEpsilon) =>
        Compute(rewards, groupIndex, scaling, epsilon, checkValues: true);

    /// <summary><see cref="Compute(Tensor, Tensor, AdvantageScaling, double)"/>; with <paramref name="checkValues"/>
    /// false the group indices are not range-checked (two device syncs saved), for the trainers' own group indices.</summary>
    internal static Tensor Compute(Tensor rewards, Tensor groupIndex, AdvantageScaling scaling, double epsilon, bool checkValues)
    {
        TensorChecks.Rank(rewards, 1, nameof(rewards), "[samples]");
        TensorChecks.FloatingPoint(rewards, nameof(rewards));
        TensorChecks.PerSample(groupIndex, nameof(groupIndex), rewards, nameof(rewards));
        if (TensorChecks.ShouldCheckValues(checkValues))
        {
            TensorChecks.IndicesInRange(groupIndex, rewards.shape[0], nameof(groupIndex), "group indices");
        }
        else
        {
            TensorChecks.Int64(groupIndex, nameof(groupIndex));
        }

        TensorChecks.SameDevice(groupIndex, nameof(groupIndex), rewards, nameof(rewards));
        if (epsilon < 0 || double.IsNaN(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be zero or positive.");
        }

        using var scope = NewDisposeScope();
        long groupCount = groupIndex.numel() == 0 ? 0 : groupIndex.max().item<long>() + 1;
        var counts = zeros(groupCount, dtype: rewards.dtype, device: rewards.device).index_add_(0, groupIndex, ones_like(rewards), 1);
        var sums = zeros(groupCount, dtype: rewards.dtype, device: rewards.device).index_add_(0, groupIndex, rewards, 1);
        var means = sums / counts.clamp_min(1);
        var advantages = rewards - means.index_select(0, groupIndex);

        switch (scaling)
        {
            case AdvantageScaling.None:
                break;
            case AdvantageScaling.Group:
                // Unbiased (Bessel-corrected) standard deviation per group, as torch.std; 0 for groups of one.
                var squares = zeros(groupCount, dtype: rewards.dtype, device: rewards.device).index_add_(0, groupIndex, advantages.square(), 1);
                var groupStd = (squares / (counts - 1).clamp_min(1)).sqrt();
                advantages = advantages / (groupStd.index_select(0, groupIndex) + epsilon);
                break;
            case AdvantageScaling.Batch:
                var batchStd = rewards.shape[0] > 1 ? rewards.std() : zeros(1, dtype: rewards.dtype, device: rewards.device);
                advantages = advantages / (batchStd + epsilon);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "Unknown AdvantageScaling.");
        }

        return advantages.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Advantage clipping, <c>clip(A, Amin, Amax)</c> (section 3.3.2, "Stabilization"; Algorithm 1, line 13).
    /// </summary>
    public static Tensor Clip(Tensor advantages, double minAdvantage, double maxAdvantage)
    {
        TensorChecks.FloatingPoint(advantages, nameof(advantages));
        TensorChecks.Finite(minAdvantage, nameof(minAdvantage));
        TensorChecks.Finite(maxAdvantage, nameof(maxAdvantage));
        if (minAdvantage > maxAdvantage)
        {
            throw new ArgumentOutOfRangeException(nameof(minAdvantage), minAdvantage, $"minAdvantage ({minAdvantage}) must not exceed maxAdvantage ({maxAdvantage}).");
        }

        return advantages.clamp(minAdvantage, maxAdvantage);
    }
}
