using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.FlowMatching;

/// <summary>
/// Per-sample squared error between two velocity fields, <c>|a - b|^2</c> averaged over the sample's elements.
/// The mean (rather than the sum) keeps the scale independent of image size; both terms of eq. 6 use it, so
/// their balance (the role of beta) is unchanged.
/// </summary>
internal static class VelocityError
{
    /// <summary>[batch] mean over all non-batch dimensions of <c>(a - b)^2</c>.</summary>
    public static Tensor PerSample(Tensor a, Tensor b)
    {
        TensorChecks.MinRank(a, 2, nameof(a), "[batch, ...]");
        TensorChecks.FloatingPoint(a, nameof(a));
        TensorChecks.SameShape(b, nameof(b), a, nameof(a));
        using var scope = NewDisposeScope();
        return (a - b).square().flatten(1).mean(new long[] { 1 }).MoveToOuterDisposeScope();
    }
}
