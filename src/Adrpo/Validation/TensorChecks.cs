using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Validation;

/// <summary>
/// Shape and dtype checks for tensors that users hand to the library. They run before any libtorch op
/// because some libtorch errors (e.g. a matmul shape mismatch) abort the whole process in TorchSharp 0.107.0
/// instead of throwing; a managed <see cref="ArgumentException"/> naming the parameter is thrown instead.
/// </summary>
/// <remarks>
/// Checks that read tensor values (<see cref="IndicesInRange"/>, <see cref="AnyTrue"/>) force a device sync, so they
/// run once where user-supplied tensors enter (public entry points); internal hot paths pass <c>checkValues: false</c>
/// for tensors the library built itself (issue 13). Shape, dtype and device checks read only metadata and stay.
/// </remarks>
internal static class TensorChecks
{
    [ThreadStatic]
    private static long t_valueReads;

    /// <summary>
    /// Tensor values these checks read back to the host on this thread (each one a device sync); the benchmarks report
    /// it per training step.
    /// </summary>
    internal static long ValueReads => t_valueReads;

    /// <summary>
    /// When set on this thread, internal callers run their value checks as public entry points do (the behaviour before
    /// issue 13). Only for the <c>checks</c> benchmark, which alternates both settings to measure what they cost.
    /// </summary>
    [ThreadStatic]
    internal static bool CheckInternalValues;

    /// <summary>Whether a caller that asked for <paramref name="checkValues"/> runs value checks.</summary>
    internal static bool ShouldCheckValues(bool checkValues) => checkValues || CheckInternalValues;

    /// <summary>Reads whether any element of a boolean tensor is true: one device sync, counted in <see cref="ValueReads"/>.</summary>
    public static bool AnyTrue(Tensor condition)
    {
        t_valueReads++;
        using var any = condition.any();
        return any.item<bool>();
    }

    public static void NotNull(Tensor? tensor, string name)
    {
        if (tensor is null)
        {
            throw new ArgumentNullException(name, $"Tensor '{name}' is required.");
        }

        if (tensor.IsInvalid)
        {
            throw new ArgumentException($"Tensor '{name}' has already been disposed.", name);
        }
    }

    /// <summary>Checks rank; <paramref name="layout"/> names the dimensions, e.g. "[batch, tokens]".</summary>
    public static void Rank(Tensor tensor, int rank, string name, string layout)
    {
        NotNull(tensor, name);
        if (tensor.dim() != rank)
        {
            throw new ArgumentException($"Tensor '{name}' has shape {Format(tensor.shape)}; expected {rank} dimensions {layout}.", name);
        }
    }

    public static void MinRank(Tensor tensor, int rank, string name, string layout)
    {
        NotNull(tensor, name);
        if (tensor.dim() < rank)
        {
            throw new ArgumentException($"Tensor '{name}' has shape {Format(tensor.shape)}; expected at least {rank} dimensions {layout}.", name);
        }
    }

    public static void SameShape(Tensor tensor, string name, Tensor reference, string referenceName)
    {
        NotNull(tensor, name);
        if (!tensor.shape.SequenceEqual(reference.shape))
        {
            throw new ArgumentException($"Tensor '{name}' has shape {Format(tensor.shape)}; expected {Format(reference.shape)}, the shape of '{referenceName}'.", name);
        }
    }

    /// <summary>Checks a per-sample vector: shape [batch] where batch is dimension 0 of <paramref name="reference"/>.</summary>
    public static void PerSample(Tensor tensor, string name, Tensor reference, string referenceName)
    {
        NotNull(tensor, name);
        long batch = reference.shape[0];
        if (tensor.dim() != 1 || tensor.shape[0] != batch)
        {
            throw new ArgumentException($"Tensor '{name}' has shape {Format(tensor.shape)}; expected [{batch}], one value per sample of '{referenceName}'.", name);
        }
    }

    public static void FloatingPoint(Tensor tensor, string name)
    {
        NotNull(tensor, name);
        if (!is_floating_point(tensor))
        {
            throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}; expected a floating-point dtype (float32, float64, bfloat16 or float16).", name);
        }
    }

    public static void Int64(Tensor tensor, string name)
    {
        NotNull(tensor, name);
        if (tensor.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}; expected int64 indices.", name);
        }
    }

    /// <summary>Checks that every index lies in [0, <paramref name="upperExclusive"/>) so gather/index ops cannot abort.</summary>
    public static void IndicesInRange(Tensor indices, long upperExclusive, string name, string what)
    {
        Int64(indices, name);
        if (indices.numel() == 0)
        {
            return;
        }

        t_valueReads += 2;
        using var minimum = indices.min();
        using var maximum = indices.max();
        long min = minimum.item<long>();
        long max = maximum.item<long>();
        if (min < 0 || max >= upperExclusive)
        {
            throw new ArgumentException($"Tensor '{name}' holds values in [{min}, {max}]; expected {what} in [0, {upperExclusive - 1}].", name);
        }
    }

    public static void SameDevice(Tensor tensor, string name, Tensor reference, string referenceName)
    {
        if (tensor.device.type != reference.device.type || tensor.device.index != reference.device.index)
        {
            throw new ArgumentException($"Tensor '{name}' is on {tensor.device}; expected {reference.device}, the device of '{referenceName}'.", name);
        }
    }

    public static void Finite(double value, string name)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be a finite number.");
        }
    }

    public static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
