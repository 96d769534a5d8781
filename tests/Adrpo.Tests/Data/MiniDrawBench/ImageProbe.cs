using Adrpo.Data.MiniDrawBench;

namespace Adrpo.Tests.Data.MiniDrawBench;

/// <summary>One object found in an image: its colour, pixels, and the shape its pixels look like.</summary>
internal sealed record FoundObject(ShapeColor Color, IReadOnlyList<(int X, int Y)> Pixels)
{
    public double CentroidX => Pixels.Average(p => p.X);

    public double CentroidY => Pixels.Average(p => p.Y);

    /// <summary>
    /// Classifies the pixels by simple silhouette features, independently of the renderer's geometry: a square
    /// fills its bounding box, a triangle's bottom row is its full width under a narrow apex, a star stands on two
    /// separate legs, and a circle is what is left (checked to fill 70-90 % of its box).
    /// </summary>
    public ShapeKind? Shape
    {
        get
        {
            int x0 = Pixels.Min(p => p.X), x1 = Pixels.Max(p => p.X), y0 = Pixels.Min(p => p.Y), y1 = Pixels.Max(p => p.Y);
            int width = x1 - x0 + 1, height = y1 - y0 + 1;
            double fill = Pixels.Count / (double)(width * height);
            var bottom = Pixels.Where(p => p.Y == y1).Select(p => p.X).Order().ToList();
            int top = Pixels.Count(p => p.Y == y0);
            bool bottomContiguous = bottom[^1] - bottom[0] + 1 == bottom.Count;
            if (fill >= 0.95)
            {
                return ShapeKind.Square;
            }

            if (bottomContiguous && bottom.Count == width && top <= 2)
            {
                return ShapeKind.Triangle;
            }

            if (!bottomContiguous && top <= 2)
            {
                return ShapeKind.Star;
            }

            return fill is > 0.7 and < 0.9 ? ShapeKind.Circle : null;
        }
    }
}

/// <summary>Reads rendered MiniDrawBench images back: pixels by colour, and objects as 8-connected components.</summary>
internal static class ImageProbe
{
    public const int Size = 32;

    // The renderer's noise is at most 0.03 per channel and any two colours differ by >= 100/127.5 = 0.78 in some
    // channel, so 0.1 separates colours (and the background, near -1, from all of them) with a wide margin.
    private const float Tolerance = 0.1f;

    public static bool Matches(float[] image, int x, int y, ShapeColor color)
    {
        var (r, g, b) = color.Normalized();
        int at = (y * Size) + x, plane = Size * Size;
        return Math.Abs(image[at] - r) <= Tolerance && Math.Abs(image[plane + at] - g) <= Tolerance && Math.Abs(image[(2 * plane) + at] - b) <= Tolerance;
    }

    public static bool IsBackground(float[] image, int x, int y)
    {
        int at = (y * Size) + x, plane = Size * Size;
        return image[at] < -0.9f && image[plane + at] < -0.9f && image[(2 * plane) + at] < -0.9f;
    }

    public static int CountPixels(float[] image, ShapeColor color)
    {
        int n = 0;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                n += Matches(image, x, y, color) ? 1 : 0;
            }
        }

        return n;
    }

    /// <summary>Every 8-connected component of every colour, found by flood fill.</summary>
    public static List<FoundObject> Objects(float[] image)
    {
        var found = new List<FoundObject>();
        foreach (var color in Enum.GetValues<ShapeColor>())
        {
            var seen = new bool[Size, Size];
            for (int y = 0; y < Size; y++)
            {
                for (int x = 0; x < Size; x++)
                {
                    if (seen[y, x] || !Matches(image, x, y, color))
                    {
                        continue;
                    }

                    var pixels = new List<(int X, int Y)>();
                    var stack = new Stack<(int X, int Y)>();
                    stack.Push((x, y));
                    seen[y, x] = true;
                    while (stack.Count > 0)
                    {
                        var (px, py) = stack.Pop();
                        pixels.Add((px, py));
                        for (int dy = -1; dy <= 1; dy++)
                        {
                            for (int dx = -1; dx <= 1; dx++)
                            {
                                int nx = px + dx, ny = py + dy;
                                if (nx is >= 0 and < Size && ny is >= 0 and < Size && !seen[ny, nx] && Matches(image, nx, ny, color))
                                {
                                    seen[ny, nx] = true;
                                    stack.Push((nx, ny));
                                }
                            }
                        }
                    }

                    found.Add(new FoundObject(color, pixels));
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Whether the image shows exactly what <paramref name="scene"/> asks for, judged from the pixels only:
    /// every pixel is background or a scene colour, the objects have the right colours, shapes and number, and a
    /// spatial scene's first object is at least 4 px (centroids; boxes are 8 px apart) on the named side.
    /// </summary>
    public static bool Satisfies(float[] image, Scene scene)
    {
        var objects = Objects(image);
        int coloured = objects.Sum(o => o.Pixels.Count);
        int background = Enumerable.Range(0, Size * Size).Count(i => IsBackground(image, i % Size, i / Size));
        if (coloured + background != Size * Size)
        {
            return false;
        }

        if (scene.Second is null)
        {
            return objects.Count == scene.Count && objects.All(o => o.Color == scene.First.Color && o.Shape == scene.First.Shape);
        }

        var first = objects.Where(o => o.Color == scene.First.Color && o.Shape == scene.First.Shape).ToList();
        var second = objects.Where(o => o.Color == scene.Second.Color && o.Shape == scene.Second.Shape).ToList();
        if (objects.Count != 2 || first.Count != 1 || second.Count != 1)
        {
            return false;
        }

        return scene.Relation is not { } relation || Along(relation, first[0], second[0]) >= 4;
    }

    /// <summary>How far the first object's centroid lies from the second's in the relation's direction.</summary>
    public static double Along(SpatialRelation relation, FoundObject first, FoundObject second) => relation switch
    {
        SpatialRelation.LeftOf => second.CentroidX - first.CentroidX,
        SpatialRelation.RightOf => first.CentroidX - second.CentroidX,
        SpatialRelation.Above => second.CentroidY - first.CentroidY,
        _ => first.CentroidY - second.CentroidY,
    };
}
