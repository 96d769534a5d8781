// Shared helpers: medians, interleaved A/B timing, machine load, argument parsing.
using System.Diagnostics;
using System.Globalization;

namespace Adrpo.Benchmarks;

/// <summary>Statistics and timing helpers shared by the benchmark modes.</summary>
internal static class Bench
{
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0)
        {
            return double.NaN;
        }

        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Times <paramref name="a"/> and <paramref name="b"/> alternately (A B, then B A, ...) after
    /// <paramref name="warmUp"/> pairs; each call returns its own elapsed milliseconds (or null to time the whole call).</summary>
    public static (List<double> A, List<double> B) Interleave(Func<double?> a, Func<double?> b, int repetitions, int warmUp = 2)
    {
        for (int i = 0; i < warmUp; i++)
        {
            a();
            b();
        }

        var ta = new List<double>();
        var tb = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            if (i % 2 == 0)
            {
                ta.Add(Time(a));
                tb.Add(Time(b));
            }
            else
            {
                tb.Add(Time(b));
                ta.Add(Time(a));
            }
        }

        return (ta, tb);
    }

    /// <summary>Median of the pairwise ratios a[i] / b[i].</summary>
    public static double PairedRatio(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        Median(a.Zip(b, (x, y) => x / y));

    public static string Load()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {parts[0]} {parts[1]} {parts[2]} on {Environment.ProcessorCount} cores";
        }
        catch (IOException)
        {
            return $"load average unknown, {Environment.ProcessorCount} cores";
        }
    }

    public static int IntArg(string[] args, int index, int fallback) =>
        args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    public static string F(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The loaded native library's path (from /proc/self/maps), which names the libtorch package version.</summary>
    public static string NativeLibrary(string file)
    {
        try
        {
            string? line = File.ReadLines("/proc/self/maps").FirstOrDefault(l => l.EndsWith("/" + file, StringComparison.Ordinal));
            return line is null ? file + " not loaded" : line[line.IndexOf('/', StringComparison.Ordinal)..];
        }
        catch (IOException)
        {
            return file;
        }
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Adrpo.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private static double Time(Func<double?> step)
    {
        var watch = Stopwatch.StartNew();
        double? own = step();
        return own ?? watch.Elapsed.TotalMilliseconds;
    }
}
