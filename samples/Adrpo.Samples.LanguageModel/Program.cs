// ADRPO-GRPO versus GRPO with a fixed beta (both beta0 = 0.04) on the embedded tiny language task (the paper's
// Figure 4, in miniature): a small Qwen3-shaped model pre-trained on a procedural chat corpus, and a reward model
// learned with ML.NET (SDCA on MiniLM sentence embeddings) from labelled replies. Both methods start from the same
// weights with the same prompts, iterations, group size and seed.
// Usage: dotnet run --project samples/Adrpo.Samples.LanguageModel -c Release [iterations=40] [outputFolder=artifacts/language-model]
using System.Diagnostics;
using System.Globalization;
using Adrpo;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Training.Language;
using Microsoft.ML;

int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 40;
string output = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine("artifacts", "language-model"));
const int Seed = 2026, SamplesPerEvalPrompt = 4;
TorchSharp.torch.set_num_threads(Math.Min(Environment.ProcessorCount, 2));
Directory.CreateDirectory(output);
var clock = Stopwatch.StartNew();

var context = new MLContext(seed: Seed);
using var encoder = new MiniLmTextEncoder();
var reward = EmbeddedTinyLanguage.LoadRewardModel(context, encoder);
var scorer = new RewardScorer(context, new[] { reward }, RewardSampleColumn.Text());
var evalPrompts = EmbeddedTinyLanguage.TestPrompts.SelectMany(p => Enumerable.Repeat(p, SamplesPerEvalPrompt)).ToList();
var trainData = context.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TrainPrompts.Select(p => new PromptRow { Prompt = p }));
var settings = new LanguageGenerationSettings { Seed = Seed, MaxNewTokens = 48, MaxPromptTokens = 64, Temperature = 1.0 };

var results = new List<(string Model, double Reward, double Seconds, GrpoIterationMetrics? Last)>();
var reference = new CausalLanguageModelTransformer(EmbeddedTinyLanguage.LoadModel(), EmbeddedTinyLanguage.LoadTokenizer(), settings);
results.Add(("reference", Evaluate(reference), 0, null));
Console.WriteLine($"Reference: mean learned reward {results[0].Reward:F3} on {evalPrompts.Count} held-out samples ({clock.Elapsed.TotalSeconds:F0} s)");
var examples = new List<string> { $"[reference] {EmbeddedTinyLanguage.TestPrompts[0]} -> {reference.Generate(new[] { EmbeddedTinyLanguage.TestPrompts[0] }, 7)[0]}" };

foreach (bool adaptive in new[] { true, false })
{
    string name = adaptive ? "ADRPO-GRPO" : "GRPO (beta 0.04)";
    var watch = Stopwatch.StartNew();
    GrpoIterationMetrics? last = null;
    var options = new AdrpoGrpoTrainer.Options
    {
        Model = EmbeddedTinyLanguage.LoadModel(),
        Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
        RewardModels = { reward },
        Method = adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
        Iterations = iterations,
        SamplesPerPrompt = 8,
        PromptsPerIteration = 4,
        MaxNewTokens = 48,
        MaxPromptTokens = 64,
        LearningRate = 3e-4,
        Seed = Seed,
        MetricsCsvPath = Path.Combine(output, $"metrics-{(adaptive ? "adrpo" : "grpo")}.csv"),
        Progress = new ConsoleProgress(name, iterations, m => last = m),
    };
    var model = context.Transforms.CopyColumns("PromptText", "Prompt").Append(context.FineTuning().AdrpoGrpo(options)).Fit(trainData);
    var tuned = new CausalLanguageModelTransformer(model.LastTransformer.Model, model.LastTransformer.Tokenizer, settings);
    double seconds = watch.Elapsed.TotalSeconds;
    results.Add((name, Evaluate(tuned), seconds, last));
    examples.Add($"[{name}] {EmbeddedTinyLanguage.TestPrompts[0]} -> {tuned.Generate(new[] { EmbeddedTinyLanguage.TestPrompts[0] }, 7)[0]}");
    Console.WriteLine($"{name}: mean learned reward {results[^1].Reward:F3}, {seconds:F0} s");
}

Console.WriteLine();
Console.WriteLine($"Held-out prompts: {EmbeddedTinyLanguage.TestPrompts.Count} x {SamplesPerEvalPrompt} samples at temperature 1; seed {Seed}; {iterations} iterations x 4 prompts x 8 completions.");
Console.WriteLine("| model | held-out reward | final KL | final entropy | fine-tuning time |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (name, value, seconds, last) in results)
{
    Console.WriteLine($"| {name} | {value:F3} | {(last is null ? "-" : last.Kl.ToString("F4", CultureInfo.InvariantCulture))} | {(last is null ? "-" : last.Entropy.ToString("F3", CultureInfo.InvariantCulture))} | {(seconds > 0 ? $"{seconds:F0} s" : "-")} |");
}

Console.WriteLine();
examples.ForEach(Console.WriteLine);
Console.WriteLine($"\nMetrics per iteration: {output}/metrics-*.csv. Total {clock.Elapsed.TotalSeconds:F0} s.");

double Evaluate(CausalLanguageModelTransformer model)
{
    var completions = model.Generate(evalPrompts);
    var batch = scorer.Score(evalPrompts, completions);
    return batch.Total.Where(float.IsFinite).Average();
}

internal sealed class PromptRow
{
    public string Prompt { get; set; } = string.Empty;
}

internal sealed class ConsoleProgress(string name, int iterations, Action<GrpoIterationMetrics> keep) : IProgress<GrpoIterationMetrics>
{
    public void Report(GrpoIterationMetrics m)
    {
        keep(m);
        if (m.Iteration % 10 == 0 || m.Iteration == iterations)
        {
            Console.WriteLine($"  {name} {m.Iteration}/{iterations}: reward {m.RewardMean:F3}, KL {m.Kl:F4}, beta {m.BetaMean:F4} [{m.BetaMin:F3}, {m.BetaMax:F3}], entropy {m.Entropy:F3}, length {m.CompletionLength:F1}, {m.TokensPerSecond:F0} tokens/s");
        }
    }
}
