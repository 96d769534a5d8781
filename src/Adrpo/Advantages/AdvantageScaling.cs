namespace Adrpo.Advantages;

/// <summary>
/// How group-relative advantages are scaled after the group mean is subtracted (TRL's <c>scale_rewards</c>).
/// </summary>
public enum AdvantageScaling
{
    /// <summary>
    /// No scaling: <c>A = R - mean_group(R)</c>, the paper's estimator (section 3.3.2, Algorithm 1, lines 11-12).
    /// Advantages keep the reward's units, so the clip range [Amin, Amax] is in reward units too.
    /// </summary>
    None,

    /// <summary>Divide by the standard deviation of the sample's own group (GRPO as originally published).</summary>
    Group,

    /// <summary>Divide by the standard deviation of all rewards in the batch.</summary>
    Batch,
}
