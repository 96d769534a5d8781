// Reproduces the embedded default of the flow-matching track (the weights under
// src/Adrpo/Embedded/MiniDrawBench/Weights/):
//   1. the learned reward: a MiniDrawBench image-prompt match scorer (Adrpo.Embedded.MiniDrawBench.MatchScorer);
//   2. the reference generator: a DiT pre-trained with conditional flow matching for a small budget, so prompt
//      fidelity stays imperfect and RL fine-tuning has reward headroom.
// Usage: dotnet run --project samples/Adrpo.Samples.BuildEmbeddedModels -c Release [outputFolder] [generatorSteps=3000] [scorerSteps=1500, 0 = keep] [batchSize=64] [continue]
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
TorchSharp.torch.set_num_threads(Math.Min(Environment.ProcessorCount, 2));
Directory.CreateDirectory(output);
var clock = Stopwatch.StartNew();
using var encoder = new MiniLmTextEncoder();
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
    initial: continueGenerator ? Adrpo.Models.Dit.DitVelocityModel.Load(output) : null,
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

PngWriter.WriteGrid(Path.Combine(output, "..", "reference-samples.png"), images.Take(32).ToList(), 3, 32, 32, columns: 8);
Console.WriteLine($"Weights: {output}");

internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
