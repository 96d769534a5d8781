using static TorchSharp.torch;

namespace Adrpo.Tests.Infrastructure;

/// <summary>Bit-exact tensor comparison for tests.</summary>
internal static class TensorEquality
{
    /// <summary>True when both tensors have the same shape and every element is equal.</summary>
    public static bool BitEqual(this Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();
}
