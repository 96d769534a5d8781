using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>A flow-matching fine-tuning loss and its parts; dispose it or let a DisposeScope do so.</summary>
internal sealed class FlowMatchingLossOutput : IDisposable
{
    internal FlowMatchingLossOutput(Tensor loss, Tensor matchingLoss, Tensor regularizationLoss, Tensor meanW2)
    {
        Loss = loss;
        MatchingLoss = matchingLoss;
        RegularizationLoss = regularizationLoss;
        MeanW2 = meanW2;
    }

    /// <summary>The scalar objective to minimise.</summary>
    public Tensor Loss { get; }

    /// <summary>The (weighted) conditional flow-matching part alone (detached scalar).</summary>
    public Tensor MatchingLoss { get; }

    /// <summary>The (weighted) divergence part alone (detached scalar); 0 for losses without one.</summary>
    public Tensor RegularizationLoss { get; }

    /// <summary>Unweighted batch mean of <c>|v - v_ref|^2</c>, the W2 divergence metric (detached scalar).</summary>
    public Tensor MeanW2 { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        MatchingLoss.Dispose();
        RegularizationLoss.Dispose();
        MeanW2.Dispose();
    }
}
