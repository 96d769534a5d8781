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

// Rewards: the learned reward model that comes with the tiny model, plus one written as a C# lambda.
RewardModel learned = EmbeddedTinyLanguage.LoadRewardModel(mlContext, encoder);
RewardModel concise = RewardModel.FromFunction((prompt, completion) => completion.Length <= 160 ? 0.1f : 0f, name: "concise");

var trainer = mlContext.FineTuning().AdrpoGrpo(new AdrpoGrpoTrainer.Options
{
    Model = EmbeddedTinyLanguage.LoadModel(),
    Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
    RewardModels = { learned, concise },
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

// Prompts are an IDataView with a "Prompt" column; Fit returns a transformer that adds a "Completion" column.
IDataView trainPrompts = mlContext.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TrainPrompts.Select(p => new PromptRow(p)));
CausalLanguageModelTransformer model = trainer.Fit(trainPrompts);

var rewards = trainer.Metrics!["RewardMean"];
Console.WriteLine($"Mean reward: iteration 1 {rewards[0]:F3}, iteration {iterations} {rewards[iterations - 1]:F3} (all: metrics.csv)");

IDataView testPrompts = mlContext.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TestPrompts.Take(3).Select(p => new PromptRow(p)));
IDataView completions = model.Transform(testPrompts);
foreach (var row in mlContext.Data.CreateEnumerable<PromptCompletion>(completions, reuseRowObject: false))
{
    Console.WriteLine($"{row.Prompt} -> {row.Completion}");
}

model.Save("fine-tuned-lm");                                      // config.json + model.safetensors + tokenizer.json
var reloaded = CausalLanguageModelTransformer.Load("fine-tuned-lm");
Console.WriteLine($"Saved and reloaded: {reloaded.Generate(["How do I water a cactus?"])[0]}");

public sealed record PromptRow(string Prompt);

public sealed class PromptCompletion
{
    public string Prompt { get; set; } = "";
    public string Completion { get; set; } = "";
}
