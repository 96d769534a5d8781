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
        // Four completions per held-out prompt (96 in all) and 20 iterations: with two and 10 the rise (mean 0.19, sd 0.08
        // over seeds) sat within one or two deviations of its threshold; now it is 0.34 +- 0.03 against 0.15.
        var heldOut = EmbeddedTinyLanguage.TestPrompts.SelectMany(p => Enumerable.Repeat(p, 4)).ToList();
        var settings = new LanguageGenerationSettings { Seed = LearningTest.Seed(5), MaxNewTokens = 40, MaxPromptTokens = 64, ComputeThreads = LearningTest.Threads };
        double Score(CausalLanguageModelTransformer model) => scorer.Score(heldOut, model.Generate(heldOut)).Total.Average();

        double before = Score(new CausalLanguageModelTransformer(EmbeddedTinyLanguage.LoadModel(), EmbeddedTinyLanguage.LoadTokenizer(), settings));
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = EmbeddedTinyLanguage.LoadModel(),
            Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
            RewardModels = { reward },
            Method = adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
            Iterations = 20,
            SamplesPerPrompt = 8,
            PromptsPerIteration = 4,
            MaxNewTokens = 40,
            MaxPromptTokens = 64,
            LearningRate = 3e-4,
            Seed = LearningTest.Seed(2026),
            ComputeThreads = LearningTest.Threads,
        };
        var prompts = context.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TrainPrompts.Select(p => new Row { Prompt = p }));
        var tuned = context.FineTuning().AdrpoGrpo(options).Fit(prompts);
        double after = Score(new CausalLanguageModelTransformer(tuned.Model, tuned.Tokenizer, settings));
        const double MinimumRise = 0.15;   // the spread over seeds and kernel paths: benchmarks/README.md, "Learning tests"
        LearningTest.Record($"embedded chat task held-out reward rise ({(adaptive ? "ADRPO" : "GRPO")})", after - before, MinimumRise);
        Assert.IsTrue(after > before + MinimumRise, $"held-out learned reward should rise by more than {MinimumRise}: {before:F3} -> {after:F3}");
        return 0;
    });

    private sealed class Row
    {
        public string Prompt { get; set; } = string.Empty;
    }
}
