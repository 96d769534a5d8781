using Adrpo.Embedded.TinyLanguage;
using Adrpo.Tests.Infrastructure;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Tests.Training.Language;

/// <summary>The issue's acceptance check: on the embedded task, with a fixed seed, the held-out reward rises for
/// ADRPO-GRPO and for GRPO with a fixed beta.</summary>
[TestClass]
public sealed class EmbeddedTaskGrpoTests
{
    [TestMethod]
    [TestCategory(LearningTest.Category)]
    [DataRow(true, DisplayName = "ADRPO-GRPO on the embedded task")]
    [DataRow(false, DisplayName = "GRPO (beta 0.04) on the embedded task")]
    public void HeldOutRewardRises(bool adaptive) => LearningTest.WithThreads(() =>
    {
        var context = new MLContext(seed: 2026);
        using var encoder = new MiniLmTextEncoder();
        var reward = EmbeddedTinyLanguage.LoadRewardModel(context, encoder);
        var scorer = new RewardScorer(context, new[] { reward }, RewardSampleColumn.Text());
        var heldOut = EmbeddedTinyLanguage.TestPrompts.SelectMany(p => new[] { p, p }).ToList();
        var settings = new LanguageGenerationSettings { Seed = LearningTest.Seed(5), MaxNewTokens = 40, MaxPromptTokens = 64 };
        double Score(CausalLanguageModelTransformer model) => scorer.Score(heldOut, model.Generate(heldOut)).Total.Average();

        double before = Score(new CausalLanguageModelTransformer(EmbeddedTinyLanguage.LoadModel(), EmbeddedTinyLanguage.LoadTokenizer(), settings));
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = EmbeddedTinyLanguage.LoadModel(),
            Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
            RewardModels = { reward },
            Adaptive = adaptive,
            Iterations = 10,
            GroupSize = 8,
            PromptsPerIteration = 4,
            MaxNewTokens = 40,
            MaxPromptTokens = 64,
            LearningRate = 3e-4,
            Seed = LearningTest.Seed(2026),
        };
        var prompts = context.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TrainPrompts.Select(p => new Row { Prompt = p }));
        var tuned = context.FineTuning().AdrpoGrpo(options).Fit(prompts);
        double after = Score(new CausalLanguageModelTransformer(tuned.Model, tuned.Tokenizer, settings));
        LearningTest.Record($"embedded chat task held-out reward rise ({(adaptive ? "ADRPO" : "GRPO")})", after - before, 0.1);
        Assert.IsTrue(after > before + 0.1, $"held-out learned reward {before:F3} -> {after:F3}");
        return 0;
    });

    private sealed class Row
    {
        public string Prompt { get; set; } = string.Empty;
    }
}
