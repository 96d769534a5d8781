// Reproduces the embedded default of the flow-matching track (the weights under
// src/Adrpo/Embedded/MiniDrawBench/Weights/):
//   1. the learned reward: a MiniDrawBench image-prompt match scorer (Adrpo.Embedded.MiniDrawBench.MatchScorer);
//   2. the reference generator: a DiT with cross-attention to MiniLM's token states, pre-trained with conditional flow
//      matching for a small CPU budget, so single shapes are drawn but composition stays imperfect and RL fine-tuning
//      has headroom. It is scored with MiniGenEval (verifiable, per GenEval category) at the end.
// Usage: dotnet run --project samples/Adrpo.Samples.BuildEmbeddedModels -c Release [outputFolder] [generatorSteps=3000] [scorerSteps=1500, 0 = keep] [batchSize=64] [continue] [learningRate=5e-4]
using System.Diagnostics;
using System.Globalization;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Imaging;
using Adrpo.Text;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

string output = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("src", "Adrpo", "Embedded", "MiniDrawBench", "Weights"));
int generatorSteps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3000;
int scorerSteps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1500;
int batchSize = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 64;
bool continueGenerator = args.Length > 4 && args[4] == "continue";   // train the generator already in the output folder further
double learningRate = args.Length > 5 ? double.Parse(args[5], CultureInfo.InvariantCulture) : 5e-4;
double guidance = args.Length > 6 ? double.Parse(args[6], CultureInfo.InvariantCulture) : 1.0;   // for the evaluation only
TorchSharp.torch.set_num_threads(Math.Min(Environment.ProcessorCount, 2));
Directory.CreateDirectory(output);
var clock = Stopwatch.StartNew();
using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();   // pooled vector + token slots (the scorer reads the pooled part)
var (train, test) = Bench.Split(seed: 2026);
Console.WriteLine($"MiniDrawBench: {train.Count} training prompts, {test.Count} held-out prompts.");

// scorerSteps = 0 keeps the scorer already in the output folder (to rebuild only the generator).
MatchScorer scorer;
if (scorerSteps > 0)
{
    (scorer, double accuracy) = MatchScorer.Train(encoder, train, test, scorerSteps, seed: 7,
        progress: new SynchronousProgress<(int Step, double Loss)>(p => Console.WriteLine($"  match scorer step {p.Step}: loss {p.Loss:F4}")));
    scorer.Save(Path.Combine(output, MatchScorer.WeightsFileName));
    Console.WriteLine($"Match scorer: held-out accuracy {accuracy:P1} (positives vs one-attribute mismatches), {clock.Elapsed.TotalSeconds:F0} s");
}
else
{
    scorer = MatchScorer.Load(Path.Combine(output, MatchScorer.WeightsFileName), encoder);
    Console.WriteLine($"Match scorer loaded: held-out accuracy {scorer.Accuracy(test, new Random(8)):P1}");
}

var generator = ReferenceGeneratorTraining.Pretrain(encoder, train, ReferenceGeneratorTraining.DefaultConfig, generatorSteps, batchSize, seed: continueGenerator ? 12 : 11,
    initial: continueGenerator ? Adrpo.Models.Dit.DitVelocityModel.Load(output) : null, learningRate: learningRate,
    progress: new SynchronousProgress<(int Step, double Loss)>(p => Console.WriteLine($"  generator step {p.Step}: CFM loss {p.Loss:F4} ({clock.Elapsed.TotalSeconds:F0} s)")));
generator.Save(output);
Console.WriteLine($"Generator: {generatorSteps} steps of batch {batchSize}; steps repeated after a TorchSharp scalar error: {ReferenceGeneratorTraining.SkippedSteps}");

var transformer = new FlowMatchingGeneratorTransformer(generator, encoder, new GenerationSettings { Seed = 1, OdeSteps = 20 });
var prompts = test.Select(p => p.Text).ToList();
var images = transformer.Generate(prompts);
var scores = scorer.Score(prompts, images);
var real = scorer.Score(prompts, test.Select(p => Bench.Render(p.Scene, new Random(3))).ToList());
Console.WriteLine($"Reference generator: mean match score {scores.Average():F3} on {prompts.Count} held-out prompts (rendered ground truth: {real.Average():F3}); {clock.Elapsed.TotalSeconds:F0} s total");
foreach (var category in test.Select((p, i) => (p.Category, Score: scores[i])).GroupBy(x => x.Category))
{
    Console.WriteLine($"  {category.Key}: {category.Average(x => x.Score):F3}");
}

// MiniGenEval, the verifiable reward: held-out prompts x 4 seeds, and all 24 count-1 prompts x 4 (the held-out split
// has one count-1 prompt, so "single object" is also measured where most prompts were seen in pre-training).
var evalPrompts = test.SelectMany(p => Enumerable.Repeat(p.Text, 4)).ToList();
var evalImages = new FlowMatchingGeneratorTransformer(generator, encoder, new GenerationSettings { Seed = 2026, OdeSteps = 20, GuidanceScale = guidance }).Generate(evalPrompts);
Console.WriteLine($"MiniGenEval, held-out prompts x 4, guidance {guidance}: " + MiniGenEval.Evaluate(evalPrompts, evalImages));
var singles = Bench.AllPrompts().Where(p => p.Scene.Count == 1 && p.Category == Adrpo.Data.MiniDrawBench.PromptCategory.Counting).SelectMany(p => Enumerable.Repeat(p.Text, 4)).ToList();
var singleReport = MiniGenEval.Evaluate(singles, new FlowMatchingGeneratorTransformer(generator, encoder, new GenerationSettings { Seed = 2026, OdeSteps = 20, GuidanceScale = guidance }).Generate(singles, firstRow: 1_000_000));
Console.WriteLine($"MiniGenEval, all {singles.Count / 4} count-1 prompts x 4: single_object {singleReport.SingleObject:F3}, colors {singleReport.Colors:F3}");

// A grid people can read: 8 held-out prompts (one per row, prompt under it), 6 samples each, 96 px tiles.
var gridPrompts = test.Where((_, i) => i % Math.Max(1, test.Count / 8) == 0).Take(8).Select(p => p.Text).ToList();
var gridImages = new FlowMatchingGeneratorTransformer(generator, encoder, new GenerationSettings { Seed = 7, OdeSteps = 20, GuidanceScale = guidance })
    .Generate(gridPrompts.SelectMany(p => Enumerable.Repeat(p, 6)).ToList());
PngWriter.WriteBytes(Path.Combine(output, "..", "reference-samples.png"), CaptionedGrid.Render(gridImages, 3, 32, 32, 6, gridPrompts));
Console.WriteLine($"Weights: {output}");

internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
