using Adrpo.Models.Dit;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Dit;

/// <summary>
/// The DiT's cross-attention to text tokens: the layer against a hand-written masked softmax attention, and the
/// model's condition layout <c>[pooled | tokens]</c> (padding ignored, the pooled slot always a key, tokens read).
/// </summary>
[TestClass]
public sealed class DitCrossAttentionTests
{
    /// <summary>hidden 32, 2 layers, 2 heads, 8-d slots: pooled + 4 token slots = 40-d condition rows.</summary>
    private static readonly DitConfig Config = DitTestModels.Tiny with { CrossAttention = true, ConditionTokens = 4 };

    /// <summary>A cross-attention model with every weight perturbed (the zero-initialised layers would hide the tokens).</summary>
    private static DitVelocityModel Pretrained(ulong seed = 1) => DitTestModels.CreatePretrained(seed, Config);

    /// <summary>Rows [pooled | tokens] with <paramref name="realTokens"/> non-zero token slots per row.</summary>
    private static Tensor Rows(int batch, int realTokens, ulong seed = 9)
    {
        var gen = new Generator(seed);
        var slots = randn(new long[] { batch, 1 + Config.ConditionTokens, Config.ConditionDim }, generator: gen);
        var keep = (arange(1 + Config.ConditionTokens) <= realTokens).to_type(ScalarType.Float32).reshape(1, -1, 1);
        return (slots * keep).reshape(batch, -1);
    }

    [TestMethod]
    public void TheLayerEqualsAHandWrittenMaskedSoftmaxAttention()
    {
        using var layer = new DitCrossAttention(hiddenSize: 8, heads: 2);
        var gen = new Generator(3);
        var x = randn(new long[] { 2, 5, 8 }, generator: gen);
        var context = randn(new long[] { 2, 3, 8 }, generator: gen);
        var mask = tensor(new[] { true, true, false, true, false, false }).reshape(2, 1, 1, 3);
        using var actual = layer.forward(x, context, mask);

        // Independent computation from the named weights: per head, softmax over the allowed keys of q.k / sqrt(d).
        var w = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        var q = x.matmul(w["q.weight"].t()) + w["q.bias"];
        var kv = context.matmul(w["kv.weight"].t()) + w["kv.bias"];
        var expected = zeros(2, 5, 8);
        for (int b = 0; b < 2; b++)
        {
            for (int h = 0; h < 2; h++)
            {
                var qh = q[b, .., (h * 4)..((h * 4) + 4)];                 // [5, 4]
                var kh = kv[b, .., (h * 4)..((h * 4) + 4)];                // keys: first half of kv, head h
                var vh = kv[b, .., (8 + (h * 4))..(8 + (h * 4) + 4)];      // values: second half
                var scores = qh.matmul(kh.t()) / Math.Sqrt(4);
                scores = scores.masked_fill(mask[b, 0].logical_not(), double.NegativeInfinity);
                expected[b, .., (h * 4)..((h * 4) + 4)] = scores.softmax(-1).matmul(vh);
            }
        }

        expected = expected.matmul(w["proj.weight"].t()) + w["proj.bias"];
        Assert.IsTrue(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max diff {(actual - expected).abs().max().item<float>()}");
    }

    [TestMethod]
    public void ZeroPaddedSlotsAreIgnoredAndTheTokensChangeTheVelocity()
    {
        using var model = Pretrained();
        var (xt, t, _) = DitTestModels.Inputs(batch: 2);
        var rows = Rows(2, realTokens: 2);
        using var v = model.Forward(xt, t, rows);

        using (no_grad())
        {
            var changed = rows.clone().reshape(2, 5, 8);
            changed.select(1, 1).mul_(-1);   // a real token changes (a constant shift would vanish in the context LayerNorm)
            using var vChanged = model.Forward(xt, t, changed.reshape(2, -1));
            Assert.IsTrue((vChanged - v).abs().max().item<float>() > 1e-4, "changing a real token must change the velocity");
        }

        // Padding: a zero slot's key is masked, although LayerNorm + bias would give it a non-zero key. The same rows
        // in a model with two more slots (same weights), the extra slots zero: the output must not change.
        var config6 = Config with { ConditionTokens = 6 };
        using var wide = new DitVelocityModel(config6, new Generator(1));
        using (no_grad())
        {
            var source = model.state_dict();
            foreach (var (name, p) in wide.named_parameters())
            {
                p.copy_(source[name]);
            }
        }

        var padded = cat(new[] { rows, zeros(2, 2 * Config.ConditionDim) }, 1);
        using var vWide = wide.Forward(xt, t, padded);
        Assert.IsTrue(vWide.allclose(v, rtol: 1e-5, atol: 1e-6), $"two extra zero slots changed the output by {(vWide - v).abs().max().item<float>()}");
    }

    [TestMethod]
    public void AnAllZeroUnconditionalRowGivesFiniteVelocities()
    {
        using var model = Pretrained();
        var (xt, t, _) = DitTestModels.Inputs(batch: 2);
        using var v = model.Forward(xt, t, zeros(2, Config.ConditionRowSize));
        Assert.IsTrue(v.isfinite().all().item<bool>(), "the pooled slot is always a key, so an empty prompt never gives an all-masked softmax");
        Assert.IsTrue(v.abs().max().item<float>() > 0);
    }

    [TestMethod]
    public void AFreshModelIgnoresTheTokensBecauseTheCrossAttentionOutputStartsAtZero()
    {
        using var model = new DitVelocityModel(Config, new Generator(1));
        var gen = new Generator(5);
        using (no_grad())
        {
            // Move every layer except the cross-attention outputs, so that only those zeros keep the tokens out.
            foreach (var (name, p) in model.named_parameters().Where(p => !p.name.Contains("cross_attn.proj")))
            {
                p.add_(randn(p.shape, generator: gen) * 0.05);
            }
        }

        var (xt, t, _) = DitTestModels.Inputs(batch: 2);
        var a = Rows(2, realTokens: 3, seed: 1);
        var b = a.clone();
        b.narrow(1, Config.ConditionDim, 3 * Config.ConditionDim).mul_(-1);   // other tokens, same pooled vector
        using var va = model.Forward(xt, t, a);
        using var vb = model.Forward(xt, t, b);
        Assert.IsTrue(DitTestModels.Identical(va, vb));
    }

    [TestMethod]
    public void WrongConditionWidthNamesTheLayout()
    {
        using var model = Pretrained();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(xt, t, c));
        StringAssert.Contains(e.Message, "[2, 40]");
        StringAssert.Contains(e.Message, "pooled vector then the token slots");
        Assert.AreEqual(40, model.ConditionDimension);
    }

    [TestMethod]
    public void CrossAttentionNeedsTokenSlotsAndTokenSlotsNeedCrossAttention()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => (DitTestModels.Tiny with { CrossAttention = true }).Validate());
        Assert.AreEqual("condition_tokens", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentException>(() => (DitTestModels.Tiny with { ConditionTokens = 3 }).Validate());
        Assert.AreEqual("condition_tokens", e.ParamName);
    }

    [TestMethod]
    public void SaveAndLoadKeepTheCrossAttentionWeightsExactly()
    {
        using var model = Pretrained();
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-dit-cross-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(folder);
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, DitVelocityModel.ConfigFileName)), "\"condition_tokens\": 4");
            using var loaded = DitVelocityModel.Load(folder);
            var (xt, t, _) = DitTestModels.Inputs(batch: 2);
            var rows = Rows(2, realTokens: 3);
            using var a = model.Forward(xt, t, rows);
            using var b = loaded.Forward(xt, t, rows);
            Assert.IsTrue(DitTestModels.Identical(a, b));
            Assert.IsTrue(loaded.named_parameters().Any(p => p.name == "blocks.1.cross_attn.kv.weight"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void DefaultLoraTargetsIncludeTheCrossAttentionAndAdaptersOffEqualTheBase()
    {
        using var model = Pretrained();
        var (xt, t, _) = DitTestModels.Inputs(batch: 2);
        var rows = Rows(2, realTokens: 3);
        using var before = model.Forward(xt, t, rows);
        model.AddLoraAdapters(rank: 2, alpha: 4, generator: new Generator(3));
        var adapted = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        foreach (string target in new[] { "blocks.0.cross_attn.q", "blocks.0.cross_attn.kv", "blocks.1.cross_attn.proj", "blocks.1.attn.qkv" })
        {
            Assert.IsTrue(adapted.Contains(target + ".lora_A.weight") || adapted.Any(n => n.StartsWith(target + ".lora_A", StringComparison.Ordinal)), $"{target} has no adapter; trainable: {string.Join(", ", adapted.Take(8))}...");
        }

        using (no_grad())
        {
            foreach (var p in model.TrainableParameters())
            {
                p.add_(0.1f);
            }
        }

        using var on = model.Forward(xt, t, rows);
        Assert.IsFalse(DitTestModels.Identical(on, before));
        model.AdaptersEnabled = false;
        using var off = model.Forward(xt, t, rows);
        Assert.IsTrue(DitTestModels.Identical(off, before), "adapters off is the base model exactly");
    }
}
