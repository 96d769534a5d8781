using System.Diagnostics;
using System.Globalization;

namespace Adrpo.Training;

/// <summary>
/// A one-line console progress bar for training runs and evaluations, the one the quick start uses. On a terminal it
/// redraws one line in place (carriage return, at most ten times a second); when the output is redirected to a file or
/// a pipe it prints a plain line at every tenth of the work instead, so logs stay readable.
/// </summary>
/// <example>
/// <code>
/// using var bar = new ConsoleProgressBar("fine-tuning", options.Iterations);
/// options.Progress = bar.For&lt;GrpoIterationMetrics&gt;(m => (m.Iteration, $"reward {m.RewardMean:F3}"));
/// </code>
/// </example>
public sealed class ConsoleProgressBar : IDisposable
{
    private const int BarWidth = 24;
    private readonly string _label;
    private readonly int _total;
    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private long _lastDraw = -1_000;
    private int _lastTenth = -1;
    private int _lastLength;
    private string _status = string.Empty;   // redirected: the status printed last

    /// <summary>Starts a bar for <paramref name="total"/> units of work, written to the console.</summary>
    /// <param name="label">What the work is, printed in front of the bar.</param>
    /// <param name="total">Units of work in all (iterations, samples); at least 1 is assumed.</param>
    public ConsoleProgressBar(string label, int total)
        : this(label, total, Console.Out, !Console.IsOutputRedirected)
    {
    }

    /// <summary>Starts a bar written to <paramref name="output"/>.</summary>
    /// <param name="label">What the work is, printed in front of the bar.</param>
    /// <param name="total">Units of work in all; at least 1 is assumed.</param>
    /// <param name="output">Where the bar is written.</param>
    /// <param name="interactive">True: redraw one line in place (a terminal). False: a plain line every 10% (a log).</param>
    public ConsoleProgressBar(string label, int total, TextWriter output, bool interactive)
    {
        _label = label ?? throw new ArgumentNullException(nameof(label));
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _total = Math.Max(1, total);
        _interactive = interactive;
        Report(0);
    }

    /// <summary>Time since the bar was created.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Shows that <paramref name="done"/> of the total units are finished, with a short status text.</summary>
    /// <param name="done">Units finished so far (clamped to [0, total]).</param>
    /// <param name="status">A short status, e.g. the last iteration's reward.</param>
    public void Report(int done, string status = "")
    {
        lock (_gate)
        {
            Draw(Math.Clamp(done, 0, _total), status ?? string.Empty);
        }
    }

    /// <summary>
    /// An <see cref="IProgress{T}"/> that reports to this bar, for a trainer's <c>Options.Progress</c>. It reports
    /// synchronously, on the caller's thread, so lines appear in order and before <c>Fit</c> returns.
    /// </summary>
    /// <typeparam name="T">The reported value, e.g. <c>GrpoIterationMetrics</c>.</typeparam>
    /// <param name="describe">Turns a value into units done and a status text.</param>
    public IProgress<T> For<T>(Func<T, (int Done, string Status)> describe)
    {
        ArgumentNullException.ThrowIfNull(describe);
        return new Adapter<T>(this, describe);
    }

    /// <summary>Ends the bar's line on a terminal.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_interactive && _lastLength > 0)
            {
                _output.WriteLine();
                _lastLength = 0;
            }
        }
    }

    private void Draw(int done, string status)
    {
        double fraction = done / (double)_total;
        string seconds = _clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture);
        string eta = done > 0 && done < _total
            ? $", ~{(_clock.Elapsed.TotalSeconds * (_total - done) / done).ToString("F0", CultureInfo.InvariantCulture)} s left"
            : string.Empty;
        string tail = status.Length > 0 ? "  " + status : string.Empty;
        if (_interactive)
        {
            // At most ten redraws a second: a fast loop would otherwise spend its time in the terminal.
            long now = _clock.ElapsedMilliseconds;
            if (done < _total && now - _lastDraw < 100)
            {
                return;
            }

            _lastDraw = now;
            int filled = (int)Math.Round(fraction * BarWidth);
            string line = $"{_label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {done}/{_total} {seconds} s{eta}{tail}";
            int width = ConsoleWidth();
            line = line.Length > width - 1 ? line[..(width - 1)] : line;
            _output.Write("\r" + line + new string(' ', Math.Max(0, _lastLength - line.Length)));
            _output.Flush();
            _lastLength = line.Length;
            return;
        }

        // Redirected: a line at every new tenth, and again at the end when the status changed (e.g. a final result).
        int tenth = (int)Math.Floor(fraction * 10);
        if ((tenth > _lastTenth && done > 0) || (done == _total && status != _status))
        {
            _lastTenth = tenth;
            _status = status;
            _output.WriteLine($"{_label}: {done}/{_total} ({(fraction * 100).ToString("F0", CultureInfo.InvariantCulture)}%), {seconds} s{eta}{tail}");
        }
    }

    private static int ConsoleWidth()
    {
        try
        {
            return Console.IsOutputRedirected || Console.WindowWidth <= 20 ? 120 : Console.WindowWidth;
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
