using Adrpo.Imaging;
using Microsoft.Data.Analysis;

namespace Adrpo.Tests.Imaging;

[TestClass]
public sealed class LineChartTests
{
    private static readonly ChartColor Red = new(200, 0, 0);
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-chart-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void PngHasTheChartSizeAndIsRgb()
    {
        var chart = new LineChart(320, 200).Add("a", [0.0, 1.0], [0.0, 1.0]);
        var png = PngTestDecoder.Decode(chart.EncodePng());
        Assert.AreEqual((320, 200, 8, 2), (png.Width, png.Height, png.BitDepth, png.ColorType));
        Assert.HasCount(320 * 200 * 3, chart.Render());
        CollectionAssert.AreEqual(chart.Render(), png.Samples, "the PNG holds exactly the rendered pixels");
    }

    [TestMethod]
    public void SeriesPixelsLieWhereTheDataSays()
    {
        // Data spanning [0, 10] on both axes gives ticks 0, 2, ..., 10, so the axes span exactly [0, 10]:
        // (0, 0) is the plot's bottom-left corner and (10, 10) its top-right corner.
        var chart = new LineChart(400, 300).Add("diagonal", [0.0, 10.0], [0.0, 10.0], Red);
        var (left, top, right, bottom) = chart.PlotArea();
        Assert.AreEqual((left, bottom), chart.ToPixel(0, 0));
        Assert.AreEqual((right, top), chart.ToPixel(10, 10));
        var (midX, midY) = chart.ToPixel(5, 5);
        Assert.AreEqual((left + right) / 2.0, midX, 1.0);
        Assert.AreEqual((top + bottom) / 2.0, midY, 1.0);

        var png = PngTestDecoder.Decode(chart.EncodePng());
        foreach (double v in new[] { 0.0, 2.5, 5.0, 7.5, 10.0 })
        {
            var (x, y) = chart.ToPixel(v, v);
            Assert.IsTrue(IsColor(png, x, y, Red), $"({v}, {v}) at pixel ({x}, {y}) is drawn");
        }

        // Every red pixel of the plot lies on the diagonal (within the 2-pixel line width).
        int redPixels = 0;
        for (int y = top; y <= bottom; y++)
        {
            for (int x = left; x <= right; x++)
            {
                if (IsColor(png, x, y, Red))
                {
                    redPixels++;
                    double expectedY = bottom - ((x - left) * (double)(bottom - top) / (right - left));
                    Assert.AreEqual(expectedY, y, 2.5, $"red pixel ({x}, {y}) is off the line");
                }
            }
        }

        Assert.IsGreaterThan(right - left, redPixels, "the line is continuous");
        var (offX, offY) = chart.ToPixel(2, 8);
        Assert.IsFalse(IsColor(png, offX, offY, Red), "nothing is drawn away from the data");
    }

    [TestMethod]
    public void TitleAndLegendAreDrawnAboveThePlot()
    {
        var bare = new LineChart(400, 300).Add(string.Empty, [0.0, 1.0], [0.0, 1.0], Red);
        var labelled = new LineChart(400, 300) { Title = "Reward per iteration", YLabel = "reward" }.Add("ADRPO", [0.0, 1.0], [0.0, 1.0], Red);
        int bareTop = bare.PlotArea().Top, top = labelled.PlotArea().Top;
        Assert.IsGreaterThan(bareTop, top, "the title, legend and y label take room above the plot");

        var barePng = PngTestDecoder.Decode(bare.EncodePng());
        Assert.AreEqual(0, CountPixels(barePng, 0, bareTop - 8, c => c != ChartColor.White), "no title or legend: blank top");

        var png = PngTestDecoder.Decode(labelled.EncodePng());
        Assert.IsGreaterThan(100, CountPixels(png, 0, top - 8, c => c == ChartColor.Black), "title and legend text");
        Assert.IsGreaterThan(10, CountPixels(png, 0, top - 8, c => c == Red), "legend swatch in the series colour");
    }

    [TestMethod]
    public void MarkersSitOnEveryPointAndTheFirstIsLarger()
    {
        // A horizontal line: off the line, only a marker can colour a pixel 4 rows above a point.
        double[] x = [0.0, 5.0, 10.0], y = [5.0, 5.0, 5.0];
        var plain = PngTestDecoder.Decode(new LineChart(400, 300).Add("flat", x, y, Red).EncodePng());
        var chart = new LineChart(400, 300) { ShowMarkers = true }.Add("flat", x, y, Red);
        var marked = PngTestDecoder.Decode(chart.EncodePng());
        var (firstX, firstY) = chart.ToPixel(0, 5);
        var (midX, midY) = chart.ToPixel(5, 5);
        Assert.IsFalse(IsColor(plain, midX, midY - 3, Red), "without markers nothing is drawn 3 pixels above the line");
        Assert.IsTrue(IsColor(marked, midX, midY - 3, Red), "a 7-pixel marker reaches 3 pixels above its point");
        Assert.IsFalse(IsColor(marked, midX, midY - 5, Red), "an ordinary marker is 7 pixels wide");
        Assert.IsTrue(IsColor(marked, firstX + 1, firstY - 5, Red), "the first point's marker is 11 pixels wide");
    }

    [TestMethod]
    public void NaNAndInfinitePointsAreSkippedAndBreakTheLine()
    {
        var chart = new LineChart(400, 300).Add("gappy", [0.0, 1.0, 2.0, 3.0, 4.0], [1.0, double.NaN, 3.0, double.PositiveInfinity, 5.0], Red);
        var png = PngTestDecoder.Decode(chart.EncodePng());
        foreach (var (x, y) in new[] { (0.0, 1.0), (2.0, 3.0), (4.0, 5.0) })
        {
            var (px, py) = chart.ToPixel(x, y);
            Assert.IsTrue(IsColor(png, px, py, Red), $"valid point ({x}, {y}) is drawn as a dot");
        }

        foreach (var (x, y) in new[] { (1.0, 2.0), (3.0, 4.0) })
        {
            var (px, py) = chart.ToPixel(x, y);
            Assert.IsFalse(IsColor(png, px, py, Red), $"no line is drawn across the gap at ({x}, {y})");
        }

        var (left, top, right, bottom) = chart.PlotArea();
        Assert.AreEqual((left, bottom), chart.ToPixel(0, 1), "axes span the finite values only");
        Assert.AreEqual((right, top), chart.ToPixel(4, 5));
    }

    [TestMethod]
    public void BadSeriesAndSizesNameTheParameter()
    {
        var chart = new LineChart();
        Assert.AreEqual("x", Assert.ThrowsExactly<ArgumentException>(() => chart.Add("empty", [], [])).ParamName);
        Assert.AreEqual("y", Assert.ThrowsExactly<ArgumentException>(() => chart.Add("empty", Array.Empty<double>())).ParamName);
        Assert.AreEqual("y", Assert.ThrowsExactly<ArgumentException>(() => chart.Add("short", [1.0, 2.0], [1.0])).ParamName);
        Assert.AreEqual("y", Assert.ThrowsExactly<ArgumentException>(() => chart.Add("nan", [1.0, 2.0], [double.NaN, double.NaN])).ParamName);
        Assert.AreEqual("x", Assert.ThrowsExactly<ArgumentNullException>(() => chart.Add("null", null!, [1.0])).ParamName);
        Assert.IsEmpty(chart.Series, "rejected series are not added");
        Assert.ThrowsExactly<InvalidOperationException>(() => chart.Render(), "a chart needs a series");

        Assert.AreEqual("width", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LineChart(LineChart.MinWidth - 1, 300)).ParamName);
        Assert.AreEqual("width", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LineChart(LineChart.MaxSize + 1, 300)).ParamName);
        Assert.AreEqual("height", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LineChart(400, 0)).ParamName);
        Assert.AreEqual("value", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => chart.TextScale = 5).ParamName);
    }

    [TestMethod]
    public void WriteIsAtomicAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "curve.png");
        var chart = new LineChart(240, 160).Add("a", [1.0, 2.0, 3.0]);
        chart.Write(path);
        chart.Add("b", [3.0, 2.0, 1.0]).Write(path);   // replaces the existing file
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_dir));
        CollectionAssert.AreEqual(chart.EncodePng(), File.ReadAllBytes(path));

        string missing = Path.Combine(_dir, "no-such-folder", "curve.png");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => chart.Write(missing));
        Assert.ThrowsExactly<InvalidOperationException>(() => new LineChart().Write(Path.Combine(_dir, "empty.png")));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_dir, "*", SearchOption.AllDirectories), "failed writes leave nothing behind");
    }

    [TestMethod]
    public void FromMetricsChartsDataFrameColumns()
    {
        var metrics = new DataFrame(
            new Int32DataFrameColumn("Iteration", [1, 2, 3, 4]),
            new DoubleDataFrameColumn("RewardMean", [0.2, 0.4, null, 0.8]),
            new DoubleDataFrameColumn("W2", [0.0, 1e-4, 2e-4, 3e-4]),
            new StringDataFrameColumn("Method", ["a", "b", "c", "d"]));
        var chart = LineChart.FromMetrics(metrics, "Iteration", ["RewardMean"], "Reward");
        Assert.AreEqual("RewardMean", chart.Series.Single().Name);
        Assert.AreEqual("Iteration", chart.XLabel);
        Assert.IsTrue(double.IsNaN(chart.Series[0].Y[2]), "a null cell becomes a gap");
        var png = PngTestDecoder.Decode(chart.EncodePng());
        var (x, y) = chart.ToPixel(2, 0.4);
        Assert.IsTrue(IsColor(png, x, y, ChartColor.Palette[0]));

        Assert.AreEqual("yColumn", Assert.ThrowsExactly<ArgumentException>(() => chart.AddColumns(metrics, "Iteration", "Missing")).ParamName);
        Assert.AreEqual("yColumn", Assert.ThrowsExactly<ArgumentException>(() => chart.AddColumns(metrics, "Iteration", "Method")).ParamName);
        Assert.AreEqual("yColumns", Assert.ThrowsExactly<ArgumentException>(() => LineChart.FromMetrics(metrics, "Iteration", [])).ParamName);
        LineChart.FromMetrics(metrics, "Iteration", ["W2"]).Render();   // tiny values get scientific tick labels
    }

    [TestMethod]
    public void BitmapFontCoversPrintableAscii()
    {
        Assert.AreEqual(0, GlyphPixels(' ').Count(set => set));
        for (char c = '!'; c <= '~'; c++)
        {
            Assert.IsTrue(GlyphPixels(c).Any(set => set), $"glyph '{c}' has pixels");
        }

        var digits = Enumerable.Range('0', 10).Select(c => string.Concat(GlyphPixels((char)c).Select(set => set ? '1' : '0'))).ToList();
        Assert.HasCount(10, digits.Distinct(), "digits are distinct");
        CollectionAssert.AreEqual(GlyphPixels('?'), GlyphPixels('\u00e9'), "characters outside ASCII draw as '?'");
        Assert.AreEqual(((3 * BitmapFont.Advance) - 1) * 2, BitmapFont.MeasureWidth("abc", 2));
    }

    private static bool[] GlyphPixels(char c) =>
        Enumerable.Range(0, BitmapFont.GlyphWidth * BitmapFont.GlyphHeight)
            .Select(i => BitmapFont.IsSet(c, i % BitmapFont.GlyphWidth, i / BitmapFont.GlyphWidth)).ToArray();

    private static ChartColor ColorAt(DecodedPng png, int x, int y) => new(png.Sample(x, y, 0), png.Sample(x, y, 1), png.Sample(x, y, 2));

    private static bool IsColor(DecodedPng png, int x, int y, ChartColor color) => ColorAt(png, x, y) == color;

    private static int CountPixels(DecodedPng png, int firstRow, int lastRow, Func<ChartColor, bool> match)
    {
        int count = 0;
        for (int y = firstRow; y <= lastRow; y++)
        {
            for (int x = 0; x < png.Width; x++)
            {
                count += match(ColorAt(png, x, y)) ? 1 : 0;
            }
        }

        return count;
    }
}
