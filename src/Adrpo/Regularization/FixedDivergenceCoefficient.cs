using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Regularization;

/// <summary>
/// A constant coefficient for every sample, <c>beta_i = beta</c> (eq. 2): the baselines, GRPO with a fixed KL
/// coefficient (eq. 3) and ORW-CFM-W2 with a fixed W2 coefficient.
/// </summary>
internal sealed class FixedDivergenceCoefficient : IDivergenceCoefficient
{
    /// <summary>Creates the coefficient.</summary>
    /// <param name="beta">The coefficient, zero or positive (0 disables the divergence term).</param>
    public FixedDivergenceCoefficient(double beta)
    {
        TensorChecks.Finite(beta, nameof(beta));
        if (beta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be zero or positive: a negative coefficient rewards divergence from the reference model.");
        }

        Beta = beta;
    }

    /// <summary>The paper's GRPO baseline (section 4.1): beta = 0.04.</summary>
    public static FixedDivergenceCoefficient PaperGrpoBaseline => new(0.04);

    /// <summary>The constant coefficient.</summary>
    public double Beta { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor advantages)
    {
        TensorChecks.Rank(advantages, 1, nameof(advantages), "[samples]");
        TensorChecks.FloatingPoint(advantages, nameof(advantages));
        return full_like(advantages, Beta);
    }

    /// <inheritdoc />
    public override string ToString() => $"beta_i = {Beta}";
}
