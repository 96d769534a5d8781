namespace Adrpo.Imaging;

/// <summary>An interleaved 8-bit RGB raster, white to start, with the few primitives <see cref="LineChart"/> needs.</summary>
internal sealed class ChartCanvas
{
    private readonly int _width;
    private readonly int _height;

    public ChartCanvas(int width, int height)
    {
        _width = width;
        _height = height;
        Pixels = new byte[width * height * 3];
        Array.Fill(Pixels, (byte)255);
        Clip = (0, 0, width - 1, height - 1);
    }

    /// <summary>The pixels, row-major, R G B per pixel.</summary>
    public byte[] Pixels { get; }

    /// <summary>Inclusive rectangle outside which nothing is drawn.</summary>
    public (int Left, int Top, int Right, int Bottom) Clip { get; set; }

    public void Set(int x, int y, ChartColor color)
    {
        if (x < Clip.Left || x > Clip.Right || y < Clip.Top || y > Clip.Bottom)
        {
            return;
        }

        int at = ((y * _width) + x) * 3;
        Pixels[at] = color.R;
        Pixels[at + 1] = color.G;
        Pixels[at + 2] = color.B;
    }

    /// <summary>A filled rectangle of <paramref name="size"/> columns and <paramref name="height"/> (default: size) rows.</summary>
    public void Square(int left, int top, int size, ChartColor color, int? height = null)
    {
        for (int dy = 0; dy < (height ?? size); dy++)
        {
            for (int dx = 0; dx < size; dx++)
            {
                Set(left + dx, top + dy, color);
            }
        }
    }

    /// <summary>A straight line (Bresenham) from (x0, y0) to (x1, y1), both ends included, <paramref name="thickness"/> pixels square.</summary>
    public void Line(int x0, int y0, int x1, int y1, ChartColor color, int thickness)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int error = dx + dy;
        while (true)
        {
            Square(x0 - ((thickness - 1) / 2), y0 - ((thickness - 1) / 2), thickness, color);
            if (x0 == x1 && y0 == y1)
            {
                return;
            }

            int twice = 2 * error;
            if (twice >= dy)
            {
                error += dy;
                x0 += sx;
            }

            if (twice <= dx)
            {
                error += dx;
                y0 += sy;
            }
        }
    }

    /// <summary>The outline of the inclusive rectangle, one pixel wide.</summary>
    public void Rectangle(int left, int top, int right, int bottom, ChartColor color)
    {
        Line(left, top, right, top, color, 1);
        Line(left, bottom, right, bottom, color, 1);
        Line(left, top, left, bottom, color, 1);
        Line(right, top, right, bottom, color, 1);
    }

    public void Text(string text, int left, int top, int scale, ChartColor color) =>
        BitmapFont.Draw(Pixels, _width, _height, text, left, top, scale, color);
}
