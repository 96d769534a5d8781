namespace Adrpo.Data.MiniDrawBench.Detection;

/// <summary>
/// Reads colours off an image: which pixels belong to a shape rather than the background, and which
/// <see cref="ShapeColor"/> a colour is. Works on the 8-bit scale (0-255) the palette is defined in.
/// </summary>
/// <remarks>
/// Colours are compared by hue direction (the angle between RGB vectors), not by distance: a pixel half covered by
/// a shape, or a shape drawn too dark, is a scaled copy of its colour, and a scaled copy keeps its direction. The
/// closest pair of palette colours, purple and white, are 24.2 degrees apart (<see cref="MinPaletteAngle"/>; purple
/// and blue 24.5); every other pair is further.
/// </remarks>
internal static class PixelColors
{
    /// <summary>
    /// A pixel is foreground when its brightest channel reaches this level: half the brightest channel of the
    /// dimmest palette colour (green, 200), so a blurred edge is split where it is half covered and a shape keeps
    /// its area. The renderer's background stays below 7.
    /// </summary>
    public const float ForegroundLevel = 100f;

    /// <summary>The smallest angle between two palette colours, in degrees (purple and white).</summary>
    public static readonly double MinPaletteAngle = AllPairs().Min();

    /// <summary>
    /// The largest angle, in degrees, between an object's mean colour and the palette colour it is read as (three
    /// quarters of <see cref="MinPaletteAngle"/>); further than this from every palette colour it is no palette colour
    /// (orange, grey, a mixture). The nearest palette colour wins below it, so a tinted object keeps its colour.
    /// </summary>
    public static readonly double MaxObjectAngle = MinPaletteAngle * 0.75;

    private static readonly ShapeColor[] Palette = Enum.GetValues<ShapeColor>();

    /// <summary>The 8-bit RGB value of pixel <paramref name="at"/> (y * width + x) of a CHW image in [-1, 1], clamped to [0, 255].</summary>
    public static (float R, float G, float B) Rgb(float[] image, int plane, int at) =>
        (To8Bit(image[at]), To8Bit(image[plane + at]), To8Bit(image[(2 * plane) + at]));

    /// <summary>Whether a colour is bright enough to be part of a shape (see <see cref="ForegroundLevel"/>).</summary>
    public static bool IsForeground((float R, float G, float B) rgb) => Math.Max(rgb.R, Math.Max(rgb.G, rgb.B)) >= ForegroundLevel;

    /// <summary>The palette colour whose direction is closest to <paramref name="rgb"/>, and the angle to it in degrees.</summary>
    public static (ShapeColor Color, double Angle) Nearest((double R, double G, double B) rgb)
    {
        var best = (Color: Palette[0], Angle: double.MaxValue);
        foreach (var color in Palette)
        {
            double angle = Angle(rgb, color.Rgb());
            if (angle < best.Angle)
            {
                best = (color, angle);
            }
        }

        return best;
    }

    /// <summary>The angle in degrees between two RGB vectors; 90 when either is black (it has no direction).</summary>
    public static double Angle((double R, double G, double B) a, (double R, double G, double B) b)
    {
        double dot = (a.R * b.R) + (a.G * b.G) + (a.B * b.B);
        double norms = Math.Sqrt(((a.R * a.R) + (a.G * a.G) + (a.B * a.B)) * ((b.R * b.R) + (b.G * b.G) + (b.B * b.B)));
        return norms <= 0 ? 90 : Math.Acos(Math.Clamp(dot / norms, -1, 1)) * 180 / Math.PI;
    }

    private static float To8Bit(float value) => float.IsNaN(value) ? 0 : Math.Clamp((value + 1) * 127.5f, 0, 255);

    private static IEnumerable<double> AllPairs()
    {
        var palette = Enum.GetValues<ShapeColor>();
        for (int i = 0; i < palette.Length; i++)
        {
            for (int j = i + 1; j < palette.Length; j++)
            {
                yield return Angle(palette[i].Rgb(), palette[j].Rgb());
            }
        }
    }
}
