// ADRPO versus ORW-CFM-W2 on the embedded miniature DrawBench (the paper's Table 1, in miniature).
// The reference generator and the learned match-score reward ship inside the Adrpo package; both methods start from
// the same reference weights with the same prompts, iterations, samples per prompt and seed.
// Usage: dotnet run --project samples/Adrpo.Samples.TextToImage -c Release [iterations=60] [outputFolder=artifacts/text-to-image]
//        [learningRate=1e-3] [updatesPerIteration=1] [methods=Adrpo,OrwCfmW2] [advantageScaling=None|Group|Batch]
using System.Diagnostics;
using System.Globalization;
using Adrpo;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Imaging;
using Adrpo.Metrics;
using Adrpo.Text;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
string output = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine("artifacts", "text-to-image"));
double learningRate = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 1e-3;
int updatesPerIteration = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
var methods = (args.Length > 4 ? args[4] : "Adrpo,OrwCfmW2").Split(',').Select(Enum.Parse<FineTuningMethod>).ToArray();
var scaling = args.Length > 5 ? Enum.Parse<Adrpo.Advantages.AdvantageScaling>(args[5]) : Adrpo.Advantages.AdvantageScaling.None;
const int Seed = 2026, SamplesPerEvalPrompt = 2;
TorchSharp.torch.set_num_threads(Math.Min(Environment.ProcessorCount, 2));
Directory.CreateDirectory(output);
var clock = Stopwatch.StartNew();

var context = new MLContext(seed: Seed);
using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();
using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(encoder);
using var embedder = new ResNetImageEmbedder();          // ResNet-18 (ONNX), the ClipDiversity analogue
var diversityMetric = new ImageDiversity(embedder);
var reward = MatchRewardMapping.Create(context, scorer);
var (train, test) = Bench.Split(seed: Seed);
var evalPrompts = test.SelectMany(p => Enumerable.Repeat(p.Text, SamplesPerEvalPrompt)).ToList();
var trainData = context.Data.LoadFromEnumerable(train.Select(p => new PromptRow { Prompt = p.Text }));
var generation = new GenerationSettings { Seed = Seed, OdeSteps = 20 };

var results = new List<(string Model, Evaluation Eval, double Seconds)>();
var reference = new FlowMatchingGeneratorTransformer(EmbeddedMiniDrawBench.LoadGenerator(), encoder, generation);
results.Add(("reference", Evaluate(reference), 0));
Console.WriteLine($"Reference: reward {results[0].Eval.Reward:F3}, diversity {results[0].Eval.Diversity:F3} on {evalPrompts.Count} held-out samples ({clock.Elapsed.TotalSeconds:F0} s)");

var grids = new List<float[]>(Generate(reference, 8));
foreach (var method in methods)
{
    var watch = Stopwatch.StartNew();
    var options = new AdrpoFlowMatchingTrainer.Options
    {
        Generator = EmbeddedMiniDrawBench.LoadGenerator(),
        TextEncoder = encoder,
        RewardModels = { reward },
        Method = method,
        Iterations = iterations,
        SamplesPerPrompt = 8,
        PromptsPerIteration = 4,
        LearningRate = learningRate,
        UpdatesPerIteration = updatesPerIteration,
        AdvantageScaling = scaling,
        LoraRank = 8,
        LoraAlpha = 16,
        OdeSteps = 20,
        Seed = Seed,
        MetricsCsvPath = Path.Combine(output, $"metrics-{method}.csv"),
        Progress = new ConsoleProgress(method, iterations),
    };
    var model = context.Transforms.CopyColumns("PromptText", "Prompt").Append(context.FineTuning().AdrpoFlowMatching(options)).Fit(trainData);
    var tuned = model.LastTransformer;
    var seconds = watch.Elapsed.TotalSeconds;
    results.Add((method.ToString(), Evaluate(tuned), seconds));
    grids.AddRange(Generate(tuned, 8));
    Console.WriteLine($"{method}: reward {results[^1].Eval.Reward:F3}, diversity {results[^1].Eval.Diversity:F3}, {seconds:F0} s");
}

PngWriter.WriteGrid(Path.Combine(output, "samples-reference-adrpo-orw.png"), grids, 3, 32, 32, columns: 8);
Console.WriteLine();
Console.WriteLine($"Held-out prompts: {test.Count} x {SamplesPerEvalPrompt} samples; seed {Seed}; {iterations} iterations x 4 prompts x 8 samples; lr {learningRate}, {updatesPerIteration} update(s) per iteration, advantage scaling {scaling}.");
Console.WriteLine("| model | reward (match score) | diversity (ResNet-18 pairwise L2) | fine-tuning time |");
Console.WriteLine("|---|---|---|---|");
foreach (var (name, eval, seconds) in results)
{
    Console.WriteLine($"| {name} | {eval.Reward:F3} | {eval.Diversity:F3} | {(seconds > 0 ? $"{seconds:F0} s" : "-")} |");
}

Console.WriteLine($"\nRows of the grid: reference, ADRPO, ORW-CFM-W2 on the same 8 held-out prompts and noise: {Path.Combine(output, "samples-reference-adrpo-orw.png")}");
Console.WriteLine($"Metrics per iteration: {output}/metrics-*.csv. Total {clock.Elapsed.TotalSeconds:F0} s.");

Evaluation Evaluate(FlowMatchingGeneratorTransformer generator)
{
    var images = generator.Generate(evalPrompts);
    float[] scores = scorer.Score(evalPrompts, images);
    double diversity = diversityMetric.MeanOverGroups(images, SamplesPerEvalPrompt, 3, 32, 32);
    return new Evaluation(scores.Average(), diversity);
}

IEnumerable<float[]> Generate(FlowMatchingGeneratorTransformer generator, int count) =>
    generator.Generate(test.Take(count).Select(p => p.Text).ToList(), firstRow: 100_000);

internal sealed record Evaluation(double Reward, double Diversity);

internal sealed class PromptRow
{
    public string Prompt { get; set; } = string.Empty;
}

internal sealed class ConsoleProgress(FineTuningMethod method, int iterations) : IProgress<FlowMatchingIterationMetrics>
{
    public void Report(FlowMatchingIterationMetrics m)
    {
        if (m.Iteration % 10 == 0 || m.Iteration == iterations)
        {
            Console.WriteLine($"  {method} {m.Iteration}/{iterations}: reward {m.RewardMean:F3}, beta {m.BetaMean:F2} [{m.BetaMin:F2}, {m.BetaMax:F2}], W2 {m.W2:F5}, {m.Seconds:F1} s/iteration");
        }
    }
}
