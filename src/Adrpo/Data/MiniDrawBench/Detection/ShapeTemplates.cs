namespace Adrpo.Data.MiniDrawBench.Detection;

/// <summary>
/// The renderer's own masks of every shape at every box size from <see cref="MinSize"/> to <see cref="MaxSize"/>,
/// each with its tight bounding box: what <see cref="ShapeMatcher"/> compares a component with.
/// </summary>
internal static class ShapeTemplates
{
    /// <summary>The smallest box side matched: below it the four shapes are no longer told apart by their pixels.</summary>
    public const int MinSize = 5;

    /// <summary>The largest box side matched: a third larger than the renderer's largest shape.</summary>
    public const int MaxSize = 16;

    private static readonly Template[][] All = Enum.GetValues<ShapeKind>()
        .Select(shape => Enumerable.Range(MinSize, MaxSize - MinSize + 1).Select(size => Build(ShapeRaster.Rasterise(shape, size))).ToArray())
        .ToArray();

    /// <summary>The template of <paramref name="shape"/> in a box of side <paramref name="size"/> (<see cref="MinSize"/> to <see cref="MaxSize"/>).</summary>
    public static Template Get(ShapeKind shape, int size) => All[(int)shape][size - MinSize];

    private static Template Build(bool[,] mask)
    {
        var pixels = new List<(int X, int Y)>();
        for (int y = 0; y < mask.GetLength(0); y++)
        {
            for (int x = 0; x < mask.GetLength(1); x++)
            {
                if (mask[y, x])
                {
                    pixels.Add((x, y));
                }
            }
        }

        int left = pixels.Min(p => p.X), top = pixels.Min(p => p.Y);
        // Pixels relative to the tight box's top-left corner.
        return new Template(
            pixels.Select(p => (p.X - left, p.Y - top)).ToArray(),
            pixels.Max(p => p.X) - left + 1,
            pixels.Max(p => p.Y) - top + 1);
    }

    /// <summary>One rasterised shape: its pixels relative to its tight bounding box, and that box's size.</summary>
    internal sealed record Template((int X, int Y)[] Pixels, int Width, int Height);
}
