namespace Adrpo.Models.Transformer;

/// <summary>
/// Llama 3.1's RoPE frequency rescaling (<c>rope_scaling.rope_type = "llama3"</c>), which stretches the context from
/// <see cref="OriginalMaxPositions"/> by <see cref="Factor"/> without retraining the short wavelengths: a rotary pair
/// whose wavelength <c>2π / f</c> is shorter than <c>original / high_freq_factor</c> keeps its frequency <c>f</c>; one
/// longer than <c>original / low_freq_factor</c> gets <c>f / factor</c>; in between, the frequency is interpolated,
/// <c>(1 - s) f / factor + s f</c> with <c>s = (original / wavelength - low) / (high - low)</c>.
/// </summary>
/// <param name="Factor"><c>factor</c> (Llama 3.1: 8; Llama 3.2: 32).</param>
/// <param name="LowFreqFactor"><c>low_freq_factor</c> (Llama 3.x: 1).</param>
/// <param name="HighFreqFactor"><c>high_freq_factor</c> (Llama 3.x: 4), above <paramref name="LowFreqFactor"/>.</param>
/// <param name="OriginalMaxPositions"><c>original_max_position_embeddings</c> (Llama 3.x: 8192).</param>
internal sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, double OriginalMaxPositions)
{
    /// <summary>The rescaled inverse frequency of one rotary pair.</summary>
    /// <param name="inverseFrequency">The plain RoPE frequency <c>theta^(-2i/d)</c>.</param>
    public double Rescale(double inverseFrequency)
    {
        double wavelength = 2 * Math.PI / inverseFrequency;
        if (wavelength < OriginalMaxPositions / HighFreqFactor)
        {
            return inverseFrequency;
        }

        if (wavelength > OriginalMaxPositions / LowFreqFactor)
        {
            return inverseFrequency / Factor;
        }

        double s = ((OriginalMaxPositions / wavelength) - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
        return ((1 - s) * inverseFrequency / Factor) + (s * inverseFrequency);
    }
}
