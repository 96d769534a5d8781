using Adrpo.Models.Language;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

/// <summary>LoRA on the Qwen model (issue 15, item 1): the hand formula, adapters off = base, merge.</summary>
[TestClass]
public sealed class QwenLoraTests
{
    /// <summary>Gives every lora_B random values (a fresh adapter has B = 0 and changes nothing).</summary>
    internal static void RandomizeAdapters(QwenForCausalLM model, ulong seed)
    {
        var generator = new Generator(seed);
        using var _ = no_grad();
        foreach (var (_, lora) in model.LoraModules())
        {
            var (_, b) = lora.Adapters;
            b.copy_(randn(b.shape, generator: generator) * 0.1);
        }
    }

    [TestMethod]
    public void AdapterOutputIsTheBasePlusAlphaOverRTimesBAx()
    {
        foreach (var config in new[] { TinyQwen.Qwen3(), TinyQwen.Qwen2() })   // Qwen2's q/k/v carry biases
        {
            var model = new QwenForCausalLM(config, new Generator(3));
            var baseWeights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            model.AddLoraAdapters(rank: 4, alpha: 6, generator: new Generator(9));
            RandomizeAdapters(model, 10);
            model.eval();
            var x = randn(new long[] { 2, 3, config.HiddenSize }, generator: new Generator(11));
            using var _ = no_grad();
            foreach (var (name, lora) in model.LoraModules().Where(l => l.Name.EndsWith("q_proj", StringComparison.Ordinal) || l.Name.EndsWith("o_proj", StringComparison.Ordinal)))
            {
                var (a, b) = lora.Adapters;
                var w = baseWeights[name + ".weight"];
                var input = name.EndsWith("o_proj", StringComparison.Ordinal) ? randn(new long[] { 2, 3, w.shape[1] }, generator: new Generator(12)) : x;
                // y = x W^T + bias + (alpha / r) (x A^T) B^T, written out with matmuls.
                var expected = input.matmul(w.t()) + input.matmul(a.t()).matmul(b.t()) * (6.0 / 4.0);
                if (baseWeights.TryGetValue(name + ".bias", out var bias))
                {
                    expected += bias;
                }

                var actual = lora.forward(input);
                Assert.IsTrue(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{config.ModelType} {name}: max diff {(actual - expected).abs().max().item<float>()}");
            }
        }
    }

    [TestMethod]
    public void DefaultTargetsAreEveryProjectionAndOnlyAdaptersTrain()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        model.AddLoraAdapters(rank: 2, alpha: 4, generator: new Generator(1));
        var adapted = model.LoraModules().Select(l => l.Name).ToList();
        var expected = Enumerable.Range(0, 2).SelectMany(i => new[]
        {
            $"model.layers.{i}.self_attn.q_proj", $"model.layers.{i}.self_attn.k_proj", $"model.layers.{i}.self_attn.v_proj", $"model.layers.{i}.self_attn.o_proj",
            $"model.layers.{i}.mlp.gate_proj", $"model.layers.{i}.mlp.up_proj", $"model.layers.{i}.mlp.down_proj",
        }).ToList();
        CollectionAssert.AreEquivalent(expected, adapted);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.AreEqual(2 * expected.Count, trainable.Count);
        Assert.IsTrue(trainable.All(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal) || n.EndsWith(".lora_B.weight", StringComparison.Ordinal)), string.Join(", ", trainable));
        CollectionAssert.AreEqual(trainable, model.TrainableParameters().Select(p => p.Name).ToList());
        // Kaiming-uniform A (bound 1 / sqrt(in) = 1 / sqrt(32)), zero B, as PEFT initialises them.
        var (a, b) = model.LoraModules()[0].Lora.Adapters;
        Assert.IsTrue(a.abs().max().item<float>() <= 1 / Math.Sqrt(32) + 1e-7 && a.abs().max().item<float>() > 0.5 / Math.Sqrt(32));
        Assert.AreEqual(0f, b.abs().max().item<float>());

        var attentionOnly = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        attentionOnly.AddLoraAdapters(2, 4, new[] { "q_proj", "v_proj" });
        CollectionAssert.AreEqual(new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" }, attentionOnly.LoraModules().Select(l => l.Name).ToList());
    }

    [TestMethod]
    public void AdaptersOffGiveTheBaseModelBitForBit()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(5));
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        using var _ = no_grad();
        var baseLogits = model.forward(ids, mask);
        model.AddLoraAdapters(rank: 4, alpha: 8, dropout: 0.1, generator: new Generator(2));
        model.eval();
        Assert.IsTrue(model.forward(ids, mask).BitEqual(baseLogits), "fresh adapters (B = 0) change nothing");
        RandomizeAdapters(model, 3);
        var adapted = model.forward(ids, mask);
        Assert.IsFalse(adapted.allclose(baseLogits, rtol: 1e-4, atol: 1e-4), "trained adapters change the output");
        model.AdaptersEnabled = false;
        Assert.IsTrue(model.forward(ids, mask).BitEqual(baseLogits), "adapters off = the base model exactly");
        model.AdaptersEnabled = true;
        Assert.IsTrue(model.forward(ids, mask).BitEqual(adapted));
    }

    [TestMethod]
    public void DropoutActsOnlyInTrainingModeAndIsSeeded()
    {
        QwenForCausalLM Make()
        {
            var m = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(5));
            m.AddLoraAdapters(rank: 4, alpha: 8, dropout: 0.5, generator: new Generator(2));
            RandomizeAdapters(m, 3);
            return m;
        }

        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        var first = Make();
        var second = Make();
        using var _ = no_grad();
        first.eval();
        var evaluated = first.forward(ids, mask);
        first.train();
        second.train();
        var dropped = first.forward(ids, mask);
        Assert.IsFalse(dropped.allclose(evaluated, rtol: 1e-4, atol: 1e-4), "training mode drops adapter inputs");
        Assert.IsTrue(second.forward(ids, mask).BitEqual(dropped), "the masks come from the seeded generator");
        Assert.IsFalse(first.forward(ids, mask).BitEqual(dropped), "and the generator advances");
        first.eval();
        Assert.IsTrue(first.forward(ids, mask).BitEqual(evaluated), "no dropout in eval mode");
    }

    [TestMethod]
    public void MergeEqualsTheAdaptedForwardAndExportsAPlainHuggingFaceFolder()
    {
        foreach (var config in new[] { TinyQwen.Qwen3(tied: false), TinyQwen.Qwen2() })
        {
            var model = new QwenForCausalLM(config, new Generator(7));
            model.AddLoraAdapters(rank: 4, alpha: 16, generator: new Generator(8));
            RandomizeAdapters(model, 9);
            var (ids, mask) = TinyQwen.LeftPaddedPrompts();
            using var _ = no_grad();
            var adapted = model.forward(ids, mask);

            // SavePretrained of an adapted model writes the merged weights and leaves the model as it was.
            string unmerged = TinyQwen.NewFolder();
            model.SavePretrained(unmerged);
            Assert.IsTrue(model.HasAdapters);
            Assert.IsTrue(model.forward(ids, mask).BitEqual(adapted));

            model.MergeAdapters();
            Assert.IsFalse(model.HasAdapters);
            var merged = model.forward(ids, mask);
            Assert.IsTrue(merged.allclose(adapted, rtol: 1e-4, atol: 1e-5), $"{config.ModelType}: merged = adapted (max diff {(merged - adapted).abs().max().item<float>()})");
            CollectionAssert.AreEqual(TinyQwen.HuggingFaceKeys(2, config.ModelType == "qwen3", config.TieWordEmbeddings).ToList(), model.state_dict().Keys.Order(StringComparer.Ordinal).ToList());
            Assert.IsTrue(model.parameters().All(p => p.requires_grad), "all weights train again after a merge");

            string folder = TinyQwen.NewFolder();
            model.SavePretrained(folder);
            var loaded = QwenForCausalLM.FromPretrained(folder);
            Assert.IsTrue(loaded.forward(ids, mask).BitEqual(merged), "the exported folder loads to the merged model");
            Assert.IsTrue(QwenForCausalLM.FromPretrained(unmerged).forward(ids, mask).BitEqual(merged), "SavePretrained with adapters wrote the same merged weights");
            Directory.Delete(folder, true);
            Directory.Delete(unmerged, true);
        }
    }

    [TestMethod]
    public void BadAdapterSettingsChangeNothing()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(7));
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.AddLoraAdapters(2, 4, new[] { "qkv" }));
        StringAssert.Contains(error.Message, "'qkv' matches no linear layer");
        StringAssert.Contains(error.Message, "q_proj");
        Assert.ThrowsExactly<ArgumentException>(() => model.AddLoraAdapters(2, 4, new[] { "lm_head" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.AddLoraAdapters(0, 4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.AddLoraAdapters(33, 4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.AddLoraAdapters(2, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.AddLoraAdapters(2, 4, dropout: 1));
        Assert.IsFalse(model.HasAdapters);
        Assert.IsTrue(model.parameters().All(p => p.requires_grad));
        model.AddLoraAdapters(2, 4);
        Assert.ThrowsExactly<InvalidOperationException>(() => model.AddLoraAdapters(2, 4));
    }
}
