using System.Globalization;
using Microsoft.Data.Analysis;

namespace Adrpo.Imaging;

/// <summary>
/// A small, dependency-free line chart rendered to PNG: named series of (x, y) points in colours, axes with tick
/// labels and light grid lines, a title, axis labels and a legend, drawn with a built-in 5 x 7 bitmap font.
/// Made for training curves (reward, divergence per iteration), not for publication graphics.
/// </summary>
/// <remarks>
/// Both axes span the finite values of all series, widened to "nice" tick steps (1, 2 or 5 times a power of ten).
/// Points with a NaN or infinite coordinate are skipped and break their line. Files are written atomically through
/// <see cref="PngWriter"/>.
/// </remarks>
/// <example>
/// <code>
/// new LineChart { Title = "Reward per iteration", XLabel = "iteration" }
///     .Add("ADRPO", iterations, rewards)
///     .Write("reward.png");
/// </code>
/// </example>
internal sealed partial class LineChart
{
    /// <summary>Smallest accepted width in pixels.</summary>
    public const int MinWidth = 160;

    /// <summary>Smallest accepted height in pixels.</summary>
    public const int MinHeight = 120;

    /// <summary>Largest accepted width or height in pixels.</summary>
    public const int MaxSize = 8192;

    private readonly List<LineSeries> _series = new();
    private int _textScale = 2;

    /// <summary>Creates an empty chart of the given size.</summary>
    /// <param name="width">Width in pixels, <see cref="MinWidth"/> to <see cref="MaxSize"/>.</param>
    /// <param name="height">Height in pixels, <see cref="MinHeight"/> to <see cref="MaxSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is outside its range.</exception>
    public LineChart(int width = 800, int height = 480)
    {
        if (width is < MinWidth or > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"width must be {MinWidth} to {MaxSize} pixels.");
        }

        if (height is < MinHeight or > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, $"height must be {MinHeight} to {MaxSize} pixels.");
        }

        Width = width;
        Height = height;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Title drawn centred at the top; empty for none.</summary>
    public string Title { get; set; } = string.Empty;

    /// <summary>Label drawn centred under the x axis; empty for none.</summary>
    public string XLabel { get; set; } = string.Empty;

    /// <summary>Label drawn above the y axis; empty for none.</summary>
    public string YLabel { get; set; } = string.Empty;

    /// <summary>Integer magnification of the 5 x 7 font, 1 to 4 (default 2: 10 x 14 pixel glyphs).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to 4.</exception>
    public int TextScale
    {
        get => _textScale;
        set => _textScale = value is >= 1 and <= 4 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "TextScale must be 1 to 4.");
    }

    /// <summary>
    /// Draws a square marker on every point (default false: lines only). The first point of each series gets a larger
    /// one, so trajectories (e.g. reward against diversity at successive evaluations) show where they start.
    /// </summary>
    public bool ShowMarkers { get; set; }

    /// <summary>The series, in the order they were added (and drawn).</summary>
    public IReadOnlyList<LineSeries> Series => _series;

    /// <summary>Adds a series of points (x[i], y[i]).</summary>
    /// <param name="name">Legend text; empty to leave the series out of the legend.</param>
    /// <param name="x">X coordinates, at least one.</param>
    /// <param name="y">Y coordinates, as many as <paramref name="x"/>; at least one point must have a finite x and y.</param>
    /// <param name="color">Line colour; by default the next colour of <see cref="ChartColor.Palette"/>.</param>
    /// <returns>This chart, for chaining.</returns>
    /// <exception cref="ArgumentException">The series is empty, the lengths differ, or no point is finite.</exception>
    public LineChart Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, ChartColor? color = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0)
        {
            throw new ArgumentException($"Series '{name}' is empty; it needs at least one point.", nameof(x));
        }

        if (y.Count != x.Count)
        {
            throw new ArgumentException($"Series '{name}' has {x.Count} x values but {y.Count} y values.", nameof(y));
        }

        var series = new LineSeries(name, x.ToArray(), y.ToArray(), color ?? ChartColor.Palette[_series.Count % ChartColor.Palette.Count]);
        if (!Enumerable.Range(0, x.Count).Any(series.IsValid))
        {
            throw new ArgumentException($"Series '{name}' has no point with a finite x and y.", nameof(y));
        }

        _series.Add(series);
        return this;
    }

    /// <summary>Adds a series whose x coordinates are 1, 2, ..., y.Count (e.g. one value per iteration).</summary>
    /// <param name="name">Legend text; empty to leave the series out of the legend.</param>
    /// <param name="y">Y coordinates, at least one, at least one finite.</param>
    /// <param name="color">Line colour; by default the next colour of <see cref="ChartColor.Palette"/>.</param>
    /// <returns>This chart, for chaining.</returns>
    /// <exception cref="ArgumentException">The series is empty or has no finite value.</exception>
    public LineChart Add(string name, IReadOnlyList<double> y, ChartColor? color = null)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (y.Count == 0)
        {
            throw new ArgumentException($"Series '{name}' is empty; it needs at least one point.", nameof(y));
        }

        return Add(name, Enumerable.Range(1, y.Count).Select(i => (double)i).ToArray(), y, color);
    }

    /// <summary>
    /// Adds the series (<paramref name="xColumn"/>, <paramref name="yColumn"/>) of a metrics table, such as a trainer's
    /// <c>Metrics</c> or a metrics CSV read with <c>DataFrame.LoadCsv</c>;
    /// null cells become gaps.
    /// </summary>
    /// <param name="metrics">The table.</param>
    /// <param name="xColumn">Name of a numeric column for x (e.g. "Iteration").</param>
    /// <param name="yColumn">Name of a numeric column for y (e.g. "RewardMean").</param>
    /// <param name="name">Legend text; by default <paramref name="yColumn"/>.</param>
    /// <param name="color">Line colour; by default the next colour of <see cref="ChartColor.Palette"/>.</param>
    /// <returns>This chart, for chaining.</returns>
    /// <exception cref="ArgumentException">A column is missing or not numeric, or the table has no rows.</exception>
    public LineChart AddColumns(DataFrame metrics, string xColumn, string yColumn, string? name = null, ChartColor? color = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        double[] x = NumericColumn(metrics, xColumn, nameof(xColumn));
        double[] y = NumericColumn(metrics, yColumn, nameof(yColumn));
        if (x.Length == 0)
        {
            throw new ArgumentException("The metrics table has no rows.", nameof(metrics));
        }

        return Add(name ?? yColumn, x, y, color);
    }

    /// <summary>A chart of one or more columns of a metrics table against <paramref name="xColumn"/>, one series each.</summary>
    /// <param name="metrics">The table (e.g. a trainer's <c>Metrics</c>).</param>
    /// <param name="xColumn">Name of the numeric x column.</param>
    /// <param name="yColumns">Names of the numeric columns to draw, at least one.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The chart, with <see cref="XLabel"/> set to <paramref name="xColumn"/>.</returns>
    /// <exception cref="ArgumentException">No y column was given, or a column is missing or not numeric.</exception>
    public static LineChart FromMetrics(DataFrame metrics, string xColumn, IEnumerable<string> yColumns, string title = "", int width = 800, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(yColumns);
        var names = yColumns.ToList();
        if (names.Count == 0)
        {
            throw new ArgumentException("Name at least one y column.", nameof(yColumns));
        }

        var chart = new LineChart(width, height) { Title = title ?? string.Empty, XLabel = xColumn };
        names.ForEach(column => chart.AddColumns(metrics, xColumn, column));
        return chart;
    }

    /// <summary>Rasterises the chart.</summary>
    /// <returns>Interleaved 8-bit RGB pixels, row-major, <c>Height * Width * 3</c> bytes.</returns>
    /// <exception cref="InvalidOperationException">The chart has no series, or its text leaves no room for the plot.</exception>
    public byte[] Render() => Rasterise(ComputeLayout());

    /// <summary>Renders the chart as PNG bytes (8-bit RGB).</summary>
    /// <returns>The complete PNG file.</returns>
    public byte[] EncodePng() => PngWriter.EncodeRgb(Render(), Height, Width);

    /// <summary>
    /// Writes the chart as a PNG file atomically: a temporary file in the same folder is written and renamed over
    /// <paramref name="path"/>; on failure no temporary file is left and an existing file is kept.
    /// </summary>
    /// <param name="path">Destination file; its folder must exist.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        PngWriter.WriteBytes(path, EncodePng());
    }

    private static double[] NumericColumn(DataFrame metrics, string column, string paramName)
    {
        ArgumentNullException.ThrowIfNull(column, paramName);
        int index = metrics.Columns.IndexOf(column);
        if (index < 0)
        {
            throw new ArgumentException($"Column '{column}' is not in the metrics table; it has: {string.Join(", ", metrics.Columns.Select(c => c.Name))}.", paramName);
        }

        var data = metrics.Columns[index];
        if (!data.IsNumericColumn())
        {
            throw new ArgumentException($"Column '{column}' holds {data.DataType.Name}; a numeric column is needed.", paramName);
        }

        var values = new double[data.Length];
        for (long i = 0; i < data.Length; i++)
        {
            values[i] = data[i] is { } cell ? Convert.ToDouble(cell, CultureInfo.InvariantCulture) : double.NaN;
        }

        return values;
    }
}
