namespace Adrpo.Data.MiniDrawBench;

/// <summary>
/// The pixel masks of the shapes: geometry in a unit box (u right, v down, both in [0, 1]) rasterised into an
/// s x s box. A pixel is on when enough of it is covered (4 x 4 samples); no anti-aliasing, so colours stay exact
/// and objects stay countable as connected components.
/// </summary>
internal static class ShapeRaster
{
    /// <summary>The largest size drawn.</summary>
    public const int MaxSize = 12;

    private const int Subsamples = 4;

    // Inner/outer radius of the star. A regular pentagram has 0.38; at 9-12 px its arms would be thinner than a
    // pixel, so they are made fatter. It still reads as a star next to the other shapes.
    private const double StarInnerRatio = 0.45;

    // The star's outer radius and centre are chosen so its bounding box fits the unit box: its width is
    // 2 R sin 72 (the widest points) and its height R (1 + cos 36).
    private static readonly double StarRadius = 0.5 / Math.Sin(72 * Math.PI / 180);
    private static readonly double StarCentreV = StarRadius + ((1 - (StarRadius * (1 + Math.Cos(36 * Math.PI / 180)))) / 2);
    private static readonly (double U, double V)[] StarVertices = BuildStar();

    // Masks[(int)shape][size], built once: rendering then costs one lookup per pixel.
    private static readonly bool[][][,] Masks = Enum.GetValues<ShapeKind>()
        .Select(shape => Enumerable.Range(0, MaxSize + 1).Select(size => Rasterise(shape, size)).ToArray())
        .ToArray();

    /// <summary>The smallest size (box side, pixels) at which the shape stays recognisable.</summary>
    public static int MinSize(ShapeKind shape) => shape == ShapeKind.Star ? 9 : 7;

    /// <summary>The shape drawn in a <paramref name="size"/> x <paramref name="size"/> box, indexed [y, x]. Do not modify.</summary>
    public static bool[,] Mask(ShapeKind shape, int size) => Masks[(int)shape][size];

    /// <summary>Whether the point (u, v) of the unit box lies inside the shape.</summary>
    public static bool Covers(ShapeKind shape, double u, double v) => shape switch
    {
        ShapeKind.Circle => ((u - 0.5) * (u - 0.5)) + ((v - 0.5) * (v - 0.5)) <= 0.25,
        ShapeKind.Square => u is >= 0 and <= 1 && v is >= 0 and <= 1,
        // Apex at the top centre, base along the bottom edge.
        ShapeKind.Triangle => v is >= 0 and <= 1 && Math.Abs(u - 0.5) <= (v / 2) + 1e-9,
        ShapeKind.Star => InPolygon(StarVertices, u, v),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "Not a defined ShapeKind."),
    };

    /// <summary>
    /// Draws the shape into a fresh <paramref name="size"/> x <paramref name="size"/> mask, indexed [y, x]; any size,
    /// also outside the range the renderer uses (MiniGenEval's shape templates go beyond it).
    /// </summary>
    public static bool[,] Rasterise(ShapeKind shape, int size)
    {
        // Coverage needed to turn a pixel on: a half for solid shapes; less for the star, whose arms and legs
        // would otherwise lose their tips (or break into diagonal-only pixels) at these sizes.
        double threshold = shape == ShapeKind.Star ? 0.3 : 0.5;
        var mask = new bool[size, size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int hits = 0;
                for (int sy = 0; sy < Subsamples; sy++)
                {
                    for (int sx = 0; sx < Subsamples; sx++)
                    {
                        double u = (x + ((sx + 0.5) / Subsamples)) / size;
                        double v = (y + ((sy + 0.5) / Subsamples)) / size;
                        hits += Covers(shape, u, v) ? 1 : 0;
                    }
                }

                mask[y, x] = hits >= threshold * Subsamples * Subsamples;
            }
        }

        return mask;
    }

    private static (double U, double V)[] BuildStar()
    {
        var vertices = new (double U, double V)[10];
        for (int i = 0; i < 10; i++)
        {
            // Start at the top point and go round in 36 degree steps, alternating outer and inner radius.
            double angle = (-90 + (36 * i)) * Math.PI / 180;
            double radius = i % 2 == 0 ? StarRadius : StarRadius * StarInnerRatio;
            vertices[i] = (0.5 + (radius * Math.Cos(angle)), StarCentreV + (radius * Math.Sin(angle)));
        }

        return vertices;
    }

    // Even-odd ray casting; the star is simple (not self-intersecting) so even-odd is its interior.
    private static bool InPolygon((double U, double V)[] polygon, double u, double v)
    {
        bool inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            var (ui, vi) = polygon[i];
            var (uj, vj) = polygon[j];
            if ((vi > v) != (vj > v) && u < ((uj - ui) * (v - vi) / (vj - vi)) + ui)
            {
                inside = !inside;
            }
        }

        return inside;
    }
}
