using Adrpo.Data.MiniDrawBench;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Data.MiniDrawBench.Detection;

/// <summary>Small images built pixel by pixel for the detector's tests: black background, exact palette colours, no noise.</summary>
internal static class HandDrawn
{
    private const int Size = Bench.ImageSize, Plane = Size * Size;

    /// <summary>An all-black image (-1 everywhere).</summary>
    public static float[] Blank() => Enumerable.Repeat(-1f, 3 * Plane).ToArray();

    /// <summary>Sets one pixel to an 8-bit RGB value.</summary>
    public static void Set(float[] image, int x, int y, (byte R, byte G, byte B) rgb)
    {
        int at = (y * Size) + x;
        image[at] = (rgb.R / 127.5f) - 1;
        image[Plane + at] = (rgb.G / 127.5f) - 1;
        image[(2 * Plane) + at] = (rgb.B / 127.5f) - 1;
    }

    /// <summary>Fills the rectangle [x, x + width) x [y, y + height) with a palette colour.</summary>
    public static void Rect(float[] image, int x, int y, int width, int height, ShapeColor color)
    {
        for (int dy = 0; dy < height; dy++)
        {
            for (int dx = 0; dx < width; dx++)
            {
                Set(image, x + dx, y + dy, color.Rgb());
            }
        }
    }

    /// <summary>Draws the renderer's mask of a shape in a size x size box at (x, y).</summary>
    public static void Shape(float[] image, ShapeKind shape, ShapeColor color, int x, int y, int size)
    {
        var mask = ShapeRaster.Rasterise(shape, size);
        for (int dy = 0; dy < size; dy++)
        {
            for (int dx = 0; dx < size; dx++)
            {
                if (mask[dy, dx])
                {
                    Set(image, x + dx, y + dy, color.Rgb());
                }
            }
        }
    }

    /// <summary>The pixels of a mask drawn as text rows, '#' on: the first row is y = 0.</summary>
    public static List<(int X, int Y)> Pixels(params string[] rows) =>
        rows.SelectMany((row, y) => row.Select((c, x) => (c, x, y)).Where(t => t.c == '#').Select(t => (t.x, t.y))).ToList();
}
