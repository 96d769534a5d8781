using System.Globalization;

namespace Adrpo.Imaging;

/// <summary>Layout and rasterisation of <see cref="LineChart"/>.</summary>
internal sealed partial class LineChart
{
    private static readonly ChartColor GridColor = new(228, 228, 228);
    private static readonly ChartColor AxisColor = new(90, 90, 90);

    /// <summary>The pixel (column, row) where the data point (<paramref name="x"/>, <paramref name="y"/>) is drawn.</summary>
    internal (int X, int Y) ToPixel(double x, double y) => ComputeLayout().ToPixel(x, y);

    /// <summary>The plot rectangle (border included) of the current layout.</summary>
    internal (int Left, int Top, int Right, int Bottom) PlotArea()
    {
        var layout = ComputeLayout();
        return (layout.Left, layout.Top, layout.Right, layout.Bottom);
    }

    private Layout ComputeLayout()
    {
        if (_series.Count == 0)
        {
            throw new InvalidOperationException("The chart has no series; add one with Add.");
        }

        int s = TextScale, lineHeight = BitmapFont.LineHeight * s, pad = 4 * s, tick = 3 * s;
        var xAxis = Axis.Nice(Valid(p => p.X), "x");
        var yAxis = Axis.Nice(Valid(p => p.Y), "y");
        int y = pad, titleTop = -1, yLabelTop = -1;
        if (Title.Length > 0)
        {
            titleTop = y;
            y += lineHeight + pad;
        }

        var legend = new List<(int Left, int Top, LineSeries Series)>();
        int legendX = pad;
        foreach (var series in _series.Where(series => series.Name.Length > 0))
        {
            int entry = (11 * s) + BitmapFont.MeasureWidth(series.Name, s);
            if (legendX + entry > Width - pad && legendX > pad)
            {
                legendX = pad;
                y += lineHeight;
            }

            legend.Add((legendX, y, series));
            legendX += entry + (8 * s);
        }

        if (legend.Count > 0)
        {
            y += lineHeight + pad;
        }

        if (YLabel.Length > 0)
        {
            yLabelTop = y;
            y += lineHeight;
        }

        int top = y + (BitmapFont.GlyphHeight * s / 2) + s;
        int labelWidth = Enumerable.Range(0, yAxis.Ticks + 1).Max(i => BitmapFont.MeasureWidth(yAxis.Label(i), s));
        int left = pad + labelWidth + tick + (2 * s);
        int bottom = Height - 1 - pad - (XLabel.Length > 0 ? lineHeight : 0) - lineHeight - tick;
        int right = Width - 1 - pad - (BitmapFont.MeasureWidth(xAxis.Label(xAxis.Ticks), s) / 2);
        if (right - left < 16 || bottom - top < 16)
        {
            throw new InvalidOperationException($"A {Width} x {Height} chart leaves no room for the plot beside its text; make it larger or lower TextScale.");
        }

        return new Layout(left, top, right, bottom, xAxis, yAxis, titleTop, yLabelTop, legend);
    }

    private IEnumerable<double> Valid(Func<(double X, double Y), double> pick) =>
        _series.SelectMany(series => Enumerable.Range(0, series.X.Count).Where(series.IsValid).Select(i => pick((series.X[i], series.Y[i]))));

    private byte[] Rasterise(Layout layout)
    {
        var canvas = new ChartCanvas(Width, Height);
        int s = TextScale, tick = 3 * s, glyph = BitmapFont.GlyphHeight * s;
        var (xAxis, yAxis) = (layout.X, layout.Y);

        // Grid lines, tick marks and tick labels; x labels are thinned out when they would touch.
        int spacing = Math.Max(1, layout.ToPixel(xAxis.Tick(1), yAxis.Min).X - layout.Left);
        int widest = Enumerable.Range(0, xAxis.Ticks + 1).Max(i => BitmapFont.MeasureWidth(xAxis.Label(i), s));
        int every = (int)Math.Ceiling((widest + (2.0 * BitmapFont.Advance * s)) / spacing);
        for (int i = 0; i <= xAxis.Ticks; i++)
        {
            int px = layout.ToPixel(xAxis.Tick(i), yAxis.Min).X;
            canvas.Line(px, layout.Top, px, layout.Bottom, GridColor, 1);
            canvas.Line(px, layout.Bottom, px, layout.Bottom + tick, AxisColor, 1);
            if (i % every == 0)
            {
                string label = xAxis.Label(i);
                canvas.Text(label, px - (BitmapFont.MeasureWidth(label, s) / 2), layout.Bottom + tick + s, s, ChartColor.Black);
            }
        }

        for (int i = 0; i <= yAxis.Ticks; i++)
        {
            int py = layout.ToPixel(xAxis.Min, yAxis.Tick(i)).Y;
            canvas.Line(layout.Left, py, layout.Right, py, GridColor, 1);
            canvas.Line(layout.Left - tick, py, layout.Left, py, AxisColor, 1);
            string label = yAxis.Label(i);
            canvas.Text(label, layout.Left - tick - (2 * s) - BitmapFont.MeasureWidth(label, s), py - (glyph / 2), s, ChartColor.Black);
        }

        canvas.Rectangle(layout.Left, layout.Top, layout.Right, layout.Bottom, AxisColor);

        // Series, clipped to the plot; NaN or infinite points break the line, isolated points become dots.
        canvas.Clip = (layout.Left, layout.Top, layout.Right, layout.Bottom);
        foreach (var series in _series)
        {
            for (int i = 0; i < series.X.Count; i++)
            {
                if (!series.IsValid(i))
                {
                    continue;
                }

                var (px, py) = layout.ToPixel(series.X[i], series.Y[i]);
                if (i > 0 && series.IsValid(i - 1))
                {
                    var (qx, qy) = layout.ToPixel(series.X[i - 1], series.Y[i - 1]);
                    canvas.Line(qx, qy, px, py, series.Color, 2);
                }
                else if (i + 1 >= series.X.Count || !series.IsValid(i + 1))
                {
                    canvas.Square(px - 2, py - 2, 5, series.Color);
                }
            }

            if (ShowMarkers)
            {
                DrawMarkers(canvas, layout, series);
            }
        }

        canvas.Clip = (0, 0, Width - 1, Height - 1);
        if (layout.TitleTop >= 0)
        {
            canvas.Text(Title, (Width - BitmapFont.MeasureWidth(Title, s)) / 2, layout.TitleTop, s, ChartColor.Black);
        }

        foreach (var (left, top, series) in layout.Legend)
        {
            canvas.Square(left, top + (glyph / 2) - s, 8 * s, series.Color, height: 2 * s);
            canvas.Text(series.Name, left + (11 * s), top, s, ChartColor.Black);
        }

        if (layout.YLabelTop >= 0)
        {
            canvas.Text(YLabel, 4 * s, layout.YLabelTop, s, ChartColor.Black);
        }

        if (XLabel.Length > 0)
        {
            int center = (layout.Left + layout.Right - BitmapFont.MeasureWidth(XLabel, s)) / 2;
            canvas.Text(XLabel, center, layout.Bottom + tick + s + (BitmapFont.LineHeight * s), s, ChartColor.Black);
        }

        return canvas.Pixels;
    }

    /// <summary>A square on every valid point; the first valid point's is larger, so a trajectory shows where it starts.</summary>
    private static void DrawMarkers(ChartCanvas canvas, Layout layout, LineSeries series)
    {
        bool first = true;
        for (int i = 0; i < series.X.Count; i++)
        {
            if (series.IsValid(i))
            {
                int size = first ? 11 : 7;
                var (px, py) = layout.ToPixel(series.X[i], series.Y[i]);
                canvas.Square(px - (size / 2), py - (size / 2), size, series.Color);
                first = false;
            }
        }
    }

    private sealed record Layout(int Left, int Top, int Right, int Bottom, Axis X, Axis Y, int TitleTop, int YLabelTop, List<(int Left, int Top, LineSeries Series)> Legend)
    {
        public (int X, int Y) ToPixel(double x, double y) =>
            (Left + (int)Math.Round((x - X.Min) / (X.Max - X.Min) * (Right - Left)),
             Bottom - (int)Math.Round((y - Y.Min) / (Y.Max - Y.Min) * (Bottom - Top)));
    }

    private readonly record struct Axis(double Min, double Max, double Step)
    {
        public int Ticks => (int)Math.Round((Max - Min) / Step);

        // The data range widened to multiples of a step of 1, 2 or 5 times a power of ten (about five steps).
        public static Axis Nice(IEnumerable<double> values, string name)
        {
            double min = values.Min(), max = values.Max();
            if (min == max)
            {
                double half = min == 0 ? 1 : Math.Abs(min) * 0.1;
                (min, max) = (min - half, max + half);
            }

            double raw = (max - min) / 5;
            if (!double.IsFinite(raw) || raw <= double.Epsilon * 1e3)
            {
                throw new InvalidOperationException($"The {name} values span [{min}, {max}], which cannot be drawn on one axis.");
            }

            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double unit = raw / magnitude;
            double step = (unit < 1.5 ? 1 : unit < 3 ? 2 : unit < 7 ? 5 : 10) * magnitude;
            return new Axis(Math.Floor((min / step) + 1e-9) * step, Math.Ceiling((max / step) - 1e-9) * step, step);
        }

        public double Tick(int i)
        {
            double value = Min + (i * Step);
            return Math.Abs(value) < Step * 1e-6 ? 0 : value;
        }

        public string Label(int i)
        {
            int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(Step) + 1e-9));
            bool scientific = decimals > 4 || Math.Max(Math.Abs(Min), Math.Abs(Max)) >= 1e6;
            return Tick(i).ToString(scientific ? "0.##E+0" : "F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }
    }
}
