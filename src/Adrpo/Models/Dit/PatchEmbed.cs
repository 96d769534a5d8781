using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// Cuts a [B, C, H, W] sample into non-overlapping p x p patches and projects each to a token (a stride-p
/// convolution, DiT's <c>x_embedder.proj</c>), then adds the fixed 2-D sin-cos position embedding of DiT / MAE.
/// The position table is an ordinary (persistent) buffer, so it is saved like DiT's frozen <c>pos_embed</c>: in
/// TorchSharp 0.107 <c>named_buffers</c> skips non-persistent buffers even when asked for them, so <c>Module.to</c>
/// would leave a non-persistent table behind on the old device.
/// </summary>
internal sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // DiT key names
    private readonly Conv2d proj;
    private readonly Tensor pos_embed; // [1, N, hidden], N = grid * grid
#pragma warning restore IDE1006

    private readonly int _patchSize;

    /// <summary>Creates the embedding for <paramref name="config"/> (validated by the caller).</summary>
    public PatchEmbed(DitConfig config) : base(nameof(PatchEmbed))
    {
        ArgumentNullException.ThrowIfNull(config);
        _patchSize = config.PatchSize;
        proj = nn.Conv2d(config.InChannels, config.HiddenSize, kernel_size: config.PatchSize, stride: config.PatchSize);
        pos_embed = SinCosPositionEmbedding(config.HiddenSize, config.GridSize);
        RegisterComponents(); // registers pos_embed as a buffer: it moves with Module.to and never trains
    }

    /// <summary>The patch projection, for initialisation.</summary>
    internal Conv2d Projection => proj;

    /// <param name="input">[B, C, H, W] samples.</param>
    /// <returns>[B, N, hidden] tokens in row-major patch order.</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var tokens = proj.forward(input).flatten(2).transpose(1, 2); // [B, hidden, h, w] -> [B, N, hidden]
        return (tokens + pos_embed).MoveToOuterDisposeScope();
    }

    /// <summary>Inverse of patchify (DiT's <c>unpatchify</c>): [B, N, p*p*C] tokens back to [B, C, H, W].</summary>
    /// <param name="tokens">[B, h*w, p*p*C], each token laid out as (row in patch, column in patch, channel).</param>
    /// <param name="channels">C.</param>
    /// <param name="patchSize">p.</param>
    /// <param name="grid">Patches per side (h = w).</param>
    public static Tensor Unpatchify(Tensor tokens, int channels, int patchSize, int grid)
    {
        using var scope = NewDisposeScope();
        long batch = tokens.shape[0];
        var x = tokens.reshape(batch, grid, grid, patchSize, patchSize, channels); // [B, h, w, p, q, C]
        x = x.permute(0, 5, 1, 3, 2, 4);                                          // [B, C, h, p, w, q]
        return x.reshape(batch, channels, grid * patchSize, grid * patchSize).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DiT's <c>get_2d_sincos_pos_embed</c>: the first half of the features encodes the patch column, the second half
    /// the row, each as [sin(pos * w_k), cos(pos * w_k)] with w_k = 10000^(-k / (D/4)). Computed in float64 then cast.
    /// </summary>
    /// <returns>[1, grid * grid, hidden] float32.</returns>
    internal static Tensor SinCosPositionEmbedding(int hidden, int grid)
    {
        int quarter = hidden / 4;
        var table = new float[grid * grid * hidden];
        for (int row = 0; row < grid; row++)
        {
            for (int col = 0; col < grid; col++)
            {
                int offset = ((row * grid) + col) * hidden;
                for (int k = 0; k < quarter; k++)
                {
                    double omega = 1.0 / Math.Pow(10000, (double)k / quarter);
                    table[offset + k] = (float)Math.Sin(col * omega);
                    table[offset + quarter + k] = (float)Math.Cos(col * omega);
                    table[offset + (2 * quarter) + k] = (float)Math.Sin(row * omega);
                    table[offset + (3 * quarter) + k] = (float)Math.Cos(row * omega);
                }
            }
        }

        return tensor(table, new long[] { 1, grid * grid, hidden });
    }
}
