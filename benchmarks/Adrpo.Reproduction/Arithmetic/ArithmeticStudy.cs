using System.Diagnostics;
using System.Globalization;
using System.Text;
using Adrpo.Imaging;
using Adrpo.Persistence;
using Adrpo.Reproduction.Results;
using Microsoft.Data.Analysis;

namespace Adrpo.Reproduction.Arithmetic;

/// <summary>
/// When does the adaptive coefficient matter? ADRPO-GRPO against GRPO with a fixed beta on the embedded arithmetic task,
/// at beta0 in {0.04, 0.2, 1.0} (A clipped to [-beta0, beta0]), several seeds, each run in its own worker process (two
/// at a time on two cores). Reports held-out exact match, entropy and KL (the paper's Figure 4 axes) with paired tests.
///   dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- arithmetic [--seeds 1,2,3] [--iterations 30]
///       [--interval 10] [--betas 0.04,0.2,1] [--parallel 2] [--out benchmarks/results/arithmetic]
/// A rerun skips runs whose CSV exists.
/// </summary>
internal static class ArithmeticStudy
{
    public const string Command = "arithmetic", WorkerCommand = "arithmetic-worker";
    public const string Adaptive = "ADRPO-GRPO", Fixed = "GRPO";

    public static int Run(string[] args)
    {
        int[] seeds = [1, 2, 3];
        double[] betas = [0.04, 0.2, 1.0];
        int iterations = 30, interval = 10, parallel = Math.Clamp(Environment.ProcessorCount, 1, 2);
        string output = Path.Combine("benchmarks", "results", "arithmetic");
        for (int i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"Option {args[i]} needs a value.");
            switch (args[i])
            {
                case "--seeds": seeds = Value().Split(',').Select(int.Parse).ToArray(); break;
                case "--betas": betas = Value().Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--iterations": iterations = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--interval": interval = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--parallel": parallel = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": output = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: arithmetic [--seeds 1,2,3] [--betas 0.04,0.2,1] [--iterations 30] [--interval 10] [--parallel 2] [--out FOLDER]");
            }
        }

        output = Path.GetFullPath(output);
        string runs = Path.Combine(output, "runs");
        Directory.CreateDirectory(runs);
        var clock = Stopwatch.StartNew();
        var plan = (from beta in betas from method in new[] { Adaptive, Fixed } from seed in seeds select (Method: method, Beta: beta, Seed: seed)).ToList();
        string Csv((string Method, double Beta, int Seed) r) => Path.Combine(runs, FormattableString.Invariant($"{r.Method}-beta{r.Beta}-seed{r.Seed}.csv"));
        Console.WriteLine($"Arithmetic study: {plan.Count} runs ({string.Join(", ", betas.Select(b => b.ToString(CultureInfo.InvariantCulture)))} x {Adaptive}/{Fixed} x seeds {string.Join(",", seeds)}), {parallel} at a time. Output: {output}");
        int failed = 0;
        Parallel.ForEach(plan.Where(r => !File.Exists(Csv(r))), new ParallelOptions { MaxDegreeOfParallelism = parallel }, run =>
        {
            var watch = Stopwatch.StartNew();
            var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { WorkerCommand, run.Method, run.Beta.ToString(CultureInfo.InvariantCulture), run.Seed.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture), interval.ToString(CultureInfo.InvariantCulture), Csv(run) })
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            string stderr = process.StandardError.ReadToEndAsync().Result;
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Console.WriteLine(FormattableString.Invariant($"  {run.Method} beta0 {run.Beta} seed {run.Seed}: {(process.ExitCode == 0 ? "done" : "FAILED")} in {watch.Elapsed.TotalSeconds:F0} s"));
            if (process.ExitCode != 0)
            {
                Interlocked.Increment(ref failed);
                Console.Error.WriteLine(stderr);
            }
        });

        var results = plan.Where(r => File.Exists(Csv(r))).Select(r => (r.Method, r.Beta, r.Seed, Frame: DataFrame.LoadCsv(Csv(r)))).ToList();
        string report = Report(results, betas, seeds, iterations, interval, parallel, clock.Elapsed.TotalSeconds);
        AtomicFile.WriteAllText(Path.Combine(output, "README.md"), report);
        Charts(results, betas, output);
        Console.WriteLine(report);
        return failed == 0 ? 0 : 1;
    }

    public static int Worker(string[] args)
    {
        TorchSharp.torch.set_num_threads(1);
        ArithmeticStudyRun.Run(args[1], double.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture), args[6]);
        return 0;
    }

    private static double[] Column(DataFrame frame, string name) =>
        frame.Columns.IndexOf(name) < 0 ? new double[frame.Rows.Count] : frame[name].Cast<object?>().Select(v => v is null ? double.NaN : Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The held-out accuracy at the last evaluation, and entropy and KL averaged over the last interval's iterations.</summary>
    private static (double Before, double Accuracy, double Entropy, double Kl) Final(DataFrame frame, int interval)
    {
        var accuracy = Column(frame, "HeldOutRewardMeanPerModel[accuracy]");
        var iteration = Column(frame, "Iteration");
        double last = iteration.Max();
        double Window(string name) => Column(frame, name).Where((_, i) => iteration[i] > last - interval).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        return (accuracy[0], accuracy.Where(double.IsFinite).Last(), Window("Entropy"), Window("Kl"));
    }

    private static string Report(List<(string Method, double Beta, int Seed, DataFrame Frame)> results, double[] betas, int[] seeds, int iterations, int interval, int parallel, double seconds)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine("# When does the adaptive coefficient matter? ADRPO-GRPO vs GRPO on the arithmetic task").AppendLine();
        text.AppendLine(inv, $"Command: `dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- arithmetic --seeds {string.Join(",", seeds)} --iterations {iterations} --interval {interval}` ({seconds / 60:F1} min wall, {parallel} worker processes).").AppendLine();
        text.AppendLine(ArithmeticStudyRun.Settings(iterations, interval) + ".").AppendLine();
        foreach (string line in MachineDescription.Lines(parallel))
        {
            text.AppendLine(line);
        }

        text.AppendLine().AppendLine("Held-out exact match (share of completions with the right answer, temperature 1) after the last iteration, and entropy (nats/token) and KL (k3, per token) averaged over the last interval's training iterations; mean ± standard error over seeds.").AppendLine();
        text.AppendLine("| beta0 | method | held-out accuracy before | after | change | entropy | KL |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (double beta in betas)
        {
            foreach (string method in new[] { Adaptive, Fixed })
            {
                var runs = results.Where(r => r.Beta == beta && r.Method == method).Select(r => Final(r.Frame, interval)).ToList();
                text.AppendLine(inv, $"| {beta} | {method} | {MeanWithError.Of(runs.Select(r => r.Before)).Format()} | {MeanWithError.Of(runs.Select(r => r.Accuracy)).Format()} | {MeanWithError.Of(runs.Select(r => r.Accuracy - r.Before)).FormatSigned()} | {MeanWithError.Of(runs.Select(r => r.Entropy)).Format()} | {MeanWithError.Of(runs.Select(r => r.Kl)).Format("F4")} |");
            }
        }

        text.AppendLine().AppendLine("Paired by seed (same model, prompts draws and evaluation noise), ADRPO-GRPO minus GRPO:").AppendLine();
        text.AppendLine("| beta0 | held-out accuracy | verdict (ADRPO higher) | entropy | verdict (ADRPO higher) | KL |").AppendLine("|---|---|---|---|---|---|");
        foreach (double beta in betas)
        {
            Dictionary<int, (double Before, double Accuracy, double Entropy, double Kl)> Of(string method) =>
                results.Where(r => r.Beta == beta && r.Method == method).ToDictionary(r => r.Seed, r => Final(r.Frame, interval));
            var (a, f) = (Of(Adaptive), Of(Fixed));
            var accuracy = PairedDifference.Of(a.ToDictionary(kv => kv.Key, kv => kv.Value.Accuracy), f.ToDictionary(kv => kv.Key, kv => kv.Value.Accuracy));
            var entropy = PairedDifference.Of(a.ToDictionary(kv => kv.Key, kv => kv.Value.Entropy), f.ToDictionary(kv => kv.Key, kv => kv.Value.Entropy));
            var kl = PairedDifference.Of(a.ToDictionary(kv => kv.Key, kv => kv.Value.Kl), f.ToDictionary(kv => kv.Key, kv => kv.Value.Kl));
            text.AppendLine(inv, $"| {beta} | {accuracy.FormatSigned()} | {PairedDifference.Verdict(accuracy)} | {entropy.FormatSigned()} | {PairedDifference.Verdict(entropy)} | {kl.FormatSigned()} |");
        }

        text.AppendLine().AppendLine("Trajectories (mean over seeds): `accuracy-beta*.png`, `entropy-beta*.png`, `kl-beta*.png`; every run's per-iteration metrics: `runs/*.csv`.");
        return text.ToString();
    }

    private static void Charts(List<(string Method, double Beta, int Seed, DataFrame Frame)> results, double[] betas, string output)
    {
        foreach (double beta in betas)
        {
            foreach (var (column, title, file) in new[]
            {
                ("HeldOutRewardMeanPerModel[accuracy]", "held-out exact match", "accuracy"),
                ("Entropy", "token entropy (nats)", "entropy"),
                ("Kl", "KL to the reference (k3 per token)", "kl"),
            })
            {
                var chart = new LineChart { Title = FormattableString.Invariant($"Arithmetic, beta0 = {beta}: {title} (mean over seeds)"), XLabel = "iteration", ShowMarkers = column.StartsWith("HeldOut", StringComparison.Ordinal) };
                foreach (string method in new[] { Adaptive, Fixed })
                {
                    var runs = results.Where(r => r.Beta == beta && r.Method == method).ToList();
                    if (runs.Count == 0)
                    {
                        continue;
                    }

                    var iterations = Column(runs[0].Frame, "Iteration");
                    var points = Enumerable.Range(0, iterations.Length)
                        .Select(i => (X: iterations[i], Y: runs.Select(r => Column(r.Frame, column).ElementAtOrDefault(i)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()))
                        .Where(p => double.IsFinite(p.Y)).ToList();
                    chart.Add(method, points.Select(p => p.X).ToList(), points.Select(p => p.Y).ToList());
                }

                chart.Write(Path.Combine(output, FormattableString.Invariant($"{file}-beta{beta}.png")));
            }
        }
    }
}
