using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>Flow-GRPO's loss on one step per sample and its parts; dispose it or let a DisposeScope do so.</summary>
internal sealed class FlowGrpoLossOutput : IDisposable
{
    internal FlowGrpoLossOutput(Tensor loss, Tensor policyLoss, Tensor klLoss, Tensor meanKl, Tensor meanRatio, Tensor clippedFraction)
    {
        Loss = loss;
        PolicyLoss = policyLoss;
        KlLoss = klLoss;
        MeanKl = meanKl;
        MeanRatio = meanRatio;
        ClippedFraction = clippedFraction;
    }

    /// <summary>The scalar objective to minimise.</summary>
    public Tensor Loss { get; }

    /// <summary>The clipped surrogate alone (detached scalar).</summary>
    public Tensor PolicyLoss { get; }

    /// <summary>beta times the mean KL (detached scalar).</summary>
    public Tensor KlLoss { get; }

    /// <summary>The unweighted mean per-element KL to the reference step (detached scalar).</summary>
    public Tensor MeanKl { get; }

    /// <summary>The mean policy ratio (detached scalar; 1 at the first update after sampling).</summary>
    public Tensor MeanRatio { get; }

    /// <summary>The fraction of samples whose ratio left [1 - eps, 1 + eps] (detached scalar).</summary>
    public Tensor ClippedFraction { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        PolicyLoss.Dispose();
        KlLoss.Dispose();
        MeanKl.Dispose();
        MeanRatio.Dispose();
        ClippedFraction.Dispose();
    }
}
