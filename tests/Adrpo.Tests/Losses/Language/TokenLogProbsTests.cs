using Adrpo.Losses.Language;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.Language;

[TestClass]
public sealed class TokenLogProbsTests
{
    // One sequence of 3 tokens over a vocabulary of 2: position 0 gives p = (1/4, 3/4), position 1 gives (1/2, 1/2).
    private static Tensor Logits() => tensor(new[] { 0.0, Math.Log(3), 0, 0, 5, 5 }, new long[] { 1, 3, 2 }, dtype: ScalarType.Float64);

    [TestMethod]
    public void ShiftsOnceAndScoresTheNextToken()
    {
        using var logits = Logits();
        using var ids = tensor(new long[] { 0, 1, 0 }, new long[] { 1, 3 });
        using var logp = TokenLogProbs.FromLogits(logits, ids);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, logp.shape);
        TensorAssert.Close(logp, new[] { Math.Log(0.75), Math.Log(0.5) }, 1e-12);
    }

    [TestMethod]
    public void TemperatureDividesTheLogits()
    {
        using var logits = tensor(new[] { 0.0, Math.Log(9), 0, 0 }, new long[] { 1, 2, 2 }, dtype: ScalarType.Float64);
        using var ids = tensor(new long[] { 0, 1 }, new long[] { 1, 2 });
        using var logp = TokenLogProbs.FromLogits(logits, ids, temperature: 2);
        TensorAssert.Close(logp, new[] { Math.Log(0.75) }, 1e-12);
    }

    [TestMethod]
    public void SequenceSumAddsMaskedTokens()
    {
        using var logp = tensor(new[] { -1.0, -2, -3, -4 }, new long[] { 2, 2 });
        using var mask = tensor(new[] { 1.0, 1, 0, 1 }, new long[] { 2, 2 });
        using var sums = TokenLogProbs.SequenceSum(logp, mask);
        TensorAssert.Close(sums, new[] { -3.0, -4 });
    }

    [TestMethod]
    public void EntropyOfUniformDistributionIsLogVocabulary()
    {
        using var logits = zeros(2, 4, 7);
        using var h = TokenEntropy.FromLogits(logits);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, h.shape);
        TensorAssert.Close(h, Enumerable.Repeat(Math.Log(7), 6).ToArray(), 1e-6);
    }

    [TestMethod]
    public void OutOfVocabularyIdsThrowInsteadOfAbortingTheProcess()
    {
        using var logits = Logits();
        using var ids = tensor(new long[] { 0, 2, 0 }, new long[] { 1, 3 });
        var e = Assert.ThrowsExactly<ArgumentException>(() => TokenLogProbs.FromLogits(logits, ids));
        Assert.AreEqual("inputIds", e.ParamName);
        StringAssert.Contains(e.Message, "[0, 1]");
        using var shortIds = tensor(new long[] { 0, 1 }, new long[] { 1, 2 });
        Assert.AreEqual("inputIds", Assert.ThrowsExactly<ArgumentException>(() => TokenLogProbs.FromLogits(logits, shortIds)).ParamName);
        using var floatIds = zeros(1, 3);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TokenLogProbs.FromLogits(logits, floatIds)).Message, "int64");
        Assert.AreEqual("temperature", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TokenLogProbs.FromLogits(logits, tensor(new long[] { 0, 1, 0 }, new long[] { 1, 3 }), 0)).ParamName);
    }
}
