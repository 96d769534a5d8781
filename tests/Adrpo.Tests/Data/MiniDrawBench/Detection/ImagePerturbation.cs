using Adrpo.Data.MiniDrawBench;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Data.MiniDrawBench.Detection;

/// <summary>
/// Seeded damage applied to clean MiniDrawBench renders, at the levels the embedded base generator's samples show
/// (measured on 200 held-out samples, 20 Euler steps; see README "MiniGenEval"): per-pixel noise inside objects of
/// RMS 0.26 per channel ([-1, 1] units; 33 on the 8-bit scale), object colours off by RMS 0.12 (15 levels),
/// background noise 0.04. Blur and boundary jitter stand in for the generator's soft, ragged edges.
/// </summary>
/// <param name="PixelNoise">Standard deviation of Gaussian noise added to every value of an object pixel, [-1, 1] units.</param>
/// <param name="ColorShift">Standard deviation of one Gaussian offset per colour and channel, added to every pixel of that colour (a tint).</param>
/// <param name="Blur">Standard deviation in pixels of a 5-tap Gaussian blur; 0 for none.</param>
/// <param name="BackgroundNoise">Standard deviation of Gaussian noise added to every value of a background pixel; null for <paramref name="PixelNoise"/>.</param>
/// <param name="EdgeFlip">Probability that a pixel on an object's boundary (inside or just outside) flips between object and background.</param>
internal sealed record ImagePerturbation(double PixelNoise = 0, double ColorShift = 0, double Blur = 0, double EdgeFlip = 0, double? BackgroundNoise = null)
{
    private const int Size = Bench.ImageSize, Plane = Size * Size;

    /// <summary>The generator's measured levels, all at once.</summary>
    public static ImagePerturbation GeneratorLevel { get; } = new(PixelNoise: 0.26, ColorShift: 0.12, Blur: 0.6, EdgeFlip: 0.08, BackgroundNoise: 0.04);

    /// <summary>A damaged copy of a clean render (<paramref name="clean"/> is not changed).</summary>
    public float[] Apply(float[] clean, Random random)
    {
        var image = (float[])clean.Clone();
        if (EdgeFlip > 0)
        {
            image = FlipEdges(clean, random);
        }

        if (ColorShift > 0)
        {
            Tint(image, random);
        }

        if (Blur > 0)
        {
            image = Blurred(image);
        }

        // Object or background is decided on the clean render, before any damage.
        var isObject = Enumerable.Range(0, Plane).Select(at => IsObject(clean, at)).ToArray();
        for (int i = 0; i < image.Length; i++)
        {
            double sigma = isObject[i % Plane] ? PixelNoise : BackgroundNoise ?? PixelNoise;
            double noise = sigma > 0 ? sigma * Gaussian(random) : 0;
            image[i] = (float)Math.Clamp(image[i] + noise, -1, 1);
        }

        return image;
    }

    private static bool IsObject(float[] image, int at) => Math.Max(image[at], Math.Max(image[Plane + at], image[(2 * Plane) + at])) > -0.5f;

    private float[] FlipEdges(float[] clean, Random random)
    {
        var image = (float[])clean.Clone();
        (int Dx, int Dy)[] neighbours = [(1, 0), (-1, 0), (0, 1), (0, -1)];
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                int at = (y * Size) + x;
                bool inside = IsObject(clean, at);
                var across = neighbours
                    .Select(d => (X: x + d.Dx, Y: y + d.Dy))
                    .Where(p => p.X is >= 0 and < Size && p.Y is >= 0 and < Size && IsObject(clean, (p.Y * Size) + p.X) != inside)
                    .ToList();
                if (across.Count == 0 || random.NextDouble() >= EdgeFlip)
                {
                    continue;
                }

                // An object pixel becomes background; a background pixel takes the colour of a neighbouring object pixel.
                var source = across[random.Next(across.Count)];
                for (int c = 0; c < 3; c++)
                {
                    image[(c * Plane) + at] = inside ? -1f : clean[(c * Plane) + (source.Y * Size) + source.X];
                }
            }
        }

        return image;
    }

    private void Tint(float[] image, Random random)
    {
        var offsets = Enum.GetValues<ShapeColor>().ToDictionary(c => c, _ => new[] { ColorShift * Gaussian(random), ColorShift * Gaussian(random), ColorShift * Gaussian(random) });
        for (int at = 0; at < Plane; at++)
        {
            if (!IsObject(image, at))
            {
                continue;
            }

            // The palette colour this pixel was drawn in: the nearest one (renders are within 0.03 of it).
            var color = Enum.GetValues<ShapeColor>().MinBy(c =>
            {
                var (r, g, b) = c.Normalized();
                return Math.Abs(image[at] - r) + Math.Abs(image[Plane + at] - g) + Math.Abs(image[(2 * Plane) + at] - b);
            });
            for (int c = 0; c < 3; c++)
            {
                image[(c * Plane) + at] += (float)offsets[color][c];
            }
        }
    }

    private float[] Blurred(float[] image)
    {
        var weights = Enumerable.Range(-2, 5).Select(d => Math.Exp(-d * d / (2 * Blur * Blur))).ToArray();
        double total = weights.Sum();
        var horizontal = new float[image.Length];
        var result = new float[image.Length];
        for (int pass = 0; pass < 2; pass++)
        {
            var (from, to) = pass == 0 ? (image, horizontal) : (horizontal, result);
            for (int c = 0; c < 3; c++)
            {
                for (int y = 0; y < Size; y++)
                {
                    for (int x = 0; x < Size; x++)
                    {
                        double sum = 0;
                        for (int d = -2; d <= 2; d++)
                        {
                            // Edges repeat the border pixel.
                            int sx = pass == 0 ? Math.Clamp(x + d, 0, Size - 1) : x;
                            int sy = pass == 1 ? Math.Clamp(y + d, 0, Size - 1) : y;
                            sum += weights[d + 2] * from[(c * Plane) + (sy * Size) + sx];
                        }

                        to[(c * Plane) + (y * Size) + x] = (float)(sum / total);
                    }
                }
            }
        }

        return result;
    }

    // Box-Muller: Random has no Gaussian of its own on net8.
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
