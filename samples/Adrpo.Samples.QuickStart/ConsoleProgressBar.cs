using System.Diagnostics;
using System.Globalization;

namespace Adrpo.Samples.QuickStart;

/// <summary>
/// A one-line progress bar for long work. On a terminal it redraws one line in place (carriage return, at most
/// ten times a second); when the output is redirected to a file or a pipe it prints a plain line every 10% instead,
/// so logs stay readable.
/// </summary>
internal sealed class ConsoleProgressBar : IDisposable
{
    private const int BarWidth = 24;
    private readonly string _label;
    private readonly int _total;
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1_000;
    private int _lastTenth = -1;
    private int _lastLength;
    private string _line = string.Empty;   // terminal: the line on screen; redirected: the status last printed

    public ConsoleProgressBar(string label, int total)
    {
        _label = label;
        _total = Math.Max(1, total);
        Report(0);
    }

    /// <summary>Elapsed time since the bar was created.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Shows that <paramref name="done"/> of the total units are finished, with a short status text.</summary>
    public void Report(int done, string status = "")
    {
        done = Math.Clamp(done, 0, _total);
        double fraction = done / (double)_total;
        string seconds = _clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture);
        string eta = done > 0 && done < _total
            ? $", ~{(_clock.Elapsed.TotalSeconds * (_total - done) / done).ToString("F0", CultureInfo.InvariantCulture)} s left"
            : string.Empty;
        string tail = status.Length > 0 ? "  " + status : string.Empty;
        if (_interactive)
        {
            long now = _clock.ElapsedMilliseconds;
            if (done < _total && now - _lastDraw < 100)
            {
                return;
            }

            _lastDraw = now;
            int filled = (int)Math.Round(fraction * BarWidth);
            string line = $"{_label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {done}/{_total} {seconds} s{eta}{tail}";
            line = line.Length > ConsoleWidth() - 1 ? line[..(ConsoleWidth() - 1)] : line;
            Console.Write("\r" + line + new string(' ', Math.Max(0, _lastLength - line.Length)));
            _lastLength = line.Length;
            _line = line;
            return;
        }

        // Redirected: a line at every new tenth, and again at the end when the status changed (e.g. a final result).
        int tenth = (int)Math.Floor(fraction * 10);
        if ((tenth > _lastTenth && done > 0) || (done == _total && status != _line))
        {
            _lastTenth = tenth;
            _line = status;
            Console.WriteLine($"{_label}: {done}/{_total} ({(fraction * 100).ToString("F0", CultureInfo.InvariantCulture)}%), {seconds} s{eta}{tail}");
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports to this bar (e.g. a trainer's per-iteration metrics).</summary>
    public IProgress<T> For<T>(Func<T, (int Done, string Status)> describe) => new Adapter<T>(this, describe);

    /// <summary>Ends the bar's line on a terminal.</summary>
    public void Dispose()
    {
        if (_interactive && _lastLength > 0)
        {
            Console.WriteLine();
        }
    }

    private static int ConsoleWidth()
    {
        try
        {
            return Console.WindowWidth > 20 ? Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }

    private sealed class Adapter<T>(ConsoleProgressBar bar, Func<T, (int Done, string Status)> describe) : IProgress<T>
    {
        public void Report(T value)
        {
            var (done, status) = describe(value);
            bar.Report(done, status);
        }
    }
}
