using System.Globalization;
using Adrpo.Embedded.Arithmetic;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Tests.Infrastructure;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Training.Language;

/// <summary>The headroom check of the embedded verifiable task: GRPO fine-tuning of the embedded arithmetic model with
/// two plain C# rewards (exact answer and format) raises its held-out exact-match accuracy.</summary>
[TestClass]
public sealed class EmbeddedArithmeticGrpoTests
{
    [TestMethod]
    [TestCategory(LearningTest.Category)]
    public void HeldOutExactMatchRises() => LearningTest.WithThreads(() =>
    {
        var context = new MLContext(seed: 2026);
        var train = EmbeddedArithmetic.LoadTrainData(context);
        var test = EmbeddedArithmetic.LoadTestData(context);

        // The accuracy reward in one line: the data's Answer column reaches it.
        var exact = RewardModel.FromFunction(s => ArithmeticAnswer.Score(s.Completion, int.Parse(s["Answer"], CultureInfo.InvariantCulture)), name: "exact", columns: ["Answer"]);
        // The format reward is small next to the answer's: the pre-trained model is already well formed 95-100% of the
        // time, so it mostly keeps the answer line from drifting while the answer reward moves the arithmetic.
        var format = RewardModel.FromFunction((_, completion) => ArithmeticAnswer.IsWellFormed(completion) ? 1f : 0f, weight: 0.2, name: "format");

        // The fixed held-out set, two completions per problem (1,000 samples), sampled at the trainer's temperature with a
        // fixed seed. With 256 samples the measurement's own noise (sd ~0.03 per evaluation) was as large as the rise.
        var heldOut = test.GetColumn<string>("Prompt").SelectMany(p => new[] { p, p }).ToList();
        var heldOutAnswers = test.GetColumn<string>("Answer").SelectMany(a => new[] { a, a }).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToList();
        var settings = new LanguageGenerationSettings { Seed = LearningTest.Seed(5), MaxNewTokens = 36, Temperature = 1.0, BatchSize = 50, ComputeThreads = LearningTest.Threads };
        double Accuracy(CausalLanguageModelTransformer model) =>
            model.Generate(heldOut).Select((c, i) => ArithmeticAnswer.Score(c, heldOutAnswers[i])).Average();

        double before = Accuracy(new CausalLanguageModelTransformer(EmbeddedArithmetic.LoadModel(), EmbeddedArithmetic.LoadTokenizer(), settings));
        // 8 prompts x 8 completions, learning rate 1e-4, 40 iterations. Tried first (one seed each): 4 prompts per
        // iteration rose by about 6 points at 1e-4 and 2e-4; on the committed model at 8 prompts x 30 iterations,
        // 2e-4 went from 33.2% to 30.9% and 3e-4 to 23.8% (too large a step for a 0.65M model), 1e-4 to 36.7%, and
        // 1e-4 x 50 iterations to 38.7%.
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = EmbeddedArithmetic.LoadModel(),
            Tokenizer = EmbeddedArithmetic.LoadTokenizer(),
            RewardModels = { exact, format },
            Iterations = 40,
            SamplesPerPrompt = 8,
            PromptsPerIteration = 8,
            MaxNewTokens = 36,
            LearningRate = 1e-4,
            Seed = LearningTest.Seed(2026),
            ComputeThreads = LearningTest.Threads,
        };
        var tuned = context.FineTuning().AdrpoGrpo(options).Fit(train);
        double after = Accuracy(new CausalLanguageModelTransformer(tuned.Model, tuned.Tokenizer, settings));
        Console.WriteLine($"held-out exact match at temperature 1: {before:P1} -> {after:P1}");
        const double MinimumRise = 0.01;   // rises of 0.017-0.061 over 5 seeds x kernel paths: benchmarks/README.md, "Learning tests"
        LearningTest.Record("embedded arithmetic held-out exact-match rise (ADRPO)", after - before, MinimumRise);
        Assert.IsTrue(after > before + MinimumRise, $"held-out exact match should rise by more than {MinimumRise}: {before:P1} -> {after:P1}");
        return 0;
    });
}
