// ADRPO-GRPO on the embedded tiny language model: a small Qwen3-shaped model, its tokenizer and a learned reward
// model all ship inside the Adrpo package, so this runs offline. Usage: dotnet run -- [iterations=50]
using Adrpo;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Training.Language;
using Microsoft.ML;

int iterations = args.Length > 0 ? int.Parse(args[0]) : 50;
var mlContext = new MLContext(seed: 2026);
using var encoder = new MiniLmTextEncoder();                     // frozen all-MiniLM-L6-v2 (ONNX, in the package)

// Rewards: the learned reward model that comes with the tiny model, plus rewards written as C# functions. Every column
// of the training data reaches them: "accuracy" compares the completion with the row's "Answer" column.
RewardModel learned = EmbeddedTinyLanguage.LoadRewardModel(mlContext, encoder);
RewardModel concise = RewardModel.FromFunction((prompt, completion) => completion.Length <= 160 ? 0.1f : 0f, name: "concise");
RewardModel accuracy = RewardModel.FromFunction(s => s.Completion.Contains(s["Answer"], StringComparison.OrdinalIgnoreCase) ? 0.1f : 0f, name: "accuracy", columns: ["Answer"]);
RewardModel varied = RewardModel.FromBatchFunction(batch => batch.Select(s => (float?)(batch.Count(o => o.Completion == s.Completion) == 1 ? 0.05f : 0f)).ToArray(), name: "varied");
// An async reward, e.g. a remote judge over HTTP: batches of 8, at most 4 calls at once, 30 s per try, 2 retries. This
// stand-in answers locally; null means "not applicable" and leaves that sample to the other rewards.
RewardModel judge = RewardModel.FromAsyncFunction((batch, ct) => Task.FromResult(batch.Select(s => s.Completion.Length == 0 ? null : (float?)(s.Completion.EndsWith('.') ? 0.05f : 0f)).ToArray()),
    new AsyncRewardOptions { MaxConcurrency = 4, Timeout = TimeSpan.FromSeconds(30), MaxRetries = 2 }, name: "judge");

var trainer = mlContext.FineTuning().AdrpoGrpo(new AdrpoGrpoTrainer.Options
{
    Model = EmbeddedTinyLanguage.LoadModel(),
    Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
    RewardModels = { learned, concise, accuracy, varied, judge },
    Method = GrpoMethod.Adrpo,                                    // GrpoMethod.Grpo: GRPO with a fixed beta = Beta0 (0.04)
    Iterations = iterations,
    SamplesPerPrompt = 8,                                         // completions per prompt
    PromptsPerIteration = 4,
    MaxPromptTokens = 64,
    MaxNewTokens = 32,
    LearningRate = 3e-4,
    Seed = 2026,
    MetricsCsvPath = "metrics.csv",                               // one row per iteration
});

// Prompts are an IDataView with a "Prompt" column and any others (here "Answer": the prompt's topic word, which a good
// reply mentions); Fit returns a transformer that adds a "Completion" column and keeps the others.
IDataView trainPrompts = mlContext.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TrainPrompts.Select(p => new PromptRow(p, p.Split(' ')[^1].TrimEnd('?', '.', '!'))));
CausalLanguageModelTransformer model = trainer.Fit(trainPrompts);

var rewards = trainer.Metrics!["RewardMean"];
Console.WriteLine($"Mean reward: iteration 1 {rewards[0]:F3}, iteration {iterations} {rewards[iterations - 1]:F3} (all: metrics.csv)");

IDataView testPrompts = mlContext.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TestPrompts.Take(3).Select(p => new PromptRow(p, "")));
IDataView completions = model.Transform(testPrompts);
foreach (var row in mlContext.Data.CreateEnumerable<PromptCompletion>(completions, reuseRowObject: false))
{
    Console.WriteLine($"{row.Prompt} -> {row.Completion}");
}

model.Save("fine-tuned-lm");                                      // config.json + model.safetensors + tokenizer.json
var reloaded = CausalLanguageModelTransformer.Load("fine-tuned-lm");
Console.WriteLine($"Saved and reloaded: {reloaded.Generate(["How do I water a cactus?"])[0]}");

public sealed record PromptRow(string Prompt, string Answer);

public sealed class PromptCompletion
{
    public string Prompt { get; set; } = "";
    public string Completion { get; set; } = "";
}
