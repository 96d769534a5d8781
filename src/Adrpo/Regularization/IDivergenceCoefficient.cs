using static TorchSharp.torch;

namespace Adrpo.Regularization;

/// <summary>
/// The per-sample weight of the divergence term: the <c>beta</c> of eq. 2 (fixed, the baselines) or the
/// <c>beta0 - A</c> of eq. 4 (ADRPO).
/// </summary>
internal interface IDivergenceCoefficient
{
    /// <summary>Computes beta_i for each sample.</summary>
    /// <param name="advantages">[N] advantages (unclipped; implementations clip as they need).</param>
    /// <returns>[N] non-negative coefficients, same dtype and device as <paramref name="advantages"/>.</returns>
    Tensor Compute(Tensor advantages);
}
