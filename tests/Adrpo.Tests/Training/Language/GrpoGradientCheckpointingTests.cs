using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Training;
using Adrpo.Training.Language;
using Microsoft.ML;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.Language;

/// <summary>GradientCheckpointing is a memory setting only: one GRPO iteration with it equals the iteration without
/// (the same parameters after the steps and the same logged metrics), alone and with micro-batches.</summary>
[TestClass]
public sealed class GrpoGradientCheckpointingTests
{
    [TestMethod]
    [DataRow(0)]
    [DataRow(3)]
    public void CheckpointedIterationEqualsThePlainIteration(int microBatchSize)
    {
        var (plainMetrics, plainParameters, plainRecomputed) = RunOneIteration(checkpointing: false, microBatchSize);
        var (metrics, parameters, recomputed) = RunOneIteration(checkpointing: true, microBatchSize);

        Assert.AreEqual(0, plainRecomputed, "without the option no layer is recomputed");
        Assert.IsTrue(recomputed > 0, "with the option the updates recomputed their layers");
        Assert.AreEqual(plainMetrics.RewardMean, metrics.RewardMean, "the same completions were sampled");
        Assert.AreEqual(plainMetrics.Loss, metrics.Loss, 1e-5 * Math.Max(1, Math.Abs(plainMetrics.Loss)), "loss");
        Assert.AreEqual(plainMetrics.Kl, metrics.Kl, 1e-6, "KL");
        Assert.AreEqual(plainMetrics.Entropy, metrics.Entropy, 1e-5, "entropy");
        Assert.IsTrue(plainMetrics.Kl > 0, "the second update moved the policy away from the reference");
        double largest = 0;
        for (int i = 0; i < plainParameters.Count; i++)
        {
            largest = Math.Max(largest, (plainParameters[i] - parameters[i]).abs().max().item<float>());
        }

        Assert.IsTrue(largest < 1e-5, $"parameters after the steps differ by up to {largest}");
    }

    private static (GrpoIterationMetrics Metrics, List<Tensor> Parameters, int Recomputed) RunOneIteration(bool checkpointing, int microBatchSize)
    {
        var context = new MLContext(seed: 1);
        var options = AdrpoGrpoTrainerTestsAccess.Options(context, null);
        options.GradientCheckpointing = checkpointing;
        options.MicroBatchSize = microBatchSize;
        var scorer = new RewardScorer(context, new[] { AdrpoGrpoTrainerTests.LetterReward(context) }, RewardSampleColumn.Text());
        using var loop = new GrpoTrainingLoop(options, AdrpoGrpoTrainerTests.TrainPrompts, scorer, seed: 7, new TrainingDevice(CPU));
        int before = CheckpointedDecoderLayer.Recomputations;
        var metrics = loop.RunIteration(CancellationToken.None);
        Assert.IsFalse(options.Model!.Model.GradientCheckpointing, "the option applies to the updates only and is switched off after them");
        return (metrics, options.Model!.parameters().Select(p => p.detach().clone()).ToList(), CheckpointedDecoderLayer.Recomputations - before);
    }
}
