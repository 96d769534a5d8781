namespace Adrpo.Imaging;

/// <summary>
/// A grid of images with a caption under each row (the prompt the row was drawn from), enlarged so each tile is at
/// least <see cref="MinTilePixels"/> pixels: a picture people can read without a viewer's zoom.
/// </summary>
internal static class CaptionedGrid
{
    public const int MinTilePixels = 96;
    private const int Padding = 4, TextScale = 2, MaxCaptionLines = 3;
    private static readonly ChartColor Ink = new(20, 20, 20);

    /// <summary>Renders the grid as PNG bytes.</summary>
    /// <param name="images">Row-major tiles, <paramref name="columns"/> per row, each CHW in [-1, 1].</param>
    /// <param name="channels">1 or 3.</param>
    /// <param name="height">Tile rows before enlarging.</param>
    /// <param name="width">Tile columns before enlarging.</param>
    /// <param name="columns">Tiles per grid row.</param>
    /// <param name="captions">One caption per grid row.</param>
    public static byte[] Render(IReadOnlyList<float[]> images, int channels, int height, int width, int columns, IReadOnlyList<string> captions)
    {
        int rows = captions.Count;
        if (rows == 0 || columns < 1 || images.Count != rows * columns)
        {
            throw new ArgumentException($"Expected {rows} rows x {columns} columns = {rows * columns} images, got {images.Count}.", nameof(images));
        }

        int zoom = Math.Max(1, (int)Math.Ceiling(MinTilePixels / (double)Math.Min(height, width)));
        int tileH = height * zoom, tileW = width * zoom;
        int gridW = (columns * (tileW + Padding)) + Padding;
        int charsPerLine = Math.Max(1, (gridW - (2 * Padding)) / (BitmapFont.Advance * TextScale));
        var wrapped = captions.Select(c => Wrap(c, charsPerLine)).ToList();
        int lineH = BitmapFont.LineHeight * TextScale;
        int captionH = (MaxCaptionLines * lineH) + Padding;
        int rowH = tileH + Padding + captionH;
        int gridH = (rows * rowH) + Padding;

        var canvas = new ChartCanvas(gridW, gridH);
        for (int r = 0; r < rows; r++)
        {
            int top = Padding + (r * rowH);
            for (int c = 0; c < columns; c++)
            {
                DrawTile(canvas, images[(r * columns) + c], channels, height, width, zoom, Padding + (c * (tileW + Padding)), top);
            }

            for (int line = 0; line < wrapped[r].Count; line++)
            {
                canvas.Text(wrapped[r][line], Padding, top + tileH + Padding + (line * lineH), TextScale, Ink);
            }
        }

        return PngWriter.EncodeRgb(canvas.Pixels, gridH, gridW);
    }

    private static void DrawTile(ChartCanvas canvas, float[] chw, int channels, int height, int width, int zoom, int left, int top)
    {
        int plane = height * width;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte Value(int channel) => (byte)Math.Clamp((int)MathF.Round((chw[(channel * plane) + (y * width) + x] + 1f) * 127.5f), 0, 255);
                var color = channels == 3 ? new ChartColor(Value(0), Value(1), Value(2)) : new ChartColor(Value(0), Value(0), Value(0));
                canvas.Square(left + (x * zoom), top + (y * zoom), zoom, color);
            }
        }
    }

    /// <summary>Greedy word wrap to at most <see cref="MaxCaptionLines"/> lines (a word longer than a line is split); a cut caption ends with "...".</summary>
    internal static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        string current = string.Empty;
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = current.Length == 0 ? word : current + " " + word;
            if (candidate.Length <= width)
            {
                current = candidate;
                continue;
            }

            if (current.Length > 0)
            {
                lines.Add(current);
            }

            // A word longer than a line is split across lines.
            current = word;
            while (current.Length > width)
            {
                lines.Add(current[..width]);
                current = current[width..];
            }
        }

        if (current.Length > 0)
        {
            lines.Add(current);
        }

        if (lines.Count > MaxCaptionLines)
        {
            lines = lines.Take(MaxCaptionLines).ToList();
            string last = lines[^1];
            lines[^1] = (last.Length + 3 <= width ? last : last[..Math.Max(0, width - 3)]) + "...";
        }

        return lines;
    }
}
