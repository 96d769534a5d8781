using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// DiT's <c>TimestepEmbedder</c>: sinusoidal features of the time followed by Linear - SiLU - Linear (keys
/// <c>mlp.0</c>, <c>mlp.2</c>). Flow-matching time t in [0, 1] is scaled by 1000 first, so the frequencies (periods
/// from 2 pi to 10000 * 2 pi) see the same range as DiT's integer diffusion steps.
/// </summary>
internal sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    /// <summary>Multiplier from flow time in [0, 1] to DiT's step scale.</summary>
    public const double TimeScale = 1000.0;

    private const double MaxPeriod = 10000.0;

#pragma warning disable IDE1006 // DiT key names
    private readonly Sequential mlp;
#pragma warning restore IDE1006

    private readonly int _frequencySize;

    /// <summary>Creates the embedder.</summary>
    /// <param name="frequencySize">Width of the sinusoidal features (even; DiT: 256).</param>
    /// <param name="hiddenSize">Output width.</param>
    public TimestepEmbedding(int frequencySize, int hiddenSize) : base(nameof(TimestepEmbedding))
    {
        _frequencySize = frequencySize;
        mlp = nn.Sequential(
            ("0", nn.Linear(frequencySize, hiddenSize)),
            ("1", nn.SiLU()),
            ("2", nn.Linear(hiddenSize, hiddenSize)));
        RegisterComponents();
    }

    /// <summary>The two MLP linears, for initialisation.</summary>
    internal IEnumerable<Linear> Linears => mlp.children().OfType<Linear>();

    /// <param name="input">[B] times in [0, 1].</param>
    /// <returns>[B, hidden] embeddings.</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return mlp.forward(Sinusoidal(input * TimeScale, _frequencySize)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DiT's <c>timestep_embedding</c>: [cos(t f_k), sin(t f_k)] with f_k = MaxPeriod^(-k / half), k &lt; half.
    /// </summary>
    /// <param name="t">[B] (already scaled) floating-point times.</param>
    /// <param name="dim">Feature width (even).</param>
    /// <returns>[B, dim] in the dtype of <paramref name="t"/>.</returns>
    internal static Tensor Sinusoidal(Tensor t, int dim)
    {
        using var scope = NewDisposeScope();
        int half = dim / 2;
        var freqs = exp(-Math.Log(MaxPeriod) * arange(half, dtype: t.dtype, device: t.device) / half); // [half]
        var args = t.unsqueeze(1) * freqs.unsqueeze(0);                                               // [B, half]
        return cat(new[] { args.cos(), args.sin() }, 1).MoveToOuterDisposeScope();
    }
}
