using static TorchSharp.torch;

namespace Adrpo.Models.Transformer;

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate half" layout used by Qwen2/Qwen3: the head dimension is
/// split into two halves that form the (x, y) pairs rotated by <c>position * theta^(-2i/d)</c> (Llama 3.1+: those
/// frequencies rescaled by <see cref="Llama3RopeScaling"/>).
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly double[] _inverseFrequencies;

    /// <summary>Creates the embedding.</summary>
    /// <param name="headDim">Per-head dimension (even).</param>
    /// <param name="theta">Base (rope_theta; Qwen3: 1,000,000).</param>
    /// <param name="llama3Scaling">Llama 3.1's frequency rescaling; null for plain RoPE.</param>
    public RotaryEmbedding(int headDim, double theta = 1_000_000, Llama3RopeScaling? llama3Scaling = null)
    {
        if (headDim < 2 || headDim % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "headDim must be a positive even number.");
        }

        if (!(theta > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "theta (rope_theta) must be greater than 1.");
        }

        HeadDim = headDim;
        _inverseFrequencies = Enumerable.Range(0, headDim / 2)
            .Select(i => 1.0 / Math.Pow(theta, 2.0 * i / headDim))
            .Select(f => llama3Scaling?.Rescale(f) ?? f)
            .ToArray();
    }

    /// <summary>The inverse frequency of each rotary pair, <c>headDim / 2</c> values.</summary>
    public IReadOnlyList<double> InverseFrequencies => _inverseFrequencies;

    /// <summary>Per-head dimension.</summary>
    public int HeadDim { get; }

    /// <summary>cos and sin tables for the given positions.</summary>
    /// <param name="positions">[batch, tokens] int64 positions (left padding gives per-row offsets).</param>
    /// <param name="dtype">dtype of the tables.</param>
    /// <returns>cos and sin, each [batch, 1, tokens, headDim], ready to broadcast over heads.</returns>
    public (Tensor Cos, Tensor Sin) Tables(Tensor positions, ScalarType dtype = ScalarType.Float32)
    {
        if (positions.dim() != 2 || positions.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"Tensor 'positions' must be int64 [batch, tokens]; got {positions.dtype} with shape [{string.Join(", ", positions.shape)}].", nameof(positions));
        }

        using var scope = NewDisposeScope();
        var inv = tensor(_inverseFrequencies, dtype: ScalarType.Float64, device: positions.device);
        var angles = positions.to_type(ScalarType.Float64).unsqueeze(-1) * inv;   // [B, T, d/2]
        var full = cat(new[] { angles, angles }, -1).unsqueeze(1);               // [B, 1, T, d]
        return (full.cos().to_type(dtype).MoveToOuterDisposeScope(), full.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates queries or keys: <c>x * cos + rotate_half(x) * sin</c>.</summary>
    /// <param name="x">[batch, heads, tokens, headDim].</param>
    /// <param name="cos">[batch, 1, tokens, headDim] from <see cref="Tables"/>.</param>
    /// <param name="sin">[batch, 1, tokens, headDim] from <see cref="Tables"/>.</param>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        if (x.dim() != 4 || cos.dim() != 4 || x.shape[0] != cos.shape[0] || x.shape[2] != cos.shape[2] || x.shape[3] != cos.shape[3])
        {
            throw new ArgumentException($"Tensor 'x' [{string.Join(", ", x.shape)}] does not match the rotary tables [{string.Join(", ", cos.shape)}]; expected [batch, heads, tokens, headDim] and [batch, 1, tokens, headDim].", nameof(x));
        }

        using var scope = NewDisposeScope();
        long half = x.shape[3] / 2;
        var rotated = cat(new[] { x.narrow(3, half, half).neg(), x.narrow(3, 0, half) }, 3);
        return ((x * cos) + (rotated * sin)).MoveToOuterDisposeScope();
    }
}
