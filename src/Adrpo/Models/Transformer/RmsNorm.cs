using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Transformer;

/// <summary>
/// Root-mean-square layer norm as in Qwen2/Qwen3 (and Llama): <c>weight * x / sqrt(mean(x^2) + eps)</c>, with the
/// normalisation computed in float32 whatever the input dtype. The field is named like the Hugging Face key
/// (<c>weight</c>), so checkpoints load by name.
/// </summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Hugging Face key name
    private readonly Parameter weight;
#pragma warning restore IDE1006

    /// <summary>Creates the norm with a weight of ones.</summary>
    /// <param name="hiddenSize">Size of the last dimension.</param>
    /// <param name="eps">Added to the mean square (Qwen3: 1e-6).</param>
    /// <param name="dtype">Parameter dtype.</param>
    public RmsNorm(long hiddenSize, double eps = 1e-6, ScalarType dtype = ScalarType.Float32) : base(nameof(RmsNorm))
    {
        if (hiddenSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "hiddenSize must be at least 1.");
        }

        if (!(eps > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps (rms_norm_eps) must be positive.");
        }

        Eps = eps;
        weight = new Parameter(ones(hiddenSize, dtype: dtype));
        RegisterComponents();
    }

    /// <summary>The epsilon added to the mean square.</summary>
    public double Eps { get; }

    /// <param name="input">[..., hidden] activations.</param>
    /// <returns>[..., hidden] normalised activations, in the input's dtype.</returns>
    public override Tensor forward(Tensor input)
    {
        if (input.shape[^1] != weight.shape[0])
        {
            throw new ArgumentException($"Tensor 'input' has last dimension {input.shape[^1]}; expected {weight.shape[0]} (hidden size).", nameof(input));
        }

        using var scope = NewDisposeScope();
        var x = input.to_type(ScalarType.Float32);
        var normalised = x * (x.square().mean(new long[] { -1 }, keepdim: true) + Eps).rsqrt();
        return (weight * normalised.to_type(input.dtype)).MoveToOuterDisposeScope();
    }
}
