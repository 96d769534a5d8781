using Adrpo.Losses.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Losses.Language;

/// <summary>The lean, chunked log-probabilities and entropies equal the plain full-logits computation
/// (<see cref="TokenLogProbs"/> and <see cref="TokenEntropy"/>), in value and gradient, for chunk sizes that do and
/// do not divide the positions, with and without recomputation in the backward pass.</summary>
[TestClass]
public sealed class SelectiveLogProbsTests
{
    private const long Batch = 2, Positions = 5, Hidden = 6, Vocab = 11;

    [TestMethod]
    [DataRow(1, 1.0, false)]
    [DataRow(3, 1.0, false)]
    [DataRow(4, 0.7, false)]
    [DataRow(10, 0.7, false)]
    [DataRow(64, 1.0, false)]
    [DataRow(1, 0.7, true)]
    [DataRow(3, 1.0, true)]
    [DataRow(7, 0.7, true)]
    [DataRow(256, 1.3, true)]
    public void EqualsThePlainFullLogitsComputation(int chunkRows, double temperature, bool recompute)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var hiddenPlain = randn(new[] { Batch, Positions + 1, Hidden }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var weightPlain = randn(new[] { Vocab, Hidden }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var ids = randint(0, Vocab, new[] { Batch, Positions + 1 }, generator: generator);
        var upstream = randn(new[] { Batch, Positions }, dtype: ScalarType.Float64, generator: generator);

        // Plain: logits of every position, shifted once (position t predicts token t + 1).
        var logits = nn.functional.linear(hiddenPlain, weightPlain);
        var plain = TokenLogProbs.FromLogits(logits, ids, temperature);
        var plainEntropy = TokenEntropy.FromLogits(logits.detach(), temperature);
        (plain * upstream).sum().backward();

        // Lean: only the positions that predict tokens 1..T-1, the head on chunkRows rows at a time.
        var hiddenLean = hiddenPlain.detach().clone().requires_grad_();
        var weightLean = weightPlain.detach().clone().requires_grad_();
        var (lean, entropy) = SelectiveLogProbs.Compute(
            hiddenLean.narrow(1, 0, Positions), h => nn.functional.linear(h, weightLean), ids.narrow(1, 1, Positions), temperature,
            entropy: true, chunkRows, recompute ? weightLean : null);
        (lean * upstream).sum().backward();

        Assert.IsTrue(lean.allclose(plain, rtol: 1e-12, atol: 1e-12), $"log-probs differ by {(lean - plain).abs().max().item<double>()}");
        Assert.IsTrue(entropy!.allclose(plainEntropy, rtol: 1e-12, atol: 1e-12), "entropies differ");
        Assert.IsFalse(entropy.requires_grad, "the entropy is a metric");
        Assert.IsTrue(hiddenLean.grad!.allclose(hiddenPlain.grad!, rtol: 1e-10, atol: 1e-12), "hidden-state gradients differ");
        Assert.IsTrue(weightLean.grad!.allclose(weightPlain.grad!, rtol: 1e-10, atol: 1e-12), "head gradients differ");
        Assert.AreEqual(0.0, hiddenLean.grad!.narrow(1, Positions, 1).abs().sum().item<double>(), "the last position predicts nothing");
    }

    [TestMethod]
    public void RecomputedWithAFrozenHeadGivesTheSameHiddenGradientAndNoHeadGradient()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(21);
        var weight = randn(new[] { Vocab, Hidden }, generator: gen);
        var targets = randint(0, Vocab, new[] { Batch * Positions }, generator: gen);
        var upstream = randn(new[] { Batch * Positions }, generator: gen);
        var hiddenValues = randn(new[] { Batch * Positions, Hidden }, generator: gen);

        Tensor HiddenGradient(bool headTrains)
        {
            var w = weight.clone().requires_grad_(headTrains);
            var h = hiddenValues.clone().requires_grad_(true);
            (RecomputedChunkLogProbs.Apply(h, w, targets, 0.7) * upstream).sum().backward();
            RecomputedChunkLogProbs.ReleaseHandedBack();
            Assert.AreEqual(headTrains, w.grad is not null && !w.grad.IsInvalid, "a head gradient exactly when the head trains");
            return h.grad!.clone();
        }

        var trained = HiddenGradient(headTrains: true);
        var frozen = HiddenGradient(headTrains: false);
        Assert.IsTrue(trained.abs().sum().item<float>() > 0);
        Assert.IsTrue(trained.eq(frozen).all().item<bool>(), "the hidden gradient does not depend on whether the head trains");
    }

    [TestMethod]
    public void WithoutEntropyReturnsNullAndFloat32StaysClose()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var hidden = randn(new[] { 3L, 4, Hidden }, generator: generator);
        var weight = randn(new[] { Vocab, Hidden }, generator: generator);
        var ids = randint(0, Vocab, new[] { 3L, 5 }, generator: generator);
        var plain = TokenLogProbs.FromLogits(nn.functional.linear(cat(new[] { hidden, zeros(3, 1, Hidden) }, 1), weight), ids);
        var (lean, entropy) = SelectiveLogProbs.Compute(hidden, h => nn.functional.linear(h, weight), ids.narrow(1, 1, 4), 1.0, entropy: false, chunkRows: 5, weight);
        Assert.IsNull(entropy);
        Assert.IsTrue(lean.allclose(plain, rtol: 1e-5, atol: 1e-6));
    }

    [TestMethod]
    public void BadInputNamesTheArgument()
    {
        using var scope = NewDisposeScope();
        var hidden = zeros(2, 3, Hidden);
        Func<Tensor, Tensor> head = h => h;
        Assert.AreEqual("targets", Assert.ThrowsExactly<ArgumentException>(() => SelectiveLogProbs.Compute(hidden, head, zeros(new long[] { 2, 4 }, ScalarType.Int64), 1, false)).ParamName);
        Assert.AreEqual("temperature", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SelectiveLogProbs.Compute(hidden, head, zeros(new long[] { 2, 3 }, ScalarType.Int64), 0, false)).ParamName);
        Assert.AreEqual("chunkRows", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SelectiveLogProbs.Compute(hidden, head, zeros(new long[] { 2, 3 }, ScalarType.Int64), 1, false, 0)).ParamName);
    }
}
