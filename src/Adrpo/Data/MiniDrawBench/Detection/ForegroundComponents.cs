namespace Adrpo.Data.MiniDrawBench.Detection;

/// <summary>The 8-connected components of an image's foreground pixels (<see cref="PixelColors.IsForeground"/>).</summary>
/// <remarks>
/// Components are found on the foreground mask alone, whatever the pixels' colours: the renderer keeps objects at
/// least <see cref="SceneLayout.Gap"/> pixels apart, so a clean render's components are exactly its objects, and a
/// component holding two colours is a defect of the image (two objects merged, or a smear), which
/// <see cref="SceneDetector"/> reports as an object of no palette colour rather than guessing a split.
/// 8-connectivity keeps a star's arms, which can meet their body only at a corner, in one piece.
/// </remarks>
internal static class ForegroundComponents
{
    /// <summary>Each component as its pixels' (x, y) coordinates, in raster order of their first pixel.</summary>
    /// <param name="foreground">[y, x] mask.</param>
    public static List<List<(int X, int Y)>> Find(bool[,] foreground)
    {
        int height = foreground.GetLength(0), width = foreground.GetLength(1);
        var seen = new bool[height, width];
        var components = new List<List<(int X, int Y)>>();
        var stack = new Stack<(int X, int Y)>();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (seen[y, x] || !foreground[y, x])
                {
                    continue;
                }

                var pixels = new List<(int X, int Y)>();
                seen[y, x] = true;
                stack.Push((x, y));
                while (stack.Count > 0)
                {
                    var (px, py) = stack.Pop();
                    pixels.Add((px, py));
                    for (int ny = Math.Max(0, py - 1); ny <= Math.Min(height - 1, py + 1); ny++)
                    {
                        for (int nx = Math.Max(0, px - 1); nx <= Math.Min(width - 1, px + 1); nx++)
                        {
                            if (!seen[ny, nx] && foreground[ny, nx])
                            {
                                seen[ny, nx] = true;
                                stack.Push((nx, ny));
                            }
                        }
                    }
                }

                components.Add(pixels);
            }
        }

        return components;
    }
}
