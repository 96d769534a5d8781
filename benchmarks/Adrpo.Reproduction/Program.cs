// The paper's claims in miniature (issue 7): every text-to-image method (ADRPO, ORW-CFM-W2, RAFT, DPO) and both
// language-model methods (ADRPO-GRPO, GRPO with a fixed beta) on the embedded tasks, several seeds each, with the same
// compute per method; held-out evaluations along the way; a Markdown summary with mean ± SE and paired tests of each
// claim, the evaluation points as CSV, and trajectory pictures as PNG.
//   dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- [--quick | --full | --smoke] [--out FOLDER]
//       [--parallel N] [--tasks text-to-image,language-model] [--fresh]
//   dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- arithmetic [...]: the beta0 study on the arithmetic
//       task (Arithmetic/ArithmeticStudy.cs).
//   dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- minigeneval [...]: issue 16's study, the five
//       text-to-image methods against MiniGenEval with a learning-rate grid (GenEval/GenEvalStudy.cs).
// Defaults: --quick (within 30 minutes on 2 cores), --out benchmarks/results/<profile> (artifacts/reproduction/smoke
// for --smoke), --parallel = min(2, cores). A rerun skips runs whose CSV exists (--fresh deletes them first).
using System.Diagnostics;
using System.Globalization;
using Adrpo.Native;
using Adrpo.Persistence;
using Adrpo.Reproduction;
using Adrpo.Reproduction.Arithmetic;
using Adrpo.Reproduction.FlowMatching;
using Adrpo.Reproduction.GenEval;
using Adrpo.Reproduction.Language;
using Adrpo.Reproduction.Results;
using Adrpo.Reproduction.Runs;

if (args.Length > 0 && args[0] == Program.WorkerCommand)
{
    return Program.Worker(args);
}

if (args.Length > 0 && args[0] == ArithmeticStudy.WorkerCommand)
{
    return ArithmeticStudy.Worker(args);
}

if (args.Length > 0 && args[0] == ArithmeticStudy.Command)
{
    return ArithmeticStudy.Run(args);
}

if (args.Length > 0 && args[0] == GenEvalStudy.WorkerCommand)
{
    return GenEvalStudy.Worker(args);
}

if (args.Length > 0 && args[0] == GenEvalStudy.Command)
{
    return GenEvalStudy.Run(args);
}

var profile = ReproductionProfile.Quick;
string? output = null;
int parallel = Math.Clamp(Environment.ProcessorCount, 1, 2);
var tasks = new List<string> { RunSpec.FlowTask, RunSpec.LanguageTask };
bool fresh = false;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"Option {args[i]} needs a value.");
    switch (args[i])
    {
        case "--quick" or "--full" or "--smoke":
            profile = ReproductionProfile.Named(args[i][2..]);
            break;
        case "--out":
            output = Value();
            break;
        case "--parallel":
            parallel = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1
                ? n
                : throw new ArgumentException($"--parallel is '{args[i]}'; expected a whole number of worker processes, at least 1.");
            break;
        case "--tasks":
            tasks = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            foreach (string task in tasks.Where(t => t is not (RunSpec.FlowTask or RunSpec.LanguageTask)))
            {
                throw new ArgumentException($"--tasks names '{task}'; expected {RunSpec.FlowTask} and/or {RunSpec.LanguageTask}.");
            }

            break;
        case "--fresh":
            fresh = true;
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--quick | --full | --smoke] [--out FOLDER] [--parallel N] [--tasks {RunSpec.FlowTask},{RunSpec.LanguageTask}] [--fresh]");
            return 2;
    }
}

output = Path.GetFullPath(output ?? (profile == ReproductionProfile.Smoke ? Path.Combine("artifacts", "reproduction", "smoke") : Path.Combine("benchmarks", "results", profile.Name)));
var clock = Stopwatch.StartNew();
var scheduler = new RunScheduler(profile, output, parallel);
if (fresh && Directory.Exists(scheduler.RunFolder))
{
    Directory.Delete(scheduler.RunFolder, recursive: true);
}

var runs = RunSpec.All(profile, tasks);
Console.WriteLine($"Reproduction, profile {profile.Name} (about {profile.ExpectedMinutes} min on 2 cores): {string.Join(" and ", tasks)}, seeds {string.Join(", ", profile.Seeds)}. Output: {output}");
var started = DateTime.UtcNow;
var (failed, executed) = scheduler.RunAll(runs);
InvocationLog.Append(scheduler.RunFolder, started, clock.Elapsed.TotalSeconds, executed);

var points = runs.Where(run => File.Exists(scheduler.CsvPath(run))).SelectMany(run => EvaluationCsv.Read(scheduler.CsvPath(run))).ToList();
EvaluationCsv.Write(Path.Combine(output, "evaluation-points.csv"), points);
var data = new StudyData(points);
var charts = StudyCharts.Write(data, output);
string command = $"dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- --{profile.Name}{(tasks.Count < 2 ? $" --tasks {string.Join(',', tasks)}" : string.Empty)}";
string summary = StudyReport.Build(data, profile, command, InvocationLog.Total(scheduler.RunFolder), MachineDescription.Lines(parallel), charts);
string summaryPath = Path.Combine(output, "summary.md");
AtomicFile.WriteAllText(summaryPath, summary);
Console.WriteLine();
Console.WriteLine(summary);
Console.WriteLine($"Summary: {summaryPath}; evaluation points: {Path.Combine(output, "evaluation-points.csv")}; {charts.Count} PNGs in {output}. {clock.Elapsed.TotalMinutes:F1} min.");
if (failed.Count > 0)
{
    Console.Error.WriteLine($"{failed.Count} run(s) failed: {string.Join(", ", failed.Select(r => r.Name))}; their logs are in {scheduler.LogFolder}.");
    return 1;
}

return 0;

internal static partial class Program
{
    public const string WorkerCommand = "worker";

    /// <summary>One run in this process: worker PROFILE TASK METHOD SEED CSV.</summary>
    public static int Worker(string[] args)
    {
        if (args.Length != 6)
        {
            Console.Error.WriteLine("worker expects: PROFILE TASK METHOD SEED CSV");
            return 2;
        }

        var profile = ReproductionProfile.Named(args[1]);
        var run = new RunSpec(args[2], args[3], int.Parse(args[4], CultureInfo.InvariantCulture));
        TorchSharp.torch.set_num_threads(1);   // two workers on two cores: one thread each, no oversubscription
        TorchSharpNatives.DisableNnpack();
        var points = run.Task switch
        {
            RunSpec.FlowTask => FlowMatchingStudyRun.Run(profile, run),
            RunSpec.LanguageTask => LanguageStudyRun.Run(profile, run),
            _ => throw new ArgumentException($"Task '{run.Task}' is unknown; expected {RunSpec.FlowTask} or {RunSpec.LanguageTask}."),
        };
        EvaluationCsv.Write(args[5], points);
        return 0;
    }
}
