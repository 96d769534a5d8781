namespace Adrpo.Data.MiniDrawBench.Detection;

/// <summary>
/// Reads the objects of a MiniDrawBench image: foreground pixels, their 8-connected components, and per component
/// a palette colour, a shape and a position. The inverse of <see cref="MiniDrawBench.Render"/>, built by hand rather
/// than learned, so that a reward computed from it is right by construction (MiniGenEval).
/// </summary>
internal static class SceneDetector
{
    /// <summary>
    /// Components smaller than this are noise and ignored: a third of the smallest shape the renderer draws (a 7 px
    /// triangle, 25 px), far above the isolated pixels that pixel noise lifts over <see cref="PixelColors.ForegroundLevel"/>.
    /// </summary>
    public const int MinObjectArea = 8;

    /// <summary>
    /// The least share of an object's pixels whose own colour lies within <see cref="PixelColors.MinPaletteAngle"/>
    /// of the object's colour; below it the object is two colours run together and has no colour. The mean of a
    /// red-and-green smear, for one, points near yellow, but none of its pixels do.
    /// </summary>
    public const double MinColorPurity = 0.6;

    /// <summary>The objects of <paramref name="image"/> (CHW, [3 * 32 * 32] values in [-1, 1]), in raster order of their first pixel.</summary>
    public static List<DetectedObject> Detect(float[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        const int size = MiniDrawBench.ImageSize, plane = size * size;
        if (image.Length != MiniDrawBench.Channels * plane)
        {
            throw new ArgumentException($"The image has {image.Length} values; expected {MiniDrawBench.Channels * plane} (3 x 32 x 32, CHW).", nameof(image));
        }

        var rgb = new (float R, float G, float B)[plane];
        var foreground = new bool[size, size];
        for (int at = 0; at < plane; at++)
        {
            rgb[at] = PixelColors.Rgb(image, plane, at);
            foreground[at / size, at % size] = PixelColors.IsForeground(rgb[at]);
        }

        var objects = new List<DetectedObject>();
        foreach (var component in ForegroundComponents.Find(foreground))
        {
            if (component.Count < MinObjectArea)
            {
                continue;
            }

            // Second pass at the object's own half-brightness (see EdgeLevel); what stays may fall apart into pieces.
            double level = EdgeLevel(component.Select(p => Brightness(rgb[(p.Y * size) + p.X])).ToList());
            var kept = new bool[size, size];
            foreach (var (x, y) in component)
            {
                kept[y, x] = Brightness(rgb[(y * size) + x]) >= level;
            }

            foreach (var pixels in ForegroundComponents.Find(kept))
            {
                if (pixels.Count >= MinObjectArea)
                {
                    objects.Add(Describe(pixels, rgb, size));
                }
            }
        }

        return objects;
    }

    /// <summary>
    /// Where an object's edge is: half its own brightness (the median of its brighter half of pixels, which blur and
    /// noise leave near the drawn colour), and never below <see cref="PixelColors.ForegroundLevel"/>. A blurred edge
    /// pixel is a mix of colour and background; cutting at half keeps each shape's drawn area whatever its colour,
    /// where one fixed level would grow white shapes (peak 240) and shrink green ones (peak 200).
    /// </summary>
    public static double EdgeLevel(IReadOnlyList<float> brightness)
    {
        var sorted = brightness.Order().ToList();
        double peak = sorted[(3 * sorted.Count) / 4];
        return Math.Max(PixelColors.ForegroundLevel, peak / 2);
    }

    private static float Brightness((float R, float G, float B) rgb) => Math.Max(rgb.R, Math.Max(rgb.G, rgb.B));

    private static DetectedObject Describe(List<(int X, int Y)> pixels, (float R, float G, float B)[] rgb, int size)
    {
        double r = 0, g = 0, b = 0;
        foreach (var (x, y) in pixels)
        {
            var p = rgb[(y * size) + x];
            (r, g, b) = (r + p.R, g + p.G, b + p.B);
        }

        var (color, angle) = PixelColors.Nearest((r, g, b));
        var palette = color.Rgb();
        int agreeing = pixels.Count(p => PixelColors.Angle(rgb[(p.Y * size) + p.X], palette) <= PixelColors.MinPaletteAngle);
        double purity = agreeing / (double)pixels.Count;
        var scores = ShapeMatcher.Scores(pixels);
        int left = pixels.Min(p => p.X), top = pixels.Min(p => p.Y);
        return new DetectedObject(
            angle <= PixelColors.MaxObjectAngle && purity >= MinColorPurity ? color : null,
            ShapeMatcher.Decide(scores),
            pixels.Count,
            left,
            top,
            pixels.Max(p => p.X) - left + 1,
            pixels.Max(p => p.Y) - top + 1,
            scores,
            angle,
            purity);
    }
}
