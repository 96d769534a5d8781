using Adrpo.Tests.Infrastructure;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Tests.Training.Language;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Adrpo.Tests.Training;

/// <summary>
/// The training data's other columns reach the rewards inside both trainers: an accuracy function reward and a
/// transformer reward read an <c>Answer</c> column (first row of a repeated prompt), "not applicable" is warned per
/// iteration with its count, and a declared column the data lacks fails before training, naming it. Short runs of the
/// tiny models; nothing here asserts learning.
/// </summary>
[TestClass]
public sealed class RewardColumnsTrainingTests
{
    private static readonly QaRow[] Rows =
    {
        new("hello", "h"), new("hello world", "w"), new("world", "skip"), new("12 worlds", "1"), new("hello", "not the first row"),
    };

    [TestMethod]
    public void TheLanguageTrainersRewardsReadTheAnswerColumnOfEachPrompt()
    {
        var context = new MLContext(seed: 3);
        var warnings = Warnings(context);
        var seen = new List<(string Prompt, string Answer)>();
        var nullsPerBatch = new List<int>();
        var accuracy = RewardModel.FromBatchFunction(batch =>
        {
            seen.AddRange(batch.Select(s => (s.Prompt, s["Answer"])));
            var scores = batch.Select(s => s["Answer"] == "skip" ? null : (float?)(s.Completion.Contains(s["Answer"], StringComparison.Ordinal) ? 1 : 0)).ToArray();
            nullsPerBatch.Add(scores.Count(v => v is null));
            return scores;
        }, name: "accuracy", columns: ["Answer"]);
        var transformerSeen = new List<string>();
        var answerLength = new RewardModel(context.Transforms.CustomMapping<CompletionAndAnswer, ScoreRow>((input, output) =>
        {
            lock (transformerSeen)
            {
                transformerSeen.Add(input.Answer);
            }

            output.Score = input.Answer.Length;
        }, contractName: null).Fit(context.Data.LoadFromEnumerable(new List<CompletionAndAnswer>())), name: "answer length");
        var metrics = new List<GrpoIterationMetrics>();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = AdrpoGrpoTrainerTests.TinyModel(),
            Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
            RewardModels = { accuracy, answerLength },
            Iterations = 3,
            SamplesPerPrompt = 2,
            PromptsPerIteration = 4,
            MaxNewTokens = 4,
            MaxPromptTokens = 32,
            Seed = 7,
            Progress = new Sink<GrpoIterationMetrics>(metrics.Add),
        };

        context.FineTuning().AdrpoGrpo(options).Fit(Data(context));

        var firstAnswer = new Dictionary<string, string> { ["hello"] = "h", ["hello world"] = "w", ["world"] = "skip", ["12 worlds"] = "1" };
        Assert.AreEqual(3 * 8, seen.Count);
        foreach (var (prompt, answer) in seen)
        {
            Assert.AreEqual(firstAnswer[prompt], answer, $"prompt '{prompt}' gets its first row's Answer");
        }

        CollectionAssert.AreEquivalent(seen.Select(s => s.Answer).ToList(), transformerSeen, "the transformer reward reads the same Answer column");
        Assert.IsTrue(metrics.All(m => m.InvalidRewards == 0), "the transformer reward applies to every sample, so none is invalid");
        StringAssert.EndsWith(
            warnings[0],
            "1 prompt(s) repeat in rows whose other columns differ (e.g. 'hello' in column(s) 'Answer'); the trainers train on distinct prompts, " +
            "so the rewards see each prompt's first row only. Merge such rows (e.g. several accepted answers in one column) if the rewards need them all.");
        var expected = nullsPerBatch.Select((n, i) => (Iteration: i + 1, Nulls: n)).Where(b => b.Nulls > 0).ToList();
        Assert.IsTrue(expected.Count > 0, "seed 7 draws the prompt whose Answer is 'skip' at least once");
        Assert.AreEqual(expected.Count + 1, warnings.Count, string.Join("\n", warnings));
        foreach (var ((iteration, nulls), warning) in expected.Zip(warnings.Skip(1)))
        {
            StringAssert.Contains(warning, $"Iteration {iteration}: reward model 0 ('accuracy') was not applicable to {nulls} of 8 samples (null or NaN)");
        }
    }

    [TestMethod]
    public void TheFlowMatchingTrainersImageRewardReadsADatasetColumn()
    {
        var context = new MLContext(seed: 3);
        var view = context.Data.LoadFromEnumerable(FlowMatchingTestFixtures.TrainPrompts.Select((p, i) => new TargetRow { Prompt = p, Target = i }).ToList());
        var seen = new List<(string, float)>();
        var reward = RewardModel.FromFunction(s =>
        {
            seen.Add((s.Prompt, s.Column<float>("Target")));
            return -Math.Abs(s.Image.Average() - s.Column<float>("Target") / 4);
        }, name: "target brightness", columns: ["Target"]);
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = FlowMatchingTestFixtures.PretrainedTinyDit(),
            TextEncoder = new HashingTextEncoder(),
            RewardModels = { reward },
            Iterations = 2,
            SamplesPerPrompt = 2,
            PromptsPerIteration = 2,
            OdeSteps = 2,
            LoraRank = 4,
            Seed = 5,
        };

        context.FineTuning().AdrpoFlowMatching(options).Fit(view);

        Assert.AreEqual(2 * 4, seen.Count);
        foreach (var (prompt, target) in seen)
        {
            Assert.AreEqual(Array.IndexOf(FlowMatchingTestFixtures.TrainPrompts, prompt), (int)target, prompt);
        }
    }

    [TestMethod]
    public void ADeclaredColumnTheTrainingDataLacksFailsBeforeTraining()
    {
        var context = new MLContext(seed: 3);
        var iterations = new List<GrpoIterationMetrics>();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = AdrpoGrpoTrainerTests.TinyModel(),
            Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
            RewardModels = { RewardModel.FromFunction(s => s.Completion == s["Answer"] ? 1f : 0f, name: "accuracy", columns: ["Answer"]) },
            Iterations = 1,
            Progress = new Sink<GrpoIterationMetrics>(iterations.Add),
        };

        var e = Assert.ThrowsExactly<ArgumentException>(() => context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts)));
        StringAssert.Contains(e.Message, "reward model 0 ('accuracy') reads column 'Answer' (declared in columns:), which the training data does not have: the scorer provides 'Prompt' (String) and 'Completion' (String)");
        Assert.AreEqual(0, iterations.Count, "nothing was trained");
    }

    [TestMethod]
    public void TheGenerationTransformerCarriesTheInputColumnsThrough()
    {
        var context = new MLContext(seed: 3);
        var generator = new CausalLanguageModelTransformer(AdrpoGrpoTrainerTests.TinyModel(), AdrpoGrpoTrainerTests.Tokenizer(), new LanguageGenerationSettings { MaxNewTokens = 2, MaxPromptTokens = 32, Seed = 1 });
        var output = generator.Transform(Data(context));

        CollectionAssert.AreEqual(new[] { "Prompt", "Answer", "Completion" }, output.Schema.Select(c => c.Name).ToArray());
        CollectionAssert.AreEqual(Rows.Select(r => r.Answer).ToArray(), output.GetColumn<string>("Answer").ToArray());
        CollectionAssert.AreEqual(Rows.Select(r => r.Prompt).ToArray(), output.GetColumn<string>("Prompt").ToArray());
        Assert.AreEqual(Rows.Length, output.GetColumn<string>("Completion").Count());
    }

    private static IDataView Data(MLContext context) =>
        context.Data.LoadFromEnumerable(Rows.Select(r => new QaData { Prompt = r.Prompt, Answer = r.Answer }).ToList());

    /// <summary>The warnings about rewards the MLContext log receives (not the adaptive coefficient's diagnostics).</summary>
    private static List<string> Warnings(MLContext context) => LogWarnings.Collect(context, includeCoefficientDiagnostics: false);

    private sealed record QaRow(string Prompt, string Answer);

    private sealed class QaData
    {
        public string Prompt { get; set; } = string.Empty;

        public string Answer { get; set; } = string.Empty;
    }

    private sealed class TargetRow
    {
        public string Prompt { get; set; } = string.Empty;

        public float Target { get; set; }
    }

    public sealed class CompletionAndAnswer
    {
        public string Completion { get; set; } = string.Empty;

        public string Answer { get; set; } = string.Empty;
    }

    public sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private sealed class Sink<T>(Action<T> add) : IProgress<T>
    {
        public void Report(T value) => add(value);
    }
}
