using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>The loss of <see cref="GrpoLoss"/> and its parts (scalars); dispose it or let a DisposeScope do so.</summary>
internal sealed class GrpoLossOutput : IDisposable
{
    internal GrpoLossOutput(Tensor loss, Tensor policyLoss, Tensor klPenalty, Tensor meanKl, Tensor clipRatio)
    {
        Loss = loss;
        PolicyLoss = policyLoss;
        KlPenalty = klPenalty;
        MeanKl = meanKl;
        ClipRatio = clipRatio;
    }

    /// <summary>The objective to minimise: aggregated <c>L_PG + beta_i * KL</c> (eq. 7).</summary>
    public Tensor Loss { get; }

    /// <summary>The aggregated clipped policy-gradient part alone.</summary>
    public Tensor PolicyLoss { get; }

    /// <summary>The aggregated <c>beta_i * KL</c> part alone.</summary>
    public Tensor KlPenalty { get; }

    /// <summary>Token-level mean of the k3 KL estimate (a metric, detached).</summary>
    public Tensor MeanKl { get; }

    /// <summary>Fraction of completion tokens whose clipped branch was taken (a metric, detached).</summary>
    public Tensor ClipRatio { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        PolicyLoss.Dispose();
        KlPenalty.Dispose();
        MeanKl.Dispose();
        ClipRatio.Dispose();
    }
}
