using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>Generated samples as the rows a <c>RewardScorer</c> reads: one flat float array per sample.</summary>
internal static class SampleRows
{
    /// <param name="samples">[N, ...] samples on any device.</param>
    /// <returns>N arrays of the per-sample element count, in batch order.</returns>
    public static List<float[]> Of(Tensor samples)
    {
        using var flat = samples.reshape(samples.shape[0], -1).cpu().contiguous();
        float[] all = flat.data<float>().ToArray();
        int width = (int)flat.shape[1];
        return Enumerable.Range(0, (int)flat.shape[0]).Select(i => all.AsSpan(i * width, width).ToArray()).ToList();
    }
}
