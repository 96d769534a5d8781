using Adrpo.Tests.Infrastructure;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Tests.Training.FlowMatching;
using Microsoft.ML;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;

namespace Adrpo.Tests.Training.Checkpoints;

/// <summary>Checkpoints, cancellation and exact resume of the flow-matching trainer (issue 5, items 2 and 5).</summary>
[TestClass]
public sealed class FlowMatchingResumeTests
{
    private static string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-fm-resume-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    internal static AdrpoFlowMatchingTrainer.Options Options(MLContext context, FineTuningMethod method, string? checkpoint, List<FlowMatchingIterationMetrics> reported, int seed = 5) => new()
    {
        Generator = PretrainedTinyDit(),
        TextEncoder = new HashingTextEncoder(),
        RewardModels = { RednessReward(context) },
        Method = method,
        Iterations = 6,
        SamplesPerPrompt = 4,
        PromptsPerIteration = 2,
        UpdatesPerIteration = 2,
        OdeSteps = 3,
        LearningRate = 1e-2,
        LoraRank = 4,
        LoraAlpha = 8,
        Seed = seed,
        ComputeThreads = 1,   // the caller's one-thread scope (OneIntraOpThread) would otherwise be replaced by the automatic count
        CheckpointPath = checkpoint,
        CheckpointInterval = 2,
        Progress = new SynchronousProgress<FlowMatchingIterationMetrics>(reported.Add),
    };

    /// <summary>Everything but the wall time, which differs between runs.</summary>
    internal static string Comparable(FlowMatchingIterationMetrics m) => MetricsJson.Of(m with { Seconds = 0 });

    [TestMethod]
    [DataRow(FineTuningMethod.Adrpo)]
    [DataRow(FineTuningMethod.Dpo)]
    [DataRow(FineTuningMethod.FlowGrpo)]
    public void CancelledRunResumesToExactlyTheMetricsAndSamplesOfAnUninterruptedRun(FineTuningMethod method)
    {
        using var oneThread = new OneIntraOpThread();   // bit-exact comparisons need a fixed BLAS thread count
        string folder = NewFolder();
        var context = new MLContext(seed: 1);
        var prompts = Prompts(context, TrainPrompts);

        var straight = new List<FlowMatchingIterationMetrics>();
        var trainer = context.FineTuning().AdrpoFlowMatching(Options(context, method, null, straight));
        var expected = trainer.Fit(prompts).Generate(TestPrompts);
        var expectedFrame = trainer.Metrics!;

        // Interrupted: cancelled from the progress callback after iteration 3; the checkpoint of iteration 2 remains.
        string checkpoint = Path.Combine(folder, "run.safetensors");
        using var cancel = new CancellationTokenSource();
        var first = new List<FlowMatchingIterationMetrics>();
        var options = Options(context, method, checkpoint, first);
        options.Progress = new SynchronousProgress<FlowMatchingIterationMetrics>(m =>
        {
            first.Add(m);
            if (m.Iteration == 3)
            {
                cancel.Cancel();
            }
        });
        options.CancellationToken = cancel.Token;
        Assert.ThrowsExactly<OperationCanceledException>(() => context.FineTuning().AdrpoFlowMatching(options).Fit(prompts));
        Assert.AreEqual(3, first.Count, "stops before starting another iteration");
        Assert.AreEqual("2", Adrpo.Persistence.SafeTensorsFile.ReadHeader(checkpoint).Metadata["iteration"]);
        Assert.AreEqual(1, Directory.GetFiles(folder).Length, "no temporary file is left next to the checkpoint");

        // Resumed in a fresh trainer with a fresh copy of the base generator.
        var second = new List<FlowMatchingIterationMetrics>();
        var resumedTrainer = context.FineTuning().AdrpoFlowMatching(Options(context, method, checkpoint, second));
        var actual = resumedTrainer.Fit(prompts).Generate(TestPrompts);

        CollectionAssert.AreEqual(new[] { 3, 4, 5, 6 }, second.Select(m => m.Iteration).ToArray(), "picks up after the checkpoint");
        CollectionAssert.AreEqual(straight.Select(Comparable).ToList(), first.Take(2).Concat(second).Select(Comparable).ToList(), "metrics equal the uninterrupted run's");
        Assert.AreEqual(expectedFrame.Rows.Count, resumedTrainer.Metrics!.Rows.Count, "the metrics table holds restored and new iterations");
        // Samples agree to float rounding: the metrics above are bit-exact, but libtorch's BLAS may take another code
        // path for the same batched product when buffers are aligned differently, which moves the last bits.
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.HasCount(expected[i].Length, actual[i]);
            double largest = expected[i].Zip(actual[i], (e, a) => Math.Abs(e - a)).Max();
            Assert.IsLessThan(1e-5, largest, $"sample {i} equals the uninterrupted run's to float rounding");
        }

        Directory.Delete(folder, true);
    }

    [TestMethod]
    public void ResumeWithOtherSettingsOrAnotherTrainersCheckpointIsRefusedNamingTheSetting()
    {
        string folder = NewFolder();
        var context = new MLContext(seed: 1);
        var prompts = Prompts(context, TrainPrompts);
        string checkpoint = Path.Combine(folder, "run.safetensors");
        var options = Options(context, FineTuningMethod.Adrpo, checkpoint, new());
        options.Iterations = 2;
        context.FineTuning().AdrpoFlowMatching(options).Fit(prompts);
        byte[] saved = File.ReadAllBytes(checkpoint);

        var otherSeed = Options(context, FineTuningMethod.Adrpo, checkpoint, new(), seed: 6);
        otherSeed.Iterations = 4;
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => context.FineTuning().AdrpoFlowMatching(otherSeed).Fit(prompts));
        StringAssert.Contains(ex.Message, checkpoint);
        StringAssert.Contains(ex.Message, "was written with Seed = 5, but this run has Seed = 6");

        var otherPrompts = Options(context, FineTuningMethod.Adrpo, checkpoint, new());
        otherPrompts.Iterations = 4;
        ex = Assert.ThrowsExactly<InvalidDataException>(() => context.FineTuning().AdrpoFlowMatching(otherPrompts).Fit(Prompts(context, TrainPrompts.Reverse())));
        StringAssert.Contains(ex.Message, "was written with Prompts = 4 prompts, sha256");

        var grpo = Language.AdrpoGrpoTrainerTestsAccess.Options(context, checkpoint);
        ex = Assert.ThrowsExactly<InvalidDataException>(() => context.FineTuning().AdrpoGrpo(grpo).Fit(Language.AdrpoGrpoTrainerTestsAccess.TrainData(context)));
        StringAssert.Contains(ex.Message, "was written by the flow-matching trainer, expected a grpo checkpoint");

        CollectionAssert.AreEqual(saved, File.ReadAllBytes(checkpoint), "a refused resume leaves the checkpoint untouched");

        File.WriteAllBytes(checkpoint, saved.AsSpan(0, saved.Length / 2).ToArray());
        var truncated = Options(context, FineTuningMethod.Adrpo, checkpoint, new());
        ex = Assert.ThrowsExactly<InvalidDataException>(() => context.FineTuning().AdrpoFlowMatching(truncated).Fit(prompts));
        StringAssert.Contains(ex.Message, checkpoint);

        // Starting over is explicit.
        truncated.ResumeFromCheckpoint = false;
        truncated.Iterations = 2;
        context.FineTuning().AdrpoFlowMatching(truncated).Fit(prompts);
        Assert.AreEqual("2", Adrpo.Persistence.SafeTensorsFile.ReadHeader(checkpoint).Metadata["iteration"]);
        Directory.Delete(folder, true);
    }
}
