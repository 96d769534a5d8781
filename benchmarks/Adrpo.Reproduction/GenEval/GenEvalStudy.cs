using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Adrpo.Persistence;
using Adrpo.Reproduction.FlowMatching;
using Adrpo.Reproduction.Results;
using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.GenEval;

/// <summary>
/// Issue 16's study: ADRPO, Flow-GRPO, ORW-CFM-W2, RAFT and DPO fine-tune the embedded text-to-image generator against
/// MiniGenEval's partial credit at the same sample budget (iterations x prompts x samples), several seeds each.
/// First a learning-rate grid on one seed: each method keeps the rate whose training reward over the last interval is
/// highest (training samples only; the held-out prompts play no part in the choice), so no baseline is judged at a rate
/// chosen for ADRPO. Then the other seeds at each method's chosen rate. Every run is a worker process, two at a time.
/// <c>--rates ADRPO=1e-3,Flow-GRPO=3e-3,...</c> skips the grid and runs every seed at the rates given (the methods
/// named there), for a rerun that reuses an earlier grid's choice; the report says so.
///   dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- minigeneval [--seeds 1,2,3] [--lrs 1e-3,3e-3,1e-2]
///       [--iterations 30] [--interval 15] [--methods ADRPO,Flow-GRPO,...] [--rates METHOD=RATE,...] [--parallel 2]
///       [--out benchmarks/results/minigeneval] [--fresh]
/// A rerun skips runs whose CSV exists (--fresh deletes them first) and rewrites the report.
/// </summary>
internal static class GenEvalStudy
{
    public const string Command = "minigeneval", WorkerCommand = "minigeneval-worker";

    private sealed record Planned(string Method, double LearningRate, int Seed)
    {
        public string Name => FormattableString.Invariant($"{Method}-lr{LearningRate:R}-seed{Seed}");
    }

    public static int Run(string[] args)
    {
        int[] seeds = [1, 2, 3];
        double[] rates = [1e-3, 3e-3, 1e-2];
        var methods = FlowMethods.AllNames.ToList();
        int iterations = 30, interval = 15, parallel = Math.Clamp(Environment.ProcessorCount, 1, 2);
        bool fresh = false;
        Dictionary<string, double>? fixedRates = null;
        string output = Path.Combine("benchmarks", "results", "minigeneval");
        for (int i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"Option {args[i]} needs a value.");
            switch (args[i])
            {
                case "--seeds": seeds = Value().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--lrs": rates = Value().Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--iterations": iterations = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--interval": interval = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--methods": methods = Value().Split(',').ToList(); methods.ForEach(m => FlowMethods.Parse(m)); break;
                case "--rates": fixedRates = ParseRates(Value()); methods = fixedRates.Keys.ToList(); break;
                case "--parallel": parallel = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": output = Value(); break;
                case "--fresh": fresh = true; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: {Command} [--seeds 1,2,3] [--lrs 1e-3,3e-3,1e-2] [--iterations 30] [--interval 15] [--methods {string.Join(',', FlowMethods.AllNames)}] [--rates METHOD=RATE,...] [--parallel 2] [--out FOLDER] [--fresh]");
            }
        }

        output = Path.GetFullPath(output);
        string runs = Path.Combine(output, "runs"), logs = Path.Combine(output, "logs");
        if (fresh && Directory.Exists(runs))
        {
            Directory.Delete(runs, recursive: true);
        }

        Directory.CreateDirectory(runs);
        Directory.CreateDirectory(logs);
        string Csv(Planned r) => Path.Combine(runs, r.Name + ".csv");
        string Samples(Planned r) => Path.Combine(runs, r.Name + ".f32");
        var clock = Stopwatch.StartNew();
        int gridSeed = seeds[0];

        // 1. The pre-trained model on every seed's evaluation draws, and the learning-rate grid on the first seed.
        var grid = fixedRates is null ? methods.SelectMany(m => rates.Select(lr => new Planned(m, lr, gridSeed))).ToList() : [];
        var pre = seeds.Select(s => new Planned(RunSpec.PreTrained, 0, s)).ToList();
        Console.WriteLine(fixedRates is null
            ? $"MiniGenEval study: {methods.Count} methods x {rates.Length} learning rates on seed {gridSeed}, then seeds {string.Join(",", seeds.Skip(1))} at each method's chosen rate; {iterations} iterations; {parallel} at a time. Output: {output}"
            : $"MiniGenEval study: {methods.Count} methods at the rates given, seeds {string.Join(",", seeds)}, no grid; {iterations} iterations; {parallel} at a time. Output: {output}");
        int executed = pre.Concat(grid).Count(r => !File.Exists(Csv(r)));
        int failed = Execute(pre.Concat(grid).ToList(), Csv, Samples, iterations, interval, parallel, logs);

        // 2. Each method's rate: the highest training reward over the last interval of its grid runs.
        var chosen = fixedRates ?? new Dictionary<string, double>();
        foreach (string method in methods)
        {
            var done = grid.Where(r => r.Method == method && File.Exists(Csv(r))).Select(r => (r.LearningRate, Final: GenEvalPoint.Read(Csv(r)).MaxBy(p => p.Iteration)!)).ToList();
            if (done.Count > 0)
            {
                chosen[method] = done.MaxBy(d => d.Final.TrainingReward).LearningRate;
            }
        }

        // 3. The remaining seeds at the chosen rates.
        var study = chosen.SelectMany(kv => seeds.Skip(fixedRates is null ? 1 : 0).Select(s => new Planned(kv.Key, kv.Value, s))).ToList();
        executed += study.Count(r => !File.Exists(Csv(r)));
        failed += Execute(study, Csv, Samples, iterations, interval, parallel, logs);

        var gridPoints = grid.Where(r => File.Exists(Csv(r))).SelectMany(r => GenEvalPoint.Read(Csv(r))).ToList();
        var studyRuns = pre.Concat(chosen.SelectMany(kv => seeds.Select(s => new Planned(kv.Key, kv.Value, s)))).Where(r => File.Exists(Csv(r))).ToList();
        var points = studyRuns.SelectMany(r => GenEvalPoint.Read(Csv(r))).ToList();
        GenEvalPoint.Write(Path.Combine(output, "evaluation-points.csv"), points);
        GenEvalPoint.Write(Path.Combine(output, "grid-points.csv"), gridPoints);
        var pictures = GenEvalPictures.WriteTrajectories(output, chosen.Keys.ToList(), points).ToList();
        if (GenEvalPictures.WriteComparison(output, chosen.Keys.ToList(), m => Samples(m == RunSpec.PreTrained ? new Planned(m, 0, gridSeed) : new Planned(m, chosen[m], gridSeed)), gridSeed) is string comparison)
        {
            pictures.Insert(0, comparison);
        }

        string rateArguments = fixedRates is null
            ? $"--lrs {string.Join(",", rates.Select(r => r.ToString("R", CultureInfo.InvariantCulture)))}"
            : $"--rates {string.Join(",", fixedRates.Select(kv => FormattableString.Invariant($"{kv.Key}={kv.Value:R}")))}";
        string command = $"dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- {Command} --seeds {string.Join(",", seeds)} {rateArguments} --iterations {iterations} --interval {interval}";
        // Each invocation's wall time and runs executed, so that a rerun that only rewrites the report still states the study's cost.
        string invocations = Path.Combine(runs, "invocations.csv");
        File.AppendAllText(invocations, FormattableString.Invariant($"{DateTime.UtcNow:O},{clock.Elapsed.TotalSeconds:F0},{executed}\n"));
        double wall = File.ReadAllLines(invocations).Sum(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture));
        string report = GenEvalReport.Build(command, wall, parallel, methods, rates, gridSeed, chosen, gridPoints, points, pictures);
        AtomicFile.WriteAllText(Path.Combine(output, "README.md"), report);
        Console.WriteLine(report);
        Console.WriteLine(FormattableString.Invariant($"MiniGenEval study: {executed} run(s) executed, {failed} failed, {points.Count} evaluations; report {Path.Combine(output, "README.md")}; {clock.Elapsed.TotalMinutes:F1} min"));
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// <c>--rates</c>'s value: METHOD=RATE pairs separated by commas (<c>ADRPO=1e-3,Flow-GRPO=3e-3</c>), each method known
    /// and named once, each rate positive.
    /// </summary>
    internal static Dictionary<string, double> ParseRates(string value)
    {
        var rates = new Dictionary<string, double>();
        foreach (string[] pair in value.Split(',').Select(pair => pair.Split('=')))
        {
            if (pair.Length != 2 || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) || !(rate > 0) || double.IsInfinity(rate))
            {
                throw new ArgumentException($"--rates takes METHOD=RATE pairs separated by commas, each rate positive and finite; got '{string.Join('=', pair)}'.");
            }

            FlowMethods.Parse(pair[0]);   // throws, naming the known methods, for an unknown one
            if (!rates.TryAdd(pair[0], rate))
            {
                throw new ArgumentException($"--rates names {pair[0]} twice.");
            }
        }

        return rates;
    }

    public static int Worker(string[] args)
    {
        TorchSharp.torch.set_num_threads(1);   // two workers on two cores: one thread each, no oversubscription
        Native.TorchSharpNatives.DisableNnpack();
        GenEvalStudyRun.Run(args[1], double.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture),
            int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture), args[6], args[7]);
        return 0;
    }

    private static int Execute(IReadOnlyList<Planned> plan, Func<Planned, string> csv, Func<Planned, string> samples, int iterations, int interval, int parallel, string logs)
    {
        int failed = 0;
        Parallel.ForEach(plan.Where(r => !File.Exists(csv(r))), new ParallelOptions { MaxDegreeOfParallelism = parallel }, run =>
        {
            var watch = Stopwatch.StartNew();
            string self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown, so workers cannot be started.");
            var info = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                info.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
            }

            foreach (string a in new[] { WorkerCommand, run.Method, run.LearningRate.ToString("R", CultureInfo.InvariantCulture), run.Seed.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture), interval.ToString(CultureInfo.InvariantCulture), csv(run), samples(run) })
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            File.WriteAllText(Path.Combine(logs, run.Name + ".log"), stdout + stderr.Result);
            Console.WriteLine(FormattableString.Invariant($"  {run.Name}: {(process.ExitCode == 0 ? "done" : "FAILED")} in {watch.Elapsed.TotalSeconds:F0} s"));
            if (process.ExitCode != 0)
            {
                Interlocked.Increment(ref failed);
                Console.Error.WriteLine(stderr.Result);
            }
        });

        return failed;
    }
}
