using Adrpo.Tests.Infrastructure;
using Adrpo.Rewards;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Tests.Training.Language;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.Evaluation;

/// <summary>Evaluation during training in both trainers: rows, CSV, sample logs, training untouched, and the reward-hacking guard's stop.</summary>
[TestClass]
public sealed class HeldOutEvaluationTests
{
    private static readonly string[] HeldOut = { "wow", "hello 12", "world 3" };

    private static AdrpoGrpoTrainer.Options GrpoOptions(MLContext context, int iterations) => new()
    {
        Model = AdrpoGrpoTrainerTests.TinyModel(),
        Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
        RewardModels = { AdrpoGrpoTrainerTests.LetterReward(context) },
        Iterations = iterations,
        SamplesPerPrompt = 4,
        PromptsPerIteration = 2,
        MaxNewTokens = 6,
        MaxPromptTokens = 32,
        LearningRate = 1e-2,
        Seed = 11,
    };

    [TestMethod]
    public void GrpoEvaluatesBeforeTrainingAndEveryIntervalWithoutChangingTraining()
    {
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            var context = new MLContext(seed: 1);
            var plain = new AdrpoGrpoTrainer(context, GrpoOptions(context, 5));
            plain.Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));

            var options = GrpoOptions(context, 5);
            options.EvaluationData = AdrpoGrpoTrainerTests.Prompts(context, HeldOut);
            options.EvaluationInterval = 2;
            options.EvaluationSamplesPerPrompt = 3;
            options.EvaluationSamplesFolder = Path.Combine(folder, "samples");
            options.MetricsCsvPath = Path.Combine(folder, "metrics.csv");
            var trainer = new AdrpoGrpoTrainer(context, options);
            trainer.Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));

            var metrics = trainer.Metrics!;
            CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4, 5 }, metrics["Iteration"].Cast<int>().ToArray());
            var heldOut = metrics["HeldOutRewardMean"].Cast<double>().ToArray();
            var evaluated = Enumerable.Range(0, 6).Where(i => !double.IsNaN(heldOut[i])).ToArray();
            CollectionAssert.AreEqual(new[] { 0, 2, 4, 5 }, evaluated, "before training, every 2 iterations and after the last");
            Assert.IsTrue(double.IsNaN((double)metrics["RewardMean"][0]!), "row 0 measured no training");
            CollectionAssert.AreEqual(heldOut.Where(h => !double.IsNaN(h)).ToArray(), metrics["HeldOutRewardMeanPerModel[letters]"].Cast<double>().Where(h => !double.IsNaN(h)).ToArray());

            // Evaluation has its own seed: training is exactly the run without it.
            CollectionAssert.AreEqual(plain.Metrics!["RewardMean"].Cast<double>().ToArray(), metrics["RewardMean"].Cast<double>().Skip(1).ToArray());
            CollectionAssert.AreEqual(plain.Metrics!["Kl"].Cast<double>().ToArray(), metrics["Kl"].Cast<double>().Skip(1).ToArray());

            StringAssert.Contains(File.ReadLines(options.MetricsCsvPath).First(), "HeldOutRewardMean");
            foreach (int iteration in evaluated)
            {
                var lines = File.ReadAllLines(Path.Combine(options.EvaluationSamplesFolder, $"heldout-{iteration:D4}.jsonl"));
                Assert.AreEqual(HeldOut.Length * 3, lines.Length);
                using var json = System.Text.Json.JsonDocument.Parse(lines[0]);
                Assert.AreEqual("wow", json.RootElement.GetProperty("prompt").GetString());
                Assert.AreEqual(iteration, json.RootElement.GetProperty("iteration").GetInt32());
                // The file's rewards are the ones averaged into the metrics.
                double mean = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("reward").GetDouble()).Average();
                Assert.AreEqual(heldOut[iteration], mean, 1e-5);
            }

            Assert.AreEqual(4, Directory.GetFiles(options.EvaluationSamplesFolder).Length, "no temp files left");
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [TestMethod]
    public void FlowMatchingWritesACaptionedGridPerEvaluation()
    {
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-eval-fm-" + Guid.NewGuid().ToString("N"));
        try
        {
            var context = new MLContext(seed: 1);
            var options = new AdrpoFlowMatchingTrainer.Options
            {
                Generator = FlowMatchingTestFixtures.PretrainedTinyDit(),
                TextEncoder = new HashingTextEncoder(),
                RewardModels = { FlowMatchingTestFixtures.RednessReward(context) },
                Iterations = 2,
                SamplesPerPrompt = 4,
                PromptsPerIteration = 2,
                OdeSteps = 4,
                LoraRank = 4,
                LoraAlpha = 8,
                Seed = 5,
                EvaluationData = FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TestPrompts),
                EvaluationInterval = 1,
                EvaluationSamplesPerPrompt = 2,
                EvaluationSamplesFolder = folder,
            };
            var trainer = new AdrpoFlowMatchingTrainer(context, options);
            trainer.Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts));

            var heldOut = trainer.Metrics!["HeldOutRewardMean"].Cast<double>().ToArray();
            Assert.AreEqual(3, heldOut.Length);
            Assert.IsTrue(heldOut.All(double.IsFinite), string.Join(", ", heldOut));
            foreach (int iteration in new[] { 0, 1, 2 })
            {
                byte[] png = File.ReadAllBytes(Path.Combine(folder, $"heldout-{iteration:D4}.png"));
                Assert.AreEqual(0x89, png[0]);
                // 2 prompts x 2 samples of 8x8 enlarged to 96 px, with a caption band under each row: at least 96 px tiles.
                int width = (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19];
                int height = (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23];
                Assert.AreEqual((2 * (96 + 4)) + 4, width);
                Assert.IsTrue(height > 2 * (96 + 4), $"height {height}");
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [TestMethod]
    public void StopOnRewardHackingStopsAndPutsBackTheBestEvaluatedWeights()
    {
        // A reward the policy games by construction: on training prompts it rises with every batch scored, on held-out
        // prompts it falls with every evaluation. The guard must fire at the third evaluation (iterations 0, 2, 4),
        // stop there, and put back the weights of iteration 0, the best held-out evaluation.
        var context = new MLContext(seed: 1);
        var warnings = LogWarnings.Collect(context);
        int scored = 0;
        var heldOutSet = new HashSet<string>(HeldOut);
        var options = GrpoOptions(context, 10);
        options.RewardModels.Clear();
        options.RewardModels.Add(RewardModel.FromFunction((prompt, completion) =>
        {
            int n = Interlocked.Increment(ref scored);
            return heldOutSet.Contains(prompt) ? -n : n;
        }, name: "gameable"));
        options.EvaluationData = AdrpoGrpoTrainerTests.Prompts(context, HeldOut);
        options.EvaluationInterval = 2;
        options.EvaluationSamplesPerPrompt = 2;
        options.StopOnRewardHacking = true;
        var initial = options.Model!.parameters().Select(p => p.detach().clone()).ToList();

        var trainer = new AdrpoGrpoTrainer(context, options);
        trainer.Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));

        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, trainer.Metrics!["Iteration"].Cast<int>().ToArray(), "stopped after iteration 4; " + string.Join("\n", warnings));
        Assert.IsTrue(warnings.Any(w => w.Contains("Reward-hacking guard, iteration 4: the held-out reward fell at two evaluations in a row", StringComparison.Ordinal)), string.Join("\n", warnings));
        var final = options.Model.parameters().ToList();
        for (int i = 0; i < initial.Count; i++)
        {
            Assert.IsTrue(initial[i].eq(final[i]).all().item<bool>(), $"parameter {i} is back at its value before training");
        }
    }

    [TestMethod]
    public void HeldOutRowsGiveTheirOwnColumnsToTheRewards()
    {
        // Training rows answer "no", held-out rows "yes": the held-out reward is 1 exactly when the evaluation's own
        // columns reach the reward, 0 when it saw the training rows' columns (or none: the reward would fail).
        var context = new MLContext(seed: 1);
        var options = GrpoOptions(context, 1);
        options.RewardModels.Clear();
        options.RewardModels.Add(RewardModel.FromFunction(s => s["Answer"] == "yes" ? 1f : 0f, name: "answer", columns: new[] { "Answer" }));
        options.EvaluationData = context.Data.LoadFromEnumerable(HeldOut.Select(p => new QaRow { Prompt = p, Answer = "yes" }).ToList());
        var trainer = new AdrpoGrpoTrainer(context, options);
        trainer.Fit(context.Data.LoadFromEnumerable(AdrpoGrpoTrainerTests.TrainPrompts.Select(p => new QaRow { Prompt = p, Answer = "no" }).ToList()));

        CollectionAssert.AreEqual(new[] { 1.0, 1.0 }, trainer.Metrics!["HeldOutRewardMean"].Cast<double>().ToArray());
        Assert.AreEqual(0.0, (double)trainer.Metrics["RewardMean"][1]!);
    }

    [TestMethod]
    public void EvaluationDataMissingARewardColumnIsNamedBeforeTraining()
    {
        var context = new MLContext(seed: 1);
        var options = GrpoOptions(context, 1);
        options.RewardModels.Add(RewardModel.FromFunction(s => s["Answer"] == "yes" ? 1f : 0f, name: "answer", columns: new[] { "Answer" }));
        options.EvaluationData = AdrpoGrpoTrainerTests.Prompts(context, HeldOut);
        var error = Assert.ThrowsExactly<ArgumentException>(() => new AdrpoGrpoTrainer(context, options).Fit(context.Data.LoadFromEnumerable(AdrpoGrpoTrainerTests.TrainPrompts.Select(p => new QaRow { Prompt = p, Answer = "no" }).ToList())));
        StringAssert.Contains(error.Message, "Options.EvaluationData");
        StringAssert.Contains(error.Message, "Answer");
    }

    private sealed class QaRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Answer { get; set; } = string.Empty;
    }

    [TestMethod]
    public void EvaluationDataWithoutThePromptColumnIsNamed()
    {
        var context = new MLContext(seed: 1);
        var options = GrpoOptions(context, 1);
        options.EvaluationData = context.Data.LoadFromEnumerable(new[] { new OtherRow { Question = "x" } });
        var error = Assert.ThrowsExactly<ArgumentException>(() => new AdrpoGrpoTrainer(context, options).Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts)));
        StringAssert.Contains(error.Message, "Options.EvaluationData");
        StringAssert.Contains(error.Message, "'Prompt'");
        StringAssert.Contains(error.Message, "'Question'");
    }

    [TestMethod]
    public void StopOnRewardHackingNeedsSomethingToGuard()
    {
        var context = new MLContext(seed: 1);
        var options = GrpoOptions(context, 1);
        options.StopOnRewardHacking = true;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AdrpoGrpoTrainer(context, options));
        StringAssert.Contains(error.Message, "Option StopOnRewardHacking is true, but there is nothing to guard");
    }

    private sealed class OtherRow
    {
        public string Question { get; set; } = string.Empty;
    }
}
