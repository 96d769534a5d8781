using System.Globalization;

namespace Adrpo.Reproduction.Results;

/// <summary>Mean and standard error over seeds (sample standard deviation / sqrt(n)), NaN values left out.</summary>
internal readonly record struct MeanWithError(double Mean, double StandardError, int Count)
{
    public static MeanWithError Of(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            return new MeanWithError(double.NaN, double.NaN, 0);
        }

        double mean = finite.Average();
        double variance = finite.Length > 1 ? finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1) : double.NaN;
        return new MeanWithError(mean, Math.Sqrt(variance / finite.Length), finite.Length);
    }

    /// <summary>Mean over standard error: Student's t with Count - 1 degrees of freedom for a paired difference.</summary>
    public double T => StandardError > 0 ? Mean / StandardError : double.NaN;

    /// <summary>"0.213 ± 0.004" with the given number format; "-" when there is no value.</summary>
    public string Format(string format = "F3") => double.IsNaN(Mean)
        ? "-"
        : double.IsNaN(StandardError)
            ? Mean.ToString(format, CultureInfo.InvariantCulture)
            : $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {StandardError.ToString(format, CultureInfo.InvariantCulture)}";

    /// <summary>A difference: "+0.012 ± 0.004" (three decimals, sign always shown).</summary>
    public string FormatSigned() => double.IsNaN(Mean)
        ? "-"
        : $"{Mean.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture)}{(double.IsNaN(StandardError) ? string.Empty : $" ± {StandardError.ToString("F3", CultureInfo.InvariantCulture)}")}";
}

/// <summary>
/// A paired comparison across seeds: for every seed both runs share prompts, noise and evaluation draws, so the
/// per-seed difference removes what the seeds have in common.
/// </summary>
internal static class PairedDifference
{
    /// <summary>Two-sided 5% critical values of Student's t by degrees of freedom (1 to 10).</summary>
    private static readonly double[] Critical = [double.NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

    /// <summary>Differences a - b of the seeds both have.</summary>
    public static MeanWithError Of(IReadOnlyDictionary<int, double> a, IReadOnlyDictionary<int, double> b) =>
        MeanWithError.Of(a.Keys.Intersect(b.Keys).Order().Select(seed => a[seed] - b[seed]));

    /// <summary>
    /// "holds" when the claimed direction is significant at 5% (two-sided paired t), "same direction, not significant",
    /// or "opposite direction" (significant or not, as said).
    /// </summary>
    public static string Verdict(MeanWithError difference, bool claimPositive = true)
    {
        if (difference.Count < 2 || double.IsNaN(difference.T))
        {
            return difference.Count < 2 ? "too few seeds to test" : "no spread (identical runs)";
        }

        int df = difference.Count - 1;
        double critical = df < Critical.Length ? Critical[df] : 1.96;
        double t = claimPositive ? difference.T : -difference.T;
        return t >= critical ? $"**holds** (t = {F(t)}, {df} df, p < 0.05)"
            : t > 0 ? $"same direction, not significant (t = {F(t)}, {df} df; needs {F(critical)})"
            : t <= -critical ? $"**opposite**, significant (t = {F(t)}, {df} df)"
            : $"opposite direction, not significant (t = {F(t)}, {df} df)";
    }

    private static string F(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
