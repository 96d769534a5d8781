using Adrpo.Tests.Infrastructure;
using Adrpo.Rewards;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Tests.Training.Language;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Adrpo.Tests.Training;

/// <summary>When some (not all) rewards of an iteration are invalid (here: infinite), both trainers leave those samples out and
/// say so: one warning per such iteration through the MLContext log, with the count and the reward model's name.</summary>
[TestClass]
public sealed class PartiallyInvalidRewardWarningTests
{
    [TestMethod]
    public void TheLanguageTrainerWarnsWithTheCountAndTheRewardModel()
    {
        var context = new MLContext(seed: 3);
        var warnings = Warnings(context);
        var metrics = new List<GrpoIterationMetrics>();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = AdrpoGrpoTrainerTests.TinyModel(),
            Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
            RewardModels = { EveryFourthInfinite<TextRow>(context, row => row.Completion.Length, "flaky letters") },
            Iterations = 2,
            SamplesPerPrompt = 4,
            PromptsPerIteration = 2,
            MaxNewTokens = 4,
            MaxPromptTokens = 32,
            Seed = 7,
            Progress = new Sink<GrpoIterationMetrics>(metrics.Add),
        };
        context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));

        AssertOneWarningPerIteration(warnings, metrics.Select(m => (m.Iteration, m.InvalidRewards)).ToList(), rows: 8, "reward model 0 ('flaky letters')");
    }

    [TestMethod]
    public void TheFlowMatchingTrainerWarnsWithTheCountAndTheRewardModel()
    {
        var context = new MLContext(seed: 3);
        var warnings = Warnings(context);
        var metrics = new List<FlowMatchingIterationMetrics>();
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = FlowMatchingTestFixtures.PretrainedTinyDit(),
            TextEncoder = new HashingTextEncoder(),
            RewardModels = { FlowMatchingTestFixtures.RednessReward(context), EveryFourthInfinite<FlowMatchingTestFixtures.ImageRow>(context, row => row.Image[0], "flaky redness") },
            Iterations = 2,
            SamplesPerPrompt = 4,
            PromptsPerIteration = 2,
            OdeSteps = 2,
            LoraRank = 4,
            Seed = 5,
            Progress = new Sink<FlowMatchingIterationMetrics>(metrics.Add),
        };
        context.FineTuning().AdrpoFlowMatching(options).Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts));

        AssertOneWarningPerIteration(warnings, metrics.Select(m => (m.Iteration, m.InvalidRewards)).ToList(), rows: 8, "reward model 1 ('flaky redness')");
    }

    [TestMethod]
    public void NoWarningWhenEveryRewardIsFinite()
    {
        var context = new MLContext(seed: 3);
        var warnings = Warnings(context);
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = AdrpoGrpoTrainerTests.TinyModel(),
            Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
            RewardModels = { AdrpoGrpoTrainerTests.LetterReward(context) },
            Iterations = 2,
            SamplesPerPrompt = 2,
            PromptsPerIteration = 2,
            MaxNewTokens = 4,
            MaxPromptTokens = 32,
            Seed = 7,
        };
        context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));
        Assert.AreEqual(0, warnings.Count(w => w.Contains("NaN or infinite", StringComparison.Ordinal)), string.Join("\n", warnings));
    }

    private static void AssertOneWarningPerIteration(List<string> warnings, List<(int Iteration, int Invalid)> iterations, int rows, string model)
    {
        Assert.IsTrue(iterations.All(i => i.Invalid > 0 && i.Invalid < rows), $"every iteration has some invalid rewards: {string.Join(", ", iterations)}");
        Assert.AreEqual(iterations.Count, warnings.Count, string.Join("\n", warnings));
        foreach (var ((iteration, invalid), warning) in iterations.Zip(warnings))
        {
            StringAssert.Contains(warning, $"Iteration {iteration}: {invalid} of {rows} rewards were invalid");
            StringAssert.Contains(warning, $"{model} returned {invalid} infinite score(s)");
            StringAssert.Contains(warning, "left out of this update");
        }
    }

    /// <summary>The warnings about rewards the MLContext log receives (not the adaptive coefficient's diagnostics).</summary>
    private static List<string> Warnings(MLContext context) => LogWarnings.Collect(context, includeCoefficientDiagnostics: false);

    /// <summary>A reward that is +infinity for every fourth row it scores (rows 4, 8, ...) and finite otherwise (NaN would
    /// mean "not applicable", which leaves the sample in when another model applies).</summary>
    private static RewardModel EveryFourthInfinite<TRow>(MLContext context, Func<TRow, float> score, string name)
        where TRow : class, new()
    {
        int calls = 0;
        var estimator = context.Transforms.CustomMapping<TRow, ScoreRow>((input, output) => output.Score = Interlocked.Increment(ref calls) % 4 == 0 ? float.PositiveInfinity : score(input), contractName: null);
        return new RewardModel(estimator.Fit(context.Data.LoadFromEnumerable(new List<TRow>())), 1.0, "Score", name);
    }

    private sealed class Sink<T>(Action<T> add) : IProgress<T>
    {
        public void Report(T value) => add(value);
    }

    public sealed class TextRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Completion { get; set; } = string.Empty;
    }

    public sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}
