using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// Seeded weight initialisation for the DiT modules. <c>torch.nn.init</c> in TorchSharp 0.107 draws from the global
/// RNG, which would make one model's init depend on whatever ran before (and resetting it would disturb the caller),
/// so every draw here takes an explicit <see cref="Generator"/>.
/// </summary>
internal static class DitInit
{
    /// <summary>Xavier-uniform weight (as DiT's <c>_basic_init</c>) and zero bias.</summary>
    public static void XavierUniform(Linear linear, Generator generator)
    {
        XavierUniform(linear.weight!, generator);
        Zero(linear.bias);
    }

    /// <summary>
    /// Xavier-uniform on the weight seen as [out, fan_in] (DiT inits the patch conv "like nn.Linear"):
    /// U(-b, b) with b = sqrt(6 / (fan_in + fan_out)).
    /// </summary>
    public static void XavierUniform(Tensor weight, Generator generator)
    {
        using var scope = NewDisposeScope();
        long fanOut = weight.shape[0];
        long fanIn = weight.numel() / fanOut;
        double bound = Math.Sqrt(6.0 / (fanIn + fanOut));
        Fill(weight, (rand(weight.shape, dtype: weight.dtype, generator: generator) * 2 - 1) * bound);
    }

    /// <summary>N(0, std^2) weight (DiT: the timestep MLP uses std 0.02) and zero bias.</summary>
    public static void Normal(Linear linear, double std, Generator generator)
    {
        using var scope = NewDisposeScope();
        var weight = linear.weight!;
        Fill(weight, randn(weight.shape, dtype: weight.dtype, generator: generator) * std);
        Zero(linear.bias);
    }

    /// <summary>Zero weight and bias: adaLN-Zero modulations and the final projection start as the identity / zero.</summary>
    public static void Zero(Linear linear)
    {
        Zero(linear.weight);
        Zero(linear.bias);
    }

    private static void Zero(Tensor? tensor)
    {
        if (tensor is not null)
        {
            using var _ = no_grad();
            tensor.zero_();
        }
    }

    private static void Fill(Tensor target, Tensor values)
    {
        // Callers open a dispose scope, so the drawn values are freed with it. Draws happen on the CPU (where the
        // generator lives); copy_ moves them to the parameter's device.
        using var _ = no_grad();
        target.copy_(values);
    }
}
