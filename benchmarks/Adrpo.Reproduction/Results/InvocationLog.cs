using Adrpo.Persistence;
using System.Globalization;

namespace Adrpo.Reproduction.Results;

/// <summary>
/// One line per invocation of the harness on an output folder (<c>runs/invocations.csv</c>): when it started, its wall
/// time and how many runs it executed. A study can be finished over several invocations (a rerun reuses the runs
/// already done), so its wall time is the sum of these lines.
/// </summary>
internal static class InvocationLog
{
    private const string Header = "started_utc,wall_seconds,runs_executed";

    public static void Append(string runFolder, DateTime startedUtc, double wallSeconds, int runsExecuted)
    {
        string path = Path.Combine(runFolder, "invocations.csv");
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : new List<string> { Header };
        lines.Add(string.Join(',', startedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), wallSeconds.ToString("F1", CultureInfo.InvariantCulture), runsExecuted.ToString(CultureInfo.InvariantCulture)));
        AtomicFile.WriteAllText(path, string.Join(Environment.NewLine, lines) + Environment.NewLine);
    }

    /// <summary>(invocations, total wall seconds, runs executed) over every logged invocation.</summary>
    public static (int Invocations, double WallSeconds, int RunsExecuted) Total(string runFolder)
    {
        string path = Path.Combine(runFolder, "invocations.csv");
        if (!File.Exists(path))
        {
            return (0, 0, 0);
        }

        var rows = File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        return (rows.Count,
            rows.Sum(r => double.Parse(r[1], CultureInfo.InvariantCulture)),
            rows.Sum(r => int.Parse(r[2], CultureInfo.InvariantCulture)));
    }
}
