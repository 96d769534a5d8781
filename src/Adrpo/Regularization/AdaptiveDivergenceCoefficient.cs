using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Regularization;

/// <summary>
/// ADRPO's advantage-adaptive coefficient, <c>beta_i = beta0 - clip(A_i, Amin, Amax)</c> (eq. 4; Algorithm 1,
/// lines 13-14): high-advantage samples are regularized less (exploitation), low-advantage samples more
/// (conservative exploration).
/// </summary>
/// <remarks>
/// <para>
/// Negative coefficients are rejected up front: the constructor requires <c>beta0 &gt;= Amax</c>, so the smallest
/// coefficient, <c>beta0 - Amax</c>, is never below zero. A negative coefficient would reward moving away from
/// the reference model, which is not what eq. 4 is for and makes training diverge. The paper's settings sit
/// exactly on the boundary (beta0 = Amax), so the best samples of a group may get a coefficient of 0.
/// </para>
/// <para>The clip range must contain 0 because group-relative advantages are centred on 0.</para>
/// </remarks>
internal sealed class AdaptiveDivergenceCoefficient : IDivergenceCoefficient
{
    /// <summary>Creates the coefficient; see the class remarks for the constraints.</summary>
    /// <param name="beta0">Baseline coefficient beta0.</param>
    /// <param name="minAdvantage">Lower clip bound Amin (at most 0).</param>
    /// <param name="maxAdvantage">Upper clip bound Amax (at least 0, at most <paramref name="beta0"/>).</param>
    public AdaptiveDivergenceCoefficient(double beta0, double minAdvantage, double maxAdvantage)
    {
        TensorChecks.Finite(beta0, nameof(beta0));
        TensorChecks.Finite(minAdvantage, nameof(minAdvantage));
        TensorChecks.Finite(maxAdvantage, nameof(maxAdvantage));
        if (minAdvantage > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minAdvantage), minAdvantage, "minAdvantage (Amin) must be at most 0: group-relative advantages are centred on 0.");
        }

        if (maxAdvantage < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxAdvantage), maxAdvantage, "maxAdvantage (Amax) must be at least 0: group-relative advantages are centred on 0.");
        }

        if (beta0 < maxAdvantage)
        {
            throw new ArgumentOutOfRangeException(nameof(beta0), beta0, $"beta0 ({beta0}) must be at least maxAdvantage ({maxAdvantage}); otherwise samples with a large advantage get a negative divergence coefficient beta0 - A, which rewards divergence from the reference model.");
        }

        Beta0 = beta0;
        MinAdvantage = minAdvantage;
        MaxAdvantage = maxAdvantage;
    }

    /// <summary>The paper's LLM setting (section 4.1): beta0 = 0.04, A clipped to [-0.04, 0.04].</summary>
    public static AdaptiveDivergenceCoefficient PaperLanguageModelDefaults => new(0.04, -0.04, 0.04);

    /// <summary>The paper's flow-matching setting (section 4.1): beta0 = 1, A clipped to [-1, 1].</summary>
    public static AdaptiveDivergenceCoefficient PaperFlowMatchingDefaults => new(1.0, -1.0, 1.0);

    /// <summary>Baseline coefficient beta0.</summary>
    public double Beta0 { get; }

    /// <summary>Lower advantage clip bound Amin.</summary>
    public double MinAdvantage { get; }

    /// <summary>Upper advantage clip bound Amax.</summary>
    public double MaxAdvantage { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor advantages)
    {
        TensorChecks.Rank(advantages, 1, nameof(advantages), "[samples]");
        TensorChecks.FloatingPoint(advantages, nameof(advantages));
        using var clipped = advantages.clamp(MinAdvantage, MaxAdvantage);
        return clipped.neg().add_(Beta0);
    }

    /// <inheritdoc />
    public override string ToString() => $"beta_i = {Beta0} - clip(A_i, {MinAdvantage}, {MaxAdvantage})";
}
