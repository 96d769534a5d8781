using Adrpo.Losses.Language;
using Adrpo.Tests.Infrastructure;
using Adrpo.Training.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.Language;

/// <summary>The micro-batch settings the GRPO loop uses: the micro-batches' losses add up to the one-batch loss and
/// their gradients to its gradient, for every aggregation; DAPO's normaliser is the whole batch's token count.</summary>
[TestClass]
public sealed class MicroBatchLossTests
{
    [TestMethod]
    [DataRow(LossAggregation.Grpo)]
    [DataRow(LossAggregation.Bnpo)]
    [DataRow(LossAggregation.DrGrpo)]
    [DataRow(LossAggregation.Dapo)]
    public void MicroBatchLossesAddUpToTheOneBatchLossAndGradient(LossAggregation mode)
    {
        using var scope = NewDisposeScope();
        const long B = 5, L = 4;
        var generator = new Generator(5);
        var logpOne = (randn(new[] { B, L }, dtype: ScalarType.Float64, generator: generator) * 0.1 - 1).requires_grad_();
        var logpMicro = logpOne.detach().clone().requires_grad_();
        var old = logpOne.detach() + randn(new[] { B, L }, dtype: ScalarType.Float64, generator: generator) * 0.3;
        var reference = logpOne.detach() + randn(new[] { B, L }, dtype: ScalarType.Float64, generator: generator) * 0.2;
        var advantages = randn(new[] { B }, dtype: ScalarType.Float64, generator: generator);
        var beta = tensor(new[] { 0.01, 0.05, 0.02, 0.04, 0.03 }, dtype: ScalarType.Float64);
        // Completion lengths 4, 1, 0, 3, 2: unequal, and one row without tokens (an invalid reward).
        var mask = tensor(new double[] { 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0 }, new[] { B, L }, dtype: ScalarType.Float64);
        var options = new AdrpoGrpoTrainer.Options { LossAggregation = mode, MaxNewTokens = 6, EpsilonLow = 0.1, EpsilonHigh = 0.1 };

        var whole = GrpoTrainingLoop.MicroBatches(B, 0);
        Assert.AreEqual(1, whole.Count);
        var (oneSettings, _) = GrpoTrainingLoop.MicroBatchSettings(options, whole, mask);
        var one = GrpoLoss.Compute(logpOne, old, reference, advantages, beta, mask, oneSettings);
        one.Loss.backward();

        var micro = GrpoTrainingLoop.MicroBatches(B, 2);
        CollectionAssert.AreEqual(new[] { (0L, 2L), (2L, 2L), (4L, 1L) }, micro);
        var (settings, shares) = GrpoTrainingLoop.MicroBatchSettings(options, micro, mask);
        TensorAssert.Close(tensor(shares), new[] { 5 / 10.0, 3 / 10.0, 2 / 10.0 }, 1e-12);
        double loss = 0, kl = 0, clip = 0;
        for (int i = 0; i < micro.Count; i++)
        {
            var (start, rows) = micro[i];
            var part = GrpoLoss.Compute(logpMicro.narrow(0, start, rows), old.narrow(0, start, rows), reference.narrow(0, start, rows), advantages.narrow(0, start, rows), beta.narrow(0, start, rows), mask.narrow(0, start, rows), settings);
            part.Loss.backward();   // accumulates, as the loop's micro-batches do
            loss += part.Loss.item<double>();
            kl += part.MeanKl.item<double>() * shares[i];
            clip += part.ClipRatio.item<double>() * shares[i];
        }

        Assert.AreEqual(one.Loss.item<double>(), loss, 1e-12, "loss");
        Assert.AreEqual(one.MeanKl.item<double>(), kl, 1e-12, "KL");
        Assert.AreEqual(one.ClipRatio.item<double>(), clip, 1e-12, "clip ratio");
        Assert.IsTrue(one.ClipRatio.item<double>() > 0, "the example clips some tokens");
        Assert.IsTrue(logpMicro.grad!.allclose(logpOne.grad!, rtol: 1e-10, atol: 1e-14), $"gradients differ by {(logpMicro.grad! - logpOne.grad!).abs().max().item<double>()}");
    }

    [TestMethod]
    public void DapoNormalisesByTheWholeBatchsTokensWhereBnpoUsesTheMicroBatchs()
    {
        using var scope = NewDisposeScope();
        // Row 0: three tokens with losses 1, 2, 3; row 1: one token with loss 4. Four tokens in the batch.
        var perToken = tensor(new double[] { 1, 2, 3, 4, 0, 0 }, new long[] { 2, 3 });
        var mask = tensor(new double[] { 1, 1, 1, 1, 0, 0 }, new long[] { 2, 3 });
        var row1 = perToken.narrow(0, 1, 1);
        var mask1 = mask.narrow(0, 1, 1);
        Assert.AreEqual(4.0, MaskedAggregation.Reduce(row1, mask1, LossAggregation.Bnpo).item<double>(), 1e-12, "BNPO: the micro-batch's own token mean");
        Assert.AreEqual(1.0, MaskedAggregation.Reduce(row1, mask1, LossAggregation.Dapo, globalTokenCount: 4).item<double>(), 1e-12, "DAPO: 4 / the batch's 4 tokens");
        Assert.AreEqual(1.5, MaskedAggregation.Reduce(perToken.narrow(0, 0, 1), mask.narrow(0, 0, 1), LossAggregation.Dapo, globalTokenCount: 4).item<double>(), 1e-12, "DAPO: 6 / 4; with row 1's 1 the batch's 2.5");
        Assert.AreEqual(2.5, MaskedAggregation.Reduce(perToken, mask, LossAggregation.Dapo, globalTokenCount: 4).item<double>(), 1e-12, "10 / 4");
        // GRPO over micro-batches with the whole batch's rows: (mean 2) / 2 + (mean 4) / 2 = 3, the one-batch mean of means.
        Assert.AreEqual(1.0, MaskedAggregation.Reduce(perToken.narrow(0, 0, 1), mask.narrow(0, 0, 1), LossAggregation.Grpo, batchRows: 2).item<double>(), 1e-12);
        Assert.AreEqual(2.0, MaskedAggregation.Reduce(row1, mask1, LossAggregation.Grpo, batchRows: 2).item<double>(), 1e-12);
        Assert.AreEqual(2.0, MaskedAggregation.Reduce(row1, mask1, LossAggregation.DrGrpo, maxCompletionLength: 1, batchRows: 2).item<double>(), 1e-12, "4 / (2 rows x 1)");

        // The trainer sets DAPO's count to the batch's completion tokens even for one batch; BNPO then needs none.
        var dapo = GrpoTrainingLoop.MicroBatchSettings(new AdrpoGrpoTrainer.Options { LossAggregation = LossAggregation.Dapo }, GrpoTrainingLoop.MicroBatches(2, 0), mask).Settings;
        Assert.AreEqual(4.0, dapo.GlobalTokenCount);
        var bnpo = GrpoTrainingLoop.MicroBatchSettings(new AdrpoGrpoTrainer.Options { LossAggregation = LossAggregation.Bnpo }, GrpoTrainingLoop.MicroBatches(2, 0), mask).Settings;
        Assert.IsNull(bnpo.GlobalTokenCount);
        Assert.AreEqual(LossAggregation.Bnpo, bnpo.Aggregation);
        Assert.AreEqual("batchRows", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MaskedAggregation.Reduce(perToken, mask, LossAggregation.Grpo, batchRows: 0)).ParamName);
    }
}
