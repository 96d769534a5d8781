// ADRPO for a flow-matching text-to-image model on the embedded miniature DrawBench: the reference generator (a small
// DiT) and a learned prompt-image match reward ship inside the Adrpo package, so this runs offline.
// Usage: dotnet run -- [iterations=60]
using Adrpo;
using Adrpo.Data.MiniDrawBench;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;

int iterations = args.Length > 0 ? int.Parse(args[0]) : 60;
var mlContext = new MLContext(seed: 2026);
using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();   // frozen all-MiniLM-L6-v2: pooled vector + token states
using var matchScorer = EmbeddedMiniDrawBench.LoadMatchScorer(encoder);

// Rewards: the learned match score, plus one written as a C# lambda (images are CHW floats in [-1, 1]).
RewardModel match = MatchRewardMapping.Create(mlContext, matchScorer);
RewardModel notBlank = RewardModel.FromImageFunction((prompt, image) => image.Max() - image.Min() > 0.5f ? 0f : -1f, weight: 0.1, name: "not-blank");

var trainer = mlContext.FineTuning().AdrpoFlowMatching(new AdrpoFlowMatchingTrainer.Options
{
    Generator = EmbeddedMiniDrawBench.LoadGenerator(),
    TextEncoder = encoder,
    RewardModels = { match, notBlank },
    Method = FineTuningMethod.Adrpo,                              // or OrwCfmW2, Raft, Dpo, FlowGrpo
    Iterations = iterations,
    SamplesPerPrompt = 8,
    PromptsPerIteration = 4,
    LearningRate = 1e-3,
    Seed = 2026,
    MetricsCsvPath = "metrics.csv",                               // one row per iteration
});

// Prompts are an IDataView with a "Prompt" column; Fit returns a transformer that adds an "Image" column.
var (train, test) = MiniDrawBench.Split(seed: 2026);
IDataView trainPrompts = mlContext.Data.LoadFromEnumerable(train.Select(p => new PromptRow(p.Text)));
FlowMatchingGeneratorTransformer generator = trainer.Fit(trainPrompts);

var rewards = trainer.Metrics!["RewardMean"];
Console.WriteLine($"Mean reward: iteration 1 {rewards[0]:F3}, iteration {iterations} {rewards[iterations - 1]:F3} (all: metrics.csv)");

IDataView testPrompts = mlContext.Data.LoadFromEnumerable(test.Take(8).Select(p => new PromptRow(p.Text)));
IDataView images = generator.Transform(testPrompts);             // "Image": Single[3, 32, 32] in [-1, 1]
GeneratedImageExport.WriteGrid(images, "samples.png");
Console.WriteLine($"Wrote samples.png: {string.Join(" | ", test.Take(8).Select(p => p.Text))}");

generator.Save("fine-tuned-generator");                          // config.json + model.safetensors + generation settings
var reloaded = FlowMatchingGeneratorTransformer.Load("fine-tuned-generator", encoder);
Console.WriteLine($"Saved and reloaded: {reloaded.Generate(["a red circle"])[0].Length} values per image");

public sealed record PromptRow(string Prompt);
