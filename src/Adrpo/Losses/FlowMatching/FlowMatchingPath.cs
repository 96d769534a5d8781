using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// The straight-line (rectified-flow) probability path of the paper: noise at t = 0, data at t = 1,
/// <c>x_t = (1 - t) x0 + t x1</c> and target velocity <c>u = x1 - x0</c> (section 3.3.2; Algorithm 1, lines 8-9).
/// </summary>
internal static class FlowMatchingPath
{
    /// <summary>The point on the path at time <paramref name="t"/>.</summary>
    /// <param name="x0">[batch, ...] noise samples, x0 ~ N(0, I).</param>
    /// <param name="x1">[batch, ...] data (generated) samples, same shape.</param>
    /// <param name="t">[batch] times in [0, 1], one per sample.</param>
    /// <returns>[batch, ...] x_t.</returns>
    public static Tensor Interpolate(Tensor x0, Tensor x1, Tensor t)
    {
        TensorChecks.MinRank(x1, 1, nameof(x1), "[batch, ...]");
        TensorChecks.SameShape(x0, nameof(x0), x1, nameof(x1));
        TensorChecks.PerSample(t, nameof(t), x1, nameof(x1));
        using var scope = NewDisposeScope();
        var tt = BroadcastPerSample(t.to_type(x1.dtype), x1.dim());
        return ((1 - tt) * x0 + tt * x1).MoveToOuterDisposeScope();
    }

    /// <summary>The conditional target velocity <c>u = x1 - x0</c>.</summary>
    public static Tensor TargetVelocity(Tensor x0, Tensor x1)
    {
        TensorChecks.SameShape(x0, nameof(x0), x1, nameof(x1));
        return x1 - x0;
    }

    /// <summary>Reshapes [batch] to [batch, 1, ..., 1] with <paramref name="rank"/> dimensions.</summary>
    internal static Tensor BroadcastPerSample(Tensor perSample, long rank)
    {
        var shape = new long[rank];
        Array.Fill(shape, 1L);
        shape[0] = perSample.shape[0];
        return perSample.reshape(shape);
    }
}
