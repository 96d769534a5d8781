using System.Text.Json;
using System.Text.Json.Nodes;
using Adrpo.Advantages;
using Adrpo.Losses.Language;
using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Tests.Training.Language;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Tests.Training;

/// <summary>
/// Every method of both trainers, three short iterations each, against the metrics the trainers produced before the
/// two trainers were given one core (issue 13): the refactor must not change what a seed computes. The recorded file
/// was written by this test with <c>ADRPO_RECORD_METRICS=1</c> at the commit before that refactor.
/// </summary>
[TestClass]
public sealed class RecordedMetricsTests
{
    private static string RecordedPath => Path.Combine(RepoPaths.Root, "tests", "Adrpo.Tests", "Training", "Recorded", "metrics-before-trainer-core.json");

    /// <summary>Every run's metrics, Seconds and TokensPerSecond left out (wall time).</summary>
    private static JsonObject Run()
    {
        using var oneThread = new OneIntraOpThread();
        var runs = new JsonObject();
        // Flow-GRPO was added after the recording; its own tests cover it.
        foreach (var method in Enum.GetValues<FineTuningMethod>().Where(m => m != FineTuningMethod.FlowGrpo))
        {
            var context = new MLContext(seed: 1);
            var metrics = new List<FlowMatchingIterationMetrics>();
            var options = new AdrpoFlowMatchingTrainer.Options
            {
                Generator = FlowMatchingTestFixtures.PretrainedTinyDit(),
                TextEncoder = new HashingTextEncoder(),
                RewardModels = { FlowMatchingTestFixtures.RednessReward(context) },
                Method = method,
                Iterations = 3,
                SamplesPerPrompt = 4,
                PromptsPerIteration = 2,
                UpdatesPerIteration = 2,
                WarmupIterations = 2,
                OdeSteps = 4,
                LearningRate = 1e-2,
                LoraRank = 4,
                LoraAlpha = 8,
                AdvantageScaling = AdvantageScaling.Group,
                Seed = 5,
                ComputeThreads = 1,   // the caller's one-thread scope (OneIntraOpThread) would otherwise be replaced by the automatic count
                Progress = new SynchronousProgress<FlowMatchingIterationMetrics>(m => metrics.Add(m with { Seconds = 0 })),
            };
            context.FineTuning().AdrpoFlowMatching(options).Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts));
            runs[$"flow-matching/{method}"] = JsonSerializer.SerializeToNode(metrics, MetricsJsonOptions);
        }

        foreach (var (adaptive, updates, aggregation) in new[]
        {
            (true, 1, LossAggregation.Grpo), (false, 1, LossAggregation.Grpo), (true, 2, LossAggregation.Bnpo),
            (false, 2, LossAggregation.DrGrpo), (true, 2, LossAggregation.Dapo),
        })
        {
            var context = new MLContext(seed: 1);
            var metrics = new List<GrpoIterationMetrics>();
            var options = AdrpoGrpoTrainerTestsAccess.Options(context, null, adaptive);
            options.Iterations = 3;
            options.UpdatesPerIteration = updates;
            options.LossAggregation = aggregation;
            options.WarmupIterations = 2;
            options.Schedule = LearningRateSchedule.Cosine;
            options.Progress = new SynchronousProgress<GrpoIterationMetrics>(m => metrics.Add(m with { Seconds = 0, TokensPerSecond = 0 }));
            context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTestsAccess.TrainData(context));
            runs[$"grpo/{(adaptive ? "adaptive" : "fixed")}/{updates}/{aggregation}"] = JsonSerializer.SerializeToNode(metrics, MetricsJsonOptions);
        }

        return runs;
    }

    private static readonly JsonSerializerOptions MetricsJsonOptions = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    /// <remarks>In the learning category because it compares trajectories: CI reruns it under a forced different kernel
    /// path (ATEN_CPU_CAPABILITY=default), where it passes within the tolerance below, as it does under avx2.</remarks>
    [TestMethod]
    [TestCategory(LearningTest.Category)]
    public void EveryMethodComputesTheMetricsRecordedBeforeTheTrainerCore()
    {
        var actual = Run();
        if (Environment.GetEnvironmentVariable("ADRPO_RECORD_METRICS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(RecordedPath)!);
            File.WriteAllText(RecordedPath, actual.ToJsonString(MetricsJsonOptions));
        }

        var expected = JsonNode.Parse(File.ReadAllText(RecordedPath))!.AsObject();
        CollectionAssert.AreEquivalent(expected.Select(kv => kv.Key).ToList(), actual.Select(kv => kv.Key).ToList(), "the same runs");
        foreach (var (run, recorded) in expected)
        {
            var want = recorded!.AsArray();
            var got = actual[run]!.AsArray();
            Assert.AreEqual(want.Count, got.Count, $"{run}: iterations");
            foreach (var row in got.Select(r => r!.AsObject()))
            {
                // Added after the recording (evaluation during training, off in these runs): nothing evaluated.
                Assert.IsNull(row["HeldOutRewardMean"], run);
                Assert.AreEqual(0, row["HeldOutRewardMeanPerModel"]!.AsObject().Count, run);
                row.Remove("HeldOutRewardMean");
                row.Remove("HeldOutRewardMeanPerModel");
            }

            for (int i = 0; i < want.Count; i++)
            {
                CompareValues(want[i]!, got[i]!, $"{run}, iteration {i + 1}");
            }
        }
    }

    /// <summary>Numbers agree to 1e-4 relative (1e-6 absolute near zero): enough for another CPU's kernels over three
    /// iterations, far tighter than any change of the algorithm would stay; every other value exactly.</summary>
    private static void CompareValues(JsonNode want, JsonNode got, string where)
    {
        switch (want)
        {
            case JsonObject o:
                var g = got.AsObject();
                CollectionAssert.AreEquivalent(o.Select(kv => kv.Key).ToList(), g.Select(kv => kv.Key).ToList(), where);
                foreach (var (key, value) in o)
                {
                    CompareValues(value!, g[key]!, $"{where}, {key}");
                }

                break;
            case JsonValue v when v.TryGetValue(out double a) || double.TryParse(v.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out a):
                double b = got.GetValue<JsonElement>().ValueKind == JsonValueKind.String
                    ? double.Parse(got.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
                    : got.GetValue<double>();
                bool same = (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) <= 1e-6 + (1e-4 * Math.Abs(a));
                Assert.IsTrue(same, $"{where}: recorded {a:R}, now {b:R}");
                break;
            default:
                Assert.AreEqual(want.ToJsonString(), got.ToJsonString(), where);
                break;
        }
    }
}
