using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Text;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using TorchSharp;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Training.FlowMatching;

/// <summary>The defaults of <see cref="AdrpoFlowMatchingTrainer.Options"/> work on the embedded MiniDrawBench
/// generator, and ComputeThreads is checked, used during Fit and put back afterwards.</summary>
[TestClass]
public sealed class AdrpoFlowMatchingTrainerOptionsTests
{
    [TestMethod]
    public void DefaultOptionsFitTheEmbeddedGeneratorAndItsTransformerGenerates()
    {
        var context = new MLContext(seed: 3);
        using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();
        using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(encoder);
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = EmbeddedMiniDrawBench.LoadGenerator(),
            TextEncoder = encoder,
            RewardModels = { MatchRewardMapping.Create(context, scorer) },
            Iterations = 1,
            PromptsPerIteration = 2,   // speed only: a count, valid at any size; every length and shape keeps its default
        };
        var (train, test) = Bench.Split(seed: 2026);
        var trainer = context.FineTuning().AdrpoFlowMatching(options);
        var tuned = trainer.Fit(Prompts(context, train.Take(2).Select(p => p.Text)));

        Assert.AreEqual(1, trainer.Metrics!.Rows.Count);
        Assert.AreEqual(0, tuned.Settings.ComputeThreads, "the transformer generates with the trainer's setting");
        var images = tuned.Generate(test.Take(2).Select(p => p.Text).ToList());
        Assert.AreEqual(2, images.Length);
        Assert.AreEqual(Bench.SampleShape.Aggregate(1L, (a, b) => a * b), images[0].Length);
        Assert.IsTrue(images.SelectMany(i => i).All(float.IsFinite), "finite pixels");
    }

    [TestMethod]
    public void ComputeThreadsIsValidatedUsedDuringFitAndRestored()
    {
        var context = new MLContext(seed: 3);
        var options = TinyOptions(context);
        options.ComputeThreads = -2;
        var invalid = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoFlowMatching(options));
        Assert.AreEqual("ComputeThreads", invalid.ParamName);
        StringAssert.Contains(invalid.Message, "Option ComputeThreads is -2");

        int before = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var seen = new List<int>();
            options = TinyOptions(context);
            options.ComputeThreads = 2;
            options.Progress = new Recorder(() => seen.Add(torch.get_num_threads()));
            var tuned = context.FineTuning().AdrpoFlowMatching(options).Fit(Prompts(context, TrainPrompts));
            CollectionAssert.AreEqual(new[] { 2, 2 }, seen, "Fit runs with ComputeThreads");
            Assert.AreEqual(1, torch.get_num_threads(), "and puts the caller's count back");
            Assert.AreEqual(2, tuned.Settings.ComputeThreads);
            tuned.Generate(new[] { "a red square" });
            Assert.AreEqual(1, torch.get_num_threads(), "generation puts it back too");
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    private static AdrpoFlowMatchingTrainer.Options TinyOptions(MLContext context) => new()
    {
        Generator = PretrainedTinyDit(),
        TextEncoder = new HashingTextEncoder(),
        RewardModels = { RednessReward(context) },
        Iterations = 2,
        SamplesPerPrompt = 2,
        PromptsPerIteration = 2,
        OdeSteps = 2,
        LoraRank = 4,
        Seed = 5,
    };

    /// <summary>An <see cref="IProgress{T}"/> called on the training thread, so it sees the thread count Fit set.</summary>
    private sealed class Recorder(Action record) : IProgress<FlowMatchingIterationMetrics>
    {
        public void Report(FlowMatchingIterationMetrics value) => record();
    }
}
