namespace Adrpo.Imaging;

/// <summary>An 8-bit RGB colour for <see cref="LineChart"/>.</summary>
/// <param name="R">Red, 0-255.</param>
/// <param name="G">Green, 0-255.</param>
/// <param name="B">Blue, 0-255.</param>
internal readonly record struct ChartColor(byte R, byte G, byte B)
{
    /// <summary>White, the chart background.</summary>
    public static ChartColor White => new(255, 255, 255);

    /// <summary>Black, used for text.</summary>
    public static ChartColor Black => new(0, 0, 0);

    /// <summary>
    /// Ten distinguishable colours (the "tab10" palette); series added without a colour take them in turn.
    /// </summary>
    public static IReadOnlyList<ChartColor> Palette { get; } =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];
}

/// <summary>
/// One named line of a <see cref="LineChart"/>: points (X[i], Y[i]) joined in order. A point whose x or y is NaN or
/// infinite is skipped and breaks the line; a point with no valid neighbour is drawn as a dot.
/// </summary>
internal sealed class LineSeries
{
    internal LineSeries(string name, double[] x, double[] y, ChartColor color)
    {
        Name = name;
        X = x;
        Y = y;
        Color = color;
    }

    /// <summary>Name shown in the legend; an empty name leaves the series out of the legend.</summary>
    public string Name { get; }

    /// <summary>X coordinates (a copy of what was added).</summary>
    public IReadOnlyList<double> X { get; }

    /// <summary>Y coordinates (a copy of what was added), as many as <see cref="X"/>.</summary>
    public IReadOnlyList<double> Y { get; }

    /// <summary>Line and legend colour.</summary>
    public ChartColor Color { get; }

    /// <summary>Whether point <paramref name="i"/> has a finite x and y.</summary>
    internal bool IsValid(int i) => double.IsFinite(X[i]) && double.IsFinite(Y[i]);
}
