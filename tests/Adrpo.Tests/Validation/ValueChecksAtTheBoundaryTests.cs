using Adrpo.Advantages;
using Adrpo.Losses.Language;
using Adrpo.Models.Language;
using Adrpo.Tests.Models.Language;
using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Tests.Validation;

/// <summary>
/// Value checks (device syncs) run where user tensors enter, not on the library's internal paths (issue 13):
/// the public entry points still read values and reject bad ids, the internal overloads read none and compute the same.
/// </summary>
[TestClass]
public sealed class ValueChecksAtTheBoundaryTests
{
    private static long Reads(Action action)
    {
        long before = TensorChecks.ValueReads;
        action();
        return TensorChecks.ValueReads - before;
    }

    [TestMethod]
    public void TokenLogProbsChecksIdsPubliclyAndNotInternally()
    {
        using var scope = NewDisposeScope();
        var logits = randn(new long[] { 2, 5, 11 }, generator: new Generator(1));
        var ids = randint(0, 11, new long[] { 2, 5 }, generator: new Generator(2));
        Tensor checkedResult = null!, uncheckedResult = null!;

        Assert.AreEqual(2, Reads(() => checkedResult = TokenLogProbs.FromLogits(logits, ids)));
        Assert.AreEqual(0, Reads(() => uncheckedResult = TokenLogProbs.FromLogits(logits, ids, 1.0, checkValues: false)));
        Assert.IsTrue(checkedResult.eq(uncheckedResult).all().item<bool>());

        var outOfRange = ids.clone();
        outOfRange[0, 3] = tensor(11L);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => TokenLogProbs.FromLogits(logits, outOfRange));
        StringAssert.Contains(ex.Message, "holds values in [");
        // Unchecked still refuses what it can see without a sync.
        Assert.ThrowsExactly<ArgumentException>(() => TokenLogProbs.FromLogits(logits, ids.to_type(ScalarType.Int32), 1.0, checkValues: false));
    }

    [TestMethod]
    public void GenerationChecksThePromptOnceAndNeverTheTokensItSampled()
    {
        using var scope = NewDisposeScope();
        using var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        var prompt = randint(3, TinyQwen.Vocab, new long[] { 2, 4 }, generator: new Generator(4));
        var mask = tensor(new long[] { 0, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 4 });
        var options = new QwenGenerationOptions { MaxNewTokens = 6, EosTokenIds = Array.Empty<long>() };
        QwenGenerationResult publicResult = null!, internalResult = null!;

        // Public: ids (min, max) and the mask's three value checks, once for the whole rollout; before issue 13 every
        // decoding step's forward re-read the ids' min and max too.
        Assert.AreEqual(5, Reads(() => publicResult = new QwenGenerator(model, 9).Generate(prompt, mask, options)));
        Assert.AreEqual(0, Reads(() => internalResult = new QwenGenerator(model, 9).Generate(prompt, mask, options, checkValues: false)));
        Assert.IsTrue(publicResult.Tokens.eq(internalResult.Tokens).all().item<bool>(), "same seed, same tokens");

        // The benchmark's "before" switch restores the per-step checks (2 reads per step's forward).
        TensorChecks.CheckInternalValues = true;
        try
        {
            Assert.AreEqual(5 + (2 * 6), Reads(() => new QwenGenerator(model, 9).Generate(prompt, mask, options, checkValues: false).Dispose()));
        }
        finally
        {
            TensorChecks.CheckInternalValues = false;
        }

        publicResult.Dispose();
        internalResult.Dispose();
        var bad = prompt.clone();
        bad[1, 2] = tensor(TinyQwen.Vocab);
        Assert.ThrowsExactly<ArgumentException>(() => new QwenGenerator(model, 9).Generate(bad, mask, options));
        Assert.ThrowsExactly<ArgumentException>(() => model.forward(bad), "the public forward still checks ids");
    }

    [TestMethod]
    public void ForwardChecksIdsPubliclyAndNotInternally()
    {
        using var scope = NewDisposeScope();
        using var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        var ids = randint(0, TinyQwen.Vocab, new long[] { 2, 4 }, generator: new Generator(4));
        Tensor a = null!, b = null!;

        Assert.AreEqual(2, Reads(() => a = model.forward(ids)));
        Assert.AreEqual(0, Reads(() => b = model.Forward(ids, null, null, null, checkValues: false)));
        Assert.IsTrue(a.eq(b).all().item<bool>());
    }

    [TestMethod]
    public void GroupAdvantagesChecksIndicesPubliclyAndNotInternally()
    {
        using var scope = NewDisposeScope();
        var rewards = tensor(new float[] { 1, 2, 3, 5 });
        var groups = tensor(new long[] { 0, 0, 1, 1 });
        Tensor a = null!, b = null!;

        Assert.AreEqual(2, Reads(() => a = GroupAdvantages.Compute(rewards, groups)));
        Assert.AreEqual(0, Reads(() => b = GroupAdvantages.Compute(rewards, groups, AdvantageScaling.None, GroupAdvantages.DefaultScalingEpsilon, checkValues: false)));
        CollectionAssert.AreEqual(new float[] { -0.5f, 0.5f, -1, 1 }, b.data<float>().ToArray());
        Assert.IsTrue(a.eq(b).all().item<bool>());
        Assert.ThrowsExactly<ArgumentException>(() => GroupAdvantages.Compute(rewards, tensor(new long[] { 0, 0, 1, 4 })));
    }

    [TestMethod]
    public void GrpoLossMakesTheSurrogatesChecksItself()
    {
        using var scope = NewDisposeScope();
        var logp = randn(new long[] { 2, 3 }, generator: new Generator(5));
        var mask = ones(2, 3);
        var beta = full(2, 0.04f);

        var ex = Assert.ThrowsExactly<ArgumentException>(() => GrpoLoss.Compute(logp, null, null, zeros(3), beta, mask));
        Assert.AreEqual("advantages", ex.ParamName);
        ex = Assert.ThrowsExactly<ArgumentException>(() => GrpoLoss.Compute(logp, zeros(2, 4), null, zeros(2), beta, mask));
        Assert.AreEqual("oldLogProbs", ex.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => GrpoLoss.Compute(logp.to_type(ScalarType.Int64), null, null, zeros(2), beta, mask));

        // The loss equals the public surrogate's, checked or not.
        var viaLoss = GrpoLoss.Compute(logp, logp.detach() - 0.1, null, tensor(new float[] { 1, -1 }), beta, mask, new GrpoLossSettings { Aggregation = LossAggregation.Grpo });
        var (perToken, _) = ClippedSurrogate.PerToken(logp, logp.detach() - 0.1, tensor(new float[] { 1, -1 }), 0.2, 0.2);
        Assert.AreEqual(perToken.mean().item<float>(), viaLoss.PolicyLoss.item<float>(), 1e-6f);
    }
}
