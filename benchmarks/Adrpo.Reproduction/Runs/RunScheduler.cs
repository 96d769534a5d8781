using System.Diagnostics;
using System.Reflection;

namespace Adrpo.Reproduction.Runs;

/// <summary>
/// Runs each <see cref="RunSpec"/> in a worker process of this program, a few at a time. Separate processes keep the
/// runs independent (libtorch's thread pool and allocator, the global ONNX sessions) and make a finished run's CSV a
/// resume point: a rerun skips every run whose CSV exists.
/// </summary>
internal sealed class RunScheduler(ReproductionProfile profile, string outputFolder, int parallel)
{
    private readonly Dictionary<Process, StreamWriter> _logs = new();

    public string RunFolder => Path.Combine(outputFolder, "runs");

    public string LogFolder => Path.Combine(outputFolder, "logs");

    public string CsvPath(RunSpec run) => Path.Combine(RunFolder, run.Name + ".csv");

    /// <summary>Runs what is missing; returns the runs that failed (their logs say why) and how many runs were executed.</summary>
    public (IReadOnlyList<RunSpec> Failed, int Executed) RunAll(IReadOnlyList<RunSpec> runs)
    {
        Directory.CreateDirectory(RunFolder);
        Directory.CreateDirectory(LogFolder);
        var pending = new Queue<RunSpec>(runs.Where(run => !File.Exists(CsvPath(run))));
        int executed = pending.Count;
        Console.WriteLine($"{runs.Count} runs, {runs.Count - pending.Count} already done, {pending.Count} to run, {parallel} at a time.");
        var failed = new List<RunSpec>();
        var active = new List<(RunSpec Run, Process Process, Stopwatch Clock)>();
        int done = runs.Count - pending.Count;
        while (pending.Count > 0 || active.Count > 0)
        {
            while (active.Count < parallel && pending.Count > 0)
            {
                var run = pending.Dequeue();
                active.Add((run, Start(run), Stopwatch.StartNew()));
                Console.WriteLine($"  started  {run.Name}");
            }

            int finished = WaitAny(active.Select(a => a.Process).ToList());
            var (doneRun, process, clock) = active[finished];
            active.RemoveAt(finished);
            done++;
            bool ok = process.ExitCode == 0 && File.Exists(CsvPath(doneRun));
            Console.WriteLine($"  {(ok ? "finished" : "FAILED  ")} {doneRun.Name} in {clock.Elapsed.TotalMinutes:F1} min ({done}/{runs.Count})");
            if (!ok)
            {
                failed.Add(doneRun);
                string log = Path.Combine(LogFolder, doneRun.Name + ".log");
                Console.WriteLine($"    exit code {process.ExitCode}; last lines of {log}:");
                foreach (string line in File.ReadLines(log).TakeLast(8))
                {
                    Console.WriteLine($"    | {line}");
                }
            }

            process.Dispose();
        }

        return (failed, executed);
    }

    private Process Start(RunSpec run)
    {
        // Under `dotnet run` or the apphost, ProcessPath is this program; under `dotnet Adrpo.Reproduction.dll`, it is dotnet.
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown, so workers cannot be started.");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        }

        foreach (string argument in new[] { Program.WorkerCommand, profile.Name, run.Task, run.Method, run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), CsvPath(run) })
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var log = new StreamWriter(Path.Combine(LogFolder, run.Name + ".log")) { AutoFlush = true };
        var gate = new object();
        void Write(string? line)
        {
            if (line is not null && !line.Contains("Could not initialize NNPACK", StringComparison.Ordinal))
            {
                lock (gate)
                {
                    log.WriteLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _logs[process] = log;
        return process;
    }

    private int WaitAny(IReadOnlyList<Process> processes)
    {
        while (true)
        {
            for (int i = 0; i < processes.Count; i++)
            {
                if (processes[i].WaitForExit(200))
                {
                    processes[i].WaitForExit();   // drains the redirected output
                    _logs.Remove(processes[i], out var log);
                    log?.Dispose();
                    return i;
                }
            }
        }
    }
}
