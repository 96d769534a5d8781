// Adrpo quick start, the main job of ./build.cmd: ADRPO on both embedded default tasks, in under 3 minutes on 2 CPU cores.
// 1. Text-to-image: the miniature DrawBench generator (a small DiT that attends to MiniLM's token states) fine-tuned with
//    ADRPO flow matching (eq. 6, LoRA) against MiniGenEval, a verifiable reward that reads the image and checks it
//    against the prompt's scene; held-out MiniGenEval by GenEval category and ResNet-18 diversity before and after.
// 2. Language model: the embedded verifiable task, arithmetic word problems. A tiny Qwen3 pre-trained to about a third
//    exact match is fine-tuned with ADRPO-GRPO (eq. 7) against two plain C# rewards (exact answer against the data's
//    Answer column, and format); the trainer evaluates held-out problems as it goes: accuracy before, during and after.
// 3. Writes sample grids (reference vs fine-tuned on the same held-out prompts and noise), training curves, the
//    per-iteration metrics CSVs and a summary table, then says what the run showed and where the pictures are.
// Usage: dotnet run --project samples/Adrpo.Samples.QuickStart -c Release [--full] [outputFolder=artifacts/quickstart]
//        [textToImageIterations] [languageModelIterations]
//   --full: the longer run (60 text-to-image iterations instead of 30), about 6 minutes.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Adrpo;
using Adrpo.Advantages;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Embedded.Arithmetic;
using Adrpo.Generation;
using Adrpo.Imaging;
using Adrpo.Metrics;
using Adrpo.Native;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

// ---- Settings: what the run costs and how it trains. ----------------------------------------------------------------
const int Seed = 2026;

// libtorch threads: 0 = the trainers' automatic choice (half the cores, at least one; one on a 2-core machine, where two
// threads measured several times slower whenever anything else ran: PACKAGE.md, "Threads").
const int ComputeThreadsOption = 0;

// Text-to-image ADRPO (AdrpoFlowMatchingTrainer). Each iteration: 4 prompts x 8 samples x 20 ODE steps, then updates.
// The default run keeps the whole job under 3 minutes on an idle 2-core machine; --full runs the longer schedule.
const int T2iIterations = 30, T2iIterationsFull = 60;
const double T2iLearningRate = 1e-3;   // the MiniGenEval study's grid chose 1e-3 for ADRPO (of 1e-3, 3e-3, 1e-2; benchmarks/results/minigeneval-12k-generator)
const int T2iUpdatesPerIteration = 4;
const AdvantageScaling T2iAdvantageScaling = AdvantageScaling.Group;
const int T2iLoraRank = 8;
const double T2iLoraAlpha = 16;
const int T2iPromptsPerIteration = 4, T2iSamplesPerPrompt = 8, T2iOdeSteps = 20;
const int T2iEvalSamplesPerPrompt = 2;   // two per prompt, for diversity
const int T2iGridPrompts = 8, T2iGridSamples = 4;   // the grid: 8 prompts, 4 samples before and the same 4 after

// Language-model ADRPO-GRPO (AdrpoGrpoTrainer) on the arithmetic task: full fine-tuning, beta0 = 0.04, advantages
// clipped to [-0.04, 0.04]; 8 problems x 8 completions per iteration; the learning rate of the task's learning test
// (3e-4 made the 0.65M-parameter model worse, tests/.../EmbeddedArithmeticGrpoTests.cs).
const int LmIterations = 30;
const double LmLearningRate = 1e-4;
const int LmGroupSize = 8, LmPromptsPerIteration = 8, LmMaxNewTokens = 36;
const int LmEvalProblems = 100, LmEvalSamplesPerPrompt = 2, LmEvalInterval = 10;   // 200 held-out completions per evaluation

bool full = args.Contains("--full");
string[] positional = args.Where(a => a != "--full").ToArray();
int t2iIterations = positional.Length > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : full ? T2iIterationsFull : T2iIterations;
int lmIterations = positional.Length > 2 ? int.Parse(positional[2], CultureInfo.InvariantCulture) : LmIterations;
string output = Path.GetFullPath(positional.Length > 0 ? positional[0] : Path.Combine("artifacts", "quickstart"));
Directory.CreateDirectory(output);
// The reward models and ResNet-18 run outside Fit, so the process-wide count is set here too.
int computeThreads = ComputeThreadsOption > 0 ? ComputeThreadsOption : Math.Max(1, Environment.ProcessorCount / 2);
TorchSharp.torch.set_num_threads(computeThreads);
TorchSharpNatives.DisableNnpack();   // without NNPACK support in the CPU, libtorch warns on every convolution of the reward CNN
var clock = Stopwatch.StartNew();
var files = new List<string>();
string OutputFile(string name)
{
    files.Add(Path.Combine(output, name));
    return files[^1];
}

Console.WriteLine($"Adrpo quick start{(full ? " (--full)" : string.Empty)}: ADRPO on the embedded text-to-image and language-model tasks (seed {Seed}).");
Console.WriteLine($"Output folder: {output}");
var context = new MLContext(seed: Seed);
using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();

// ---- 1. Text-to-image: ADRPO flow matching. ---------------------------------------------------------------------------
Console.WriteLine($"\n[1/2] Text-to-image: ADRPO flow matching, {t2iIterations} iterations x {T2iPromptsPerIteration} prompts x {T2iSamplesPerPrompt} samples, lr {T2iLearningRate}, {T2iUpdatesPerIteration} updates per iteration, advantage scaling {T2iAdvantageScaling}, LoRA rank {T2iLoraRank}");
using var embedder = new ResNetImageEmbedder(intraOpThreads: computeThreads);
// GenEval's single_object and colors categories are the count-1 prompts ("one red circle"), and the split holds out only
// one of the 24: scored on its 2 images, one flipped image moves the overall score (the mean of six categories) by up
// to 1/6, as it counts in both. So, as the MiniGenEval study does, all 24 are held out with the split's 100 (123 prompts, 246 images), and the
// rest of the training split trains.
var (trainPrompts, testPrompts) = Bench.GenEvalSplit(seed: Seed);
var t2iEvalPrompts = testPrompts.SelectMany(p => Enumerable.Repeat(p.Text, T2iEvalSamplesPerPrompt)).ToList();
var gridPrompts = Enumerable.Range(0, T2iGridPrompts).Select(i => testPrompts[i * testPrompts.Count / T2iGridPrompts].Text).ToList();
var generation = new GenerationSettings { Seed = Seed, OdeSteps = T2iOdeSteps, ComputeThreads = ComputeThreadsOption };
var referenceImages = new FlowMatchingGeneratorTransformer(EmbeddedMiniDrawBench.LoadGenerator(), encoder, generation);
var t2iBefore = EvaluateImages(referenceImages, "  evaluating reference");

var t2iOptions = new AdrpoFlowMatchingTrainer.Options
{
    Generator = EmbeddedMiniDrawBench.LoadGenerator(),
    TextEncoder = encoder,
    RewardModels = { MiniGenEval.Reward() },   // partial credit: the share of the scene's requirements the image meets
    Method = FineTuningMethod.Adrpo,
    Iterations = t2iIterations,
    PromptsPerIteration = T2iPromptsPerIteration,
    SamplesPerPrompt = T2iSamplesPerPrompt,
    LearningRate = T2iLearningRate,
    UpdatesPerIteration = T2iUpdatesPerIteration,
    AdvantageScaling = T2iAdvantageScaling,
    LoraRank = T2iLoraRank,
    LoraAlpha = T2iLoraAlpha,
    OdeSteps = T2iOdeSteps,
    Seed = Seed,
    ComputeThreads = ComputeThreadsOption,
    MetricsCsvPath = OutputFile("t2i-metrics.csv"),
};
var t2iLog = new List<FlowMatchingIterationMetrics>();
AdrpoFlowMatchingTrainer t2iTrainer;
FlowMatchingGeneratorTransformer tunedImages;
double t2iSeconds;
using (var bar = new ConsoleProgressBar("  fine-tuning (ADRPO)", t2iIterations))
{
    t2iOptions.Progress = bar.For<FlowMatchingIterationMetrics>(m =>
    {
        t2iLog.Add(m);
        return (m.Iteration, $"reward {m.RewardMean:F3}, W2 {m.W2:0.00E+0}, beta [{m.BetaMin:F2}, {m.BetaMax:F2}]");
    });
    t2iTrainer = context.FineTuning().AdrpoFlowMatching(t2iOptions);
    var data = context.Data.LoadFromEnumerable(trainPrompts.Select(p => new PromptRow { Prompt = p.Text }));
    tunedImages = context.Transforms.CopyColumns("PromptText", "Prompt").Append(t2iTrainer).Fit(data).LastTransformer;
    t2iSeconds = bar.Elapsed.TotalSeconds;
}

var t2iAfter = EvaluateImages(tunedImages, "  evaluating ADRPO");
// The grid: one held-out prompt per row, its 4 reference samples on the left and ADRPO's 4 on the right, drawn from the
// same noise (same row numbers), 96 px tiles, the prompt written under the row.
var gridRows = gridPrompts.SelectMany(p => Enumerable.Repeat(p, T2iGridSamples)).ToList();
var gridBefore = referenceImages.Generate(gridRows, firstRow: 100_000);
var gridAfter = tunedImages.Generate(gridRows, firstRow: 100_000);
var gridTiles = Enumerable.Range(0, T2iGridPrompts)
    .SelectMany(r => gridBefore.Skip(r * T2iGridSamples).Take(T2iGridSamples).Concat(gridAfter.Skip(r * T2iGridSamples).Take(T2iGridSamples))).ToList();
PngWriter.WriteBytes(OutputFile("t2i-samples.png"), CaptionedGrid.Render(gridTiles, 3, 32, 32, 2 * T2iGridSamples,
    gridPrompts.Select(p => $"{p}   (left 4: reference, right 4: ADRPO)").ToList()));

// ---- 2. Language model: ADRPO-GRPO on a verifiable task. -------------------------------------------------------------
Console.WriteLine($"\n[2/2] Language model: ADRPO-GRPO on arithmetic word problems, {lmIterations} iterations x {LmPromptsPerIteration} problems x {LmGroupSize} completions, lr {LmLearningRate}, {LmMaxNewTokens} new tokens");
// The rewards, in plain C#: every column of the training data reaches them (here "Answer", the ground truth).
var accuracy = RewardModel.FromFunction(s => AnswerOf(s.Completion) == s["Answer"] ? 1f : 0f, name: "accuracy", columns: ["Answer"]);
var format = RewardModel.FromFunction(s => WellFormed().IsMatch(s.Completion.Trim()) ? 1f : 0f, weight: 0.2, name: "format");
var lmTest = context.Data.TakeRows(EmbeddedArithmetic.LoadTestData(context), LmEvalProblems);
var lmOptions = new AdrpoGrpoTrainer.Options
{
    Model = EmbeddedArithmetic.LoadModel(),
    Tokenizer = EmbeddedArithmetic.LoadTokenizer(),
    RewardModels = { accuracy, format },
    Method = GrpoMethod.Adrpo,
    Iterations = lmIterations,
    SamplesPerPrompt = LmGroupSize,
    PromptsPerIteration = LmPromptsPerIteration,
    MaxNewTokens = LmMaxNewTokens,
    LearningRate = LmLearningRate,
    Seed = Seed,
    ComputeThreads = ComputeThreadsOption,
    // Held-out problems evaluated before training, every 10 iterations and at the end (temperature 1, fixed seed).
    EvaluationData = lmTest,
    EvaluationInterval = LmEvalInterval,
    EvaluationSamplesPerPrompt = LmEvalSamplesPerPrompt,
    EvaluationSamplesFolder = Path.Combine(output, "lm-heldout"),
    MetricsCsvPath = OutputFile("lm-metrics.csv"),
};
var lmLog = new List<GrpoIterationMetrics>();
AdrpoGrpoTrainer lmTrainer;
CausalLanguageModelTransformer tunedLm;
double lmSeconds;
using (var bar = new ConsoleProgressBar("  fine-tuning (ADRPO-GRPO)", lmIterations))
{
    lmOptions.Progress = bar.For<GrpoIterationMetrics>(m =>
    {
        lmLog.Add(m);
        string heldOut = m.HeldOutRewardMeanPerModel.TryGetValue("accuracy", out double a) ? $", held-out accuracy {a:P1}" : string.Empty;
        return (m.Iteration, m.Iteration == 0 ? $"before training{heldOut}" : $"reward {m.RewardMean:F3}, KL {m.Kl:F4}, entropy {m.Entropy:F3}{heldOut}");
    });
    lmTrainer = context.FineTuning().AdrpoGrpo(lmOptions);
    tunedLm = context.Transforms.CopyColumns("PromptText", "Prompt").Append(lmTrainer).Fit(EmbeddedArithmetic.LoadTrainData(context)).LastTransformer;
    lmSeconds = bar.Elapsed.TotalSeconds;
}

// Held-out accuracy at each evaluation, from the trainer's own metrics (row 0: before training).
var lmEvaluations = lmLog.Where(m => m.HeldOutRewardMean is not null).ToList();
double lmBefore = lmEvaluations[0].HeldOutRewardMeanPerModel["accuracy"], lmAfter = lmEvaluations[^1].HeldOutRewardMeanPerModel["accuracy"];
var lmTraining = lmLog.Where(m => m.Iteration > 0).ToList();
var examples = context.Data.TakeRows(lmTest, 4);
var examplePrompts = examples.GetColumn<string>("Prompt").ToList();
var exampleAnswers = examples.GetColumn<string>("Answer").ToList();
var greedy = new LanguageGenerationSettings { Seed = Seed, MaxNewTokens = LmMaxNewTokens, Temperature = 0, ComputeThreads = ComputeThreadsOption };
var referenceReplies = new CausalLanguageModelTransformer(EmbeddedArithmetic.LoadModel(), EmbeddedArithmetic.LoadTokenizer(), greedy).Generate(examplePrompts);
var tunedReplies = new CausalLanguageModelTransformer(tunedLm.Model, tunedLm.Tokenizer, greedy).Generate(examplePrompts);
File.WriteAllLines(OutputFile("lm-examples.txt"), examplePrompts.SelectMany((p, i) => new[]
{
    $"problem: {p} (answer {exampleAnswers[i]})", $"  reference:  {referenceReplies[i]}", $"  ADRPO-GRPO: {tunedReplies[i]}", string.Empty,
}));

// ---- Charts, table, files. --------------------------------------------------------------------------------------------
var t2iMetrics = t2iTrainer.Metrics!;
var lmMetrics = lmTrainer.Metrics!;
new LineChart { Title = "Training reward per iteration (ADRPO)", XLabel = "iteration", YLabel = "mean reward of the iteration's samples" }
    .AddColumns(t2iMetrics, "Iteration", "RewardMean", "text-to-image: MiniGenEval partial credit")
    .AddColumns(lmMetrics, "Iteration", "RewardMean", "language model: accuracy + 0.2 format")
    .Write(OutputFile("reward-curves.png"));
LineChart.FromMetrics(t2iMetrics, "Iteration", ["W2"], "Text-to-image: W2 to the reference, E|v - v_ref|^2").Write(OutputFile("t2i-w2.png"));
new LineChart { Title = "Text-to-image: beta_i = beta0 - clip(A_i) per sample", XLabel = "iteration" }
    .AddColumns(t2iMetrics, "Iteration", "BetaMin", "smallest beta_i").AddColumns(t2iMetrics, "Iteration", "BetaMean", "mean beta_i")
    .AddColumns(t2iMetrics, "Iteration", "BetaMax", "largest beta_i").Write(OutputFile("t2i-beta.png"));
new LineChart { Title = "Language model: KL to the reference and mean beta_i", XLabel = "iteration" }
    .AddColumns(lmMetrics, "Iteration", "Kl", "KL (k3 estimate, per token)").AddColumns(lmMetrics, "Iteration", "BetaMean", "mean beta_i")
    .Write(OutputFile("lm-kl-beta.png"));
new LineChart { Title = "Language model: held-out exact-match accuracy (ADRPO-GRPO)", XLabel = "iteration", YLabel = "share of held-out completions", ShowMarkers = true }
    .Add("accuracy at temperature 1", lmEvaluations.Select(m => (double)m.Iteration).ToList(), lmEvaluations.Select(m => m.HeldOutRewardMeanPerModel["accuracy"]).ToList())
    .Add("well formed", lmEvaluations.Select(m => (double)m.Iteration).ToList(), lmEvaluations.Select(m => m.HeldOutRewardMeanPerModel["format"]).ToList())
    .Write(OutputFile("lm-heldout-accuracy.png"));

string Num(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
var table = new[]
{
    "| task | model | held-out score | diversity / entropy | divergence to reference | fine-tuning time |",
    "|---|---|---|---|---|---|",
    $"| text-to-image | reference | MiniGenEval {Num(t2iBefore.Report.Overall, "F3")} | {Num(t2iBefore.Diversity, "F3")} (ResNet-18) | - | - |",
    $"| text-to-image | ADRPO | MiniGenEval {Num(t2iAfter.Report.Overall, "F3")} | {Num(t2iAfter.Diversity, "F3")} (ResNet-18) | W2 {Num(t2iLog[^1].W2, "0.00E+0")} | {Num(t2iSeconds, "F0")} s |",
    $"| arithmetic (language model) | reference | {Num(lmBefore, "P1")} exact match | {Num(lmTraining[0].Entropy, "F3")} (entropy) | - | - |",
    $"| arithmetic (language model) | ADRPO-GRPO | {Num(lmAfter, "P1")} exact match | {Num(lmTraining[^1].Entropy, "F3")} (entropy) | KL {Num(lmTraining[^1].Kl, "F4")} | {Num(lmSeconds, "F0")} s |",
};
var categories = new[]
{
    "| MiniGenEval category (held-out) | reference | ADRPO | images |",
    "|---|---|---|---|",
}.Concat(new (string Name, Func<MiniGenEvalReport, double> Of)[]
{
    ("single_object", r => r.SingleObject), ("two_object", r => r.TwoObjects), ("counting", r => r.Counting),
    ("colors", r => r.Colors), ("position", r => r.Position), ("color_attr", r => r.ColorAttribution),
}.Select(c => $"| {c.Name} | {Num(c.Of(t2iBefore.Report), "F3")} | {Num(c.Of(t2iAfter.Report), "F3")} | {t2iBefore.Report.ImagesPerCategory[c.Name]} |"))
.Append($"| overall (mean of categories) | {Num(t2iBefore.Report.Overall, "F3")} | {Num(t2iAfter.Report.Overall, "F3")} | {t2iBefore.Report.Images} |")
.Append($"| mean partial credit (the reward) | {Num(t2iBefore.Report.MeanScore, "F3")} | {Num(t2iAfter.Report.MeanScore, "F3")} | |")
.ToArray();
string notes = $"Held-out: text-to-image {testPrompts.Count} prompts x {T2iEvalSamplesPerPrompt} samples (MiniGenEval, GenEval's rule: an image counts only if everything in its category holds; diversity = mean pairwise "
    + $"ResNet-18 distance per prompt); arithmetic: {LmEvalProblems} held-out problems x {LmEvalSamplesPerPrompt} completions at temperature 1, evaluated by the trainer (EvaluationData). "
    + "Entropy (nats/token) is the trainer's on its own samples at the first iteration (the reference) and the last; W2 and KL are the trainer's estimates at the last iteration.";
string total = $"Total {Num(clock.Elapsed.TotalSeconds, "F0")} s with {computeThreads} compute thread(s) on {Environment.ProcessorCount} CPU core(s) ({RuntimeInformation.OSDescription}).";

var showed = new[]
{
    $"- Arithmetic: ADRPO-GRPO moved held-out exact-match accuracy from {Num(lmBefore, "P1")} to {Num(lmAfter, "P1")} ({(lmAfter >= lmBefore ? "+" : string.Empty)}{Num(100 * (lmAfter - lmBefore), "F1")} points) "
        + $"in {lmIterations} iterations with two C# rewards, with token entropy {Num(lmTraining[0].Entropy, "F3")} -> {Num(lmTraining[^1].Entropy, "F3")} and KL {Num(lmTraining[^1].Kl, "F4")} to the reference; "
        + "greedy answers before and after are in lm-examples.txt, every evaluation's completions in lm-heldout/, the trajectory in lm-heldout-accuracy.png.",
    $"- Text-to-image: ADRPO moved held-out MiniGenEval (overall) from {Num(t2iBefore.Report.Overall, "F3")} to {Num(t2iAfter.Report.Overall, "F3")} ({Signed(t2iAfter.Report.Overall - t2iBefore.Report.Overall)}) "
        + $"and its partial credit (the reward) from {Num(t2iBefore.Report.MeanScore, "F3")} to {Num(t2iAfter.Report.MeanScore, "F3")} ({Signed(t2iAfter.Report.MeanScore - t2iBefore.Report.MeanScore)}) "
        + $"in {t2iIterations} iterations, with ResNet-18 diversity {Num(t2iBefore.Diversity, "F2")} -> {Num(t2iAfter.Diversity, "F2")} ({Signed(100 * ((t2iAfter.Diversity / t2iBefore.Diversity) - 1), "F1")}%) and W2 {Num(t2iLog[^1].W2, "0.00E+0")} to the reference; "
        + "per category in the table above; the before/after grid (t2i-samples.png) has the same prompts and noise on both sides.",
    "- One seed of two small tasks: the run shows both trainers working end to end, not evidence for the paper's claims (benchmarks/Adrpo.Reproduction has the seeded study).",
};
string Signed(double value, string format = "F3") => (value >= 0 ? "+" : string.Empty) + Num(value, format);
File.WriteAllLines(OutputFile("summary.md"), table.Append(string.Empty).Concat(categories).Append(string.Empty).Append(notes).Append(string.Empty).Append("What this run showed:").Concat(showed).Append(string.Empty).Append(total));

Console.WriteLine();
table.ToList().ForEach(Console.WriteLine);
Console.WriteLine();
categories.ToList().ForEach(Console.WriteLine);
Console.WriteLine(notes);
Console.WriteLine($"Example (held-out problem \"{examplePrompts[0]}\", answer {exampleAnswers[0]}):\n  reference:  {referenceReplies[0]}\n  ADRPO-GRPO: {tunedReplies[0]}");
Console.WriteLine("\nWhat this run showed:");
showed.ToList().ForEach(Console.WriteLine);
Console.WriteLine($"\nPictures (PNG) in {output}:");
Console.WriteLine($"  {Path.Combine(output, "t2i-samples.png")}: {T2iGridPrompts} held-out prompts, one per row (written under it): {T2iGridSamples} reference samples left, ADRPO's {T2iGridSamples} from the same noise right");
Console.WriteLine($"  {Path.Combine(output, "reward-curves.png")}: training reward per iteration of both trainers");
Console.WriteLine($"  {Path.Combine(output, "lm-heldout-accuracy.png")}: held-out exact-match accuracy of the arithmetic model at each evaluation");
Console.WriteLine($"  {Path.Combine(output, "t2i-w2.png")}, {Path.Combine(output, "t2i-beta.png")}, {Path.Combine(output, "lm-kl-beta.png")}: divergence to the reference and beta_i");
Console.WriteLine($"Other files: {string.Join(", ", files.Where(f => !f.EndsWith(".png", StringComparison.Ordinal)).Select(Path.GetFileName))}");
Console.WriteLine(total);
if (!full)
{
    Console.WriteLine("For the longer run: ./build.cmd sample --full (or dotnet run --project samples/Adrpo.Samples.QuickStart -c Release -- --full).");
}

ImageScores EvaluateImages(FlowMatchingGeneratorTransformer generator, string label)
{
    const int Chunk = 20;   // a multiple of the samples per prompt, so a prompt's samples stay together
    using var bar = new ConsoleProgressBar(label, 2 * t2iEvalPrompts.Count);
    var images = new List<float[]>();
    for (int start = 0; start < t2iEvalPrompts.Count; start += Chunk)
    {
        images.AddRange(generator.Generate(t2iEvalPrompts.Skip(start).Take(Chunk).ToList(), firstRow: start));
        bar.Report(images.Count, "generating");
    }

    var report = MiniGenEval.Evaluate(t2iEvalPrompts, images);
    var embeddings = new List<float[]>();
    for (int start = 0; start < images.Count; start += Chunk)
    {
        embeddings.AddRange(embedder.Embed(images.Skip(start).Take(Chunk).ToList(), 3, 32, 32));
        if (embeddings.Count < images.Count)
        {
            bar.Report(images.Count + embeddings.Count, "ResNet-18 embeddings");
        }
    }

    var result = new ImageScores(report, ImageDiversity.MeanPairwiseDistanceOverGroups(embeddings, T2iEvalSamplesPerPrompt));
    bar.Report(2 * images.Count, $"MiniGenEval {report.Overall:F3}, diversity {result.Diversity:F3}");
    return result;
}

internal sealed record ImageScores(MiniGenEvalReport Report, double Diversity);

internal sealed class PromptRow
{
    public string Prompt { get; set; } = string.Empty;
}

internal partial class Program
{
    // The arithmetic model ends with "Answer: N"; the exact-match reward compares N with the data's Answer column.
    private static string? AnswerOf(string completion) => AnswerLine().Match(completion) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"Answer:\s*(-?\d+)\s*$")]
    private static partial Regex AnswerLine();

    // The whole format: working "a + b = c, c - d = e." then "Answer: N".
    [GeneratedRegex(@"^\d+ [+-] \d+ = -?\d+(?:, \d+ [+-] \d+ = -?\d+)*\. Answer: -?\d+$")]
    private static partial Regex WellFormed();
}
