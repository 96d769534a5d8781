using Adrpo.Losses.Language;
using Adrpo.Rewards;
using Adrpo.Training;
using Adrpo.Training.Language;
using Microsoft.ML;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.Language;

/// <summary>One GRPO iteration with micro-batches (gradient accumulation) equals the one-batch iteration: the same
/// parameters after the steps and the same logged loss, KL, clip ratio and entropy, for every aggregation.</summary>
[TestClass]
public sealed class GrpoMicroBatchTests
{
    [TestMethod]
    [DataRow(LossAggregation.Grpo)]
    [DataRow(LossAggregation.Bnpo)]
    [DataRow(LossAggregation.DrGrpo)]
    [DataRow(LossAggregation.Dapo)]
    public void MicroBatchedIterationEqualsTheOneBatchIteration(LossAggregation mode)
    {
        var (oneMetrics, oneParameters) = RunOneIteration(mode, microBatchSize: 0);
        var (microMetrics, microParameters) = RunOneIteration(mode, microBatchSize: 3);   // 8 rows: 3 + 3 + 2

        Assert.AreEqual(oneMetrics.RewardMean, microMetrics.RewardMean, "the same completions were sampled");
        Assert.AreEqual(oneMetrics.Loss, microMetrics.Loss, 1e-5 * Math.Max(1, Math.Abs(oneMetrics.Loss)), "loss");
        Assert.AreEqual(oneMetrics.Kl, microMetrics.Kl, 1e-6, "KL");
        Assert.AreEqual(oneMetrics.ClipRatio, microMetrics.ClipRatio, 1e-6, "clip ratio");
        Assert.AreEqual(oneMetrics.Entropy, microMetrics.Entropy, 1e-5, "entropy");
        Assert.IsTrue(oneMetrics.Kl > 0, "the second update moved the policy away from the reference");
        double largest = 0;
        for (int i = 0; i < oneParameters.Count; i++)
        {
            largest = Math.Max(largest, (oneParameters[i] - microParameters[i]).abs().max().item<float>());
        }

        Assert.IsTrue(largest < 1e-5, $"parameters after the steps differ by up to {largest}");
    }

    [TestMethod]
    public void NegativeMicroBatchSizeIsRejected()
    {
        var context = new MLContext(seed: 1);
        var options = AdrpoGrpoTrainerTestsAccess.Options(context, null);
        options.MicroBatchSize = -1;
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTestsAccess.TrainData(context)));
        Assert.AreEqual("MicroBatchSize", e.ParamName);
    }

    private static (GrpoIterationMetrics Metrics, List<Tensor> Parameters) RunOneIteration(LossAggregation mode, int microBatchSize)
    {
        var context = new MLContext(seed: 1);
        var options = AdrpoGrpoTrainerTestsAccess.Options(context, null);
        options.LossAggregation = mode;
        options.MicroBatchSize = microBatchSize;
        options.EpsilonLow = options.EpsilonHigh = 0.05;   // narrow, so that the second update clips some tokens
        var scorer = new RewardScorer(context, new[] { AdrpoGrpoTrainerTests.LetterReward(context) }, RewardSampleColumn.Text());
        using var loop = new GrpoTrainingLoop(options, AdrpoGrpoTrainerTests.TrainPrompts, scorer, seed: 7, new TrainingDevice(CPU));
        var metrics = loop.RunIteration(CancellationToken.None);
        return (metrics, options.Model!.parameters().Select(p => p.detach().clone()).ToList());
    }
}
