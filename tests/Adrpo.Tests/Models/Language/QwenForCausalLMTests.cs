using Adrpo.Models.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

[TestClass]
public sealed class QwenForCausalLMTests
{
    [TestMethod]
    public void PaddedRowGivesTheSameLogitsAsTheRowAlone()
    {
        foreach (var config in new[] { TinyQwen.Qwen3(), TinyQwen.Qwen2() })
        {
            var model = new QwenForCausalLM(config, new Generator(21));
            var (ids, mask) = TinyQwen.LeftPaddedPrompts();
            using var _ = no_grad();
            var batched = model.forward(ids, mask);                                          // [2, 5, V]
            var alone = model.forward(ids.narrow(0, 1, 1).narrow(1, 2, 3));                  // row 1 without padding
            var longAlone = model.forward(ids.narrow(0, 0, 1));
            var padded = batched.narrow(0, 1, 1).narrow(1, 2, 3);
            Assert.IsTrue(padded.allclose(alone, rtol: 1e-5, atol: 1e-5), $"{config.ModelType}: padded row = row alone (max diff {(padded - alone).abs().max().item<float>()})");
            Assert.IsTrue(batched.narrow(0, 0, 1).allclose(longAlone, rtol: 1e-5, atol: 1e-5), $"{config.ModelType}: unpadded row unaffected by its neighbour");
            var row = ids.narrow(0, 1, 1);
            var rowMask = mask.narrow(0, 1, 1);
            var shifted = model.forward(row, rowMask, positionIds: tensor(new long[] { 0, 0, 7, 8, 9 }, new long[] { 1, 5 }));
            Assert.IsTrue(shifted.narrow(1, 2, 3).allclose(alone, rtol: 1e-4, atol: 1e-4), $"{config.ModelType}: RoPE sees relative positions only");
            var gapped = model.forward(row, rowMask, positionIds: tensor(new long[] { 0, 0, 0, 2, 3 }, new long[] { 1, 5 }));
            Assert.IsFalse(gapped.narrow(1, 2, 3).allclose(alone, rtol: 1e-4, atol: 1e-4), $"{config.ModelType}: position ids are used (a gap changes the logits)");
        }
    }

    [TestMethod]
    public void CachedForwardTokenByTokenEqualsOneFullForward()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(5));
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        using var _ = no_grad();
        var full = model.forward(ids, mask);
        using var cache = model.NewCache();
        var first = model.forward(ids.narrow(1, 0, 3), mask.narrow(1, 0, 3), cache: cache);
        Assert.AreEqual(3, cache.Length);
        var second = model.forward(ids.narrow(1, 3, 1), mask.narrow(1, 0, 4), cache: cache);
        var third = model.forward(ids.narrow(1, 4, 1), mask, cache: cache);
        CollectionAssert.AreEqual(new long[] { 2, 2, 5, 16 }, cache.Keys(1)!.shape, "[B, kvHeads, T, headDim]");
        var stepwise = cat(new[] { first, second, third }, 1);
        // Positions 0-1 of row 1 are padding: their outputs are undefined, compare real tokens only.
        Assert.IsTrue(stepwise.narrow(0, 0, 1).allclose(full.narrow(0, 0, 1), rtol: 1e-5, atol: 1e-5));
        Assert.IsTrue(stepwise.narrow(0, 1, 1).narrow(1, 2, 3).allclose(full.narrow(0, 1, 1).narrow(1, 2, 3), rtol: 1e-5, atol: 1e-5));
        Assert.ThrowsExactly<ArgumentException>(() => model.forward(ids.narrow(1, 4, 1), mask, cache: cache), "mask must cover cached + new tokens");
    }

    [TestMethod]
    public void Qwen2VariantHasQkvBiasesAndNoQkNorm()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen2(tied: false), new Generator(2));
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", keys);
        Assert.Contains("model.layers.1.self_attn.v_proj.bias", keys);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", keys);
        Assert.DoesNotContain("model.layers.0.self_attn.q_norm.weight", keys);
        using (no_grad())
        {
            var p = model.state_dict()["model.layers.0.self_attn.k_proj.bias"];
            Assert.AreEqual(0.0, p.abs().sum().item<float>(), "biases start at zero");
            p.fill_(0.5f);
        }

        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        using var _ = no_grad();
        var logits = model.forward(ids, mask);
        CollectionAssert.AreEqual(new long[] { 2, 5, TinyQwen.Vocab }, logits.shape);
        Assert.IsTrue(logits.isfinite().all().item<bool>());
    }

    [TestMethod]
    public void TiedEmbeddingsShareOneWeightAndUntiedHaveTheirOwnHead()
    {
        var tied = new QwenForCausalLM(TinyQwen.Qwen3(tied: true), new Generator(8));
        Assert.IsFalse(tied.state_dict().ContainsKey("lm_head.weight"));
        Assert.AreEqual(tied.state_dict().Count, tied.parameters().Count(), "each weight is one parameter");
        var ids = tensor(new long[] { 4, 9 }, new long[] { 1, 2 });
        using (no_grad())
        {
            var expected = model_hidden(tied, ids).matmul(tied.Model.EmbeddingWeight.t());
            Assert.IsTrue(tied.forward(ids).allclose(expected, rtol: 1e-6, atol: 1e-6), "logits = h E^T");
            tied.Model.EmbeddingWeight.mul_(2);
            Assert.IsTrue(tied.OutputWeight.equal(tied.Model.EmbeddingWeight).all().item<bool>(), "changing the embedding changes the head");
        }

        var untied = new QwenForCausalLM(TinyQwen.Qwen3(tied: false), new Generator(8));
        Assert.IsTrue(untied.state_dict().ContainsKey("lm_head.weight"));
        using (no_grad())
        {
            var head = untied.OutputWeight.clone();
            untied.Model.EmbeddingWeight.mul_(2);
            Assert.IsTrue(untied.OutputWeight.equal(head).all().item<bool>(), "an untied head is its own tensor");
        }

        static Tensor model_hidden(QwenForCausalLM m, Tensor ids) => m.Model.forward(ids);
    }

    [TestMethod]
    public void SameSeedGivesSameWeightsAndBadInputsThrowBeforeLibtorch()
    {
        var a = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(99));
        var b = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(99));
        foreach (var (name, p) in a.named_parameters())
        {
            Assert.IsTrue(p.equal(b.state_dict()[name]).all().item<bool>(), name);
        }

        using var _ = no_grad();
        var ids = tensor(new long[] { 1, 2, 3 }, new long[] { 1, 3 });
        Assert.AreEqual("inputIds", Assert.ThrowsExactly<ArgumentException>(() => a.forward(tensor(new long[] { 1, TinyQwen.Vocab }, new long[] { 1, 2 }))).ParamName);
        Assert.AreEqual("inputIds", Assert.ThrowsExactly<ArgumentException>(() => a.forward(tensor(new long[] { 1, 2 }))).ParamName);
        Assert.AreEqual("attentionMask", Assert.ThrowsExactly<ArgumentException>(() => a.forward(ids, ones(1, 2))).ParamName);
        Assert.AreEqual("positionIds", Assert.ThrowsExactly<ArgumentException>(() => a.forward(ids, null, tensor(new long[] { 0, 1 }, new long[] { 1, 2 }))).ParamName);
        Assert.AreEqual("cache", Assert.ThrowsExactly<ArgumentException>(() => a.forward(ids, cache: new KeyValueCache(5))).ParamName);
    }

    [TestMethod]
    public void GradientsReachEveryParameterThroughTokenLogProbs()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen3(tied: true), new Generator(12));
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        var logp = Adrpo.Losses.Language.TokenLogProbs.FromLogits(model.forward(ids, mask), ids);
        (logp * mask.narrow(1, 1, 4)).sum().backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.IsNotNull(p.grad, name);
            Assert.IsTrue(p.grad.abs().sum().item<float>() > 0, $"{name} gets a gradient");
        }
    }
}
