using Adrpo.Models.Lora;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Dit;

[TestClass]
public sealed class DitLoraTests
{
    private const int Rank = 2;

    [TestMethod]
    public void FreshAdaptersLeaveTheOutputUnchangedAndOnlyAdaptersTrain()
    {
        using var model = DitTestModels.CreatePretrained();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        using var before = model.Forward(xt, t, c).detach();
        Assert.AreEqual(model.parameters().Sum(p => p.numel()), model.TrainableParameters().Sum(p => p.numel()), "full fine-tuning before adapters");

        model.AddLoraAdapters(Rank, alpha: 4, new Generator(2));
        using var after = model.Forward(xt, t, c).detach();
        Assert.IsTrue(DitTestModels.Identical(before, after), "lora_B starts at zero");

        // Per block: qkv h->3h, proj h->h, fc1 h->4h, fc2 4h->h; each adapter has r * (in + out) weights.
        long h = DitTestModels.Tiny.HiddenSize;
        long expected = DitTestModels.Tiny.NumLayers * Rank * ((h + (3 * h)) + (h + h) + (h + (4 * h)) + ((4 * h) + h));
        var trainable = model.TrainableParameters();
        Assert.AreEqual(expected, trainable.Sum(p => p.numel()));
        Assert.AreEqual(4 * DitTestModels.Tiny.NumLayers * 2, trainable.Count, "lora_A and lora_B of 4 linears per block");
        Assert.AreEqual(16, model.named_modules().Count(m => m.module is LoraLinear) * 2);
        Assert.IsTrue(model.named_parameters().Where(p => p.parameter.requires_grad).All(p => p.name.Contains(".lora_", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void AStepOnAdaptersChangesTheOutputOnlyWhenEnabledAndMergingReproducesIt()
    {
        using var model = DitTestModels.CreatePretrained();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        using var reference = model.Forward(xt, t, c).detach();
        model.AddLoraAdapters(Rank, alpha: 4, new Generator(2));
        var optimizer = optim.Adam(model.TrainableParameters(), lr: 1e-2);
        using (var loss = model.Forward(xt, t, c).square().mean())
        {
            loss.backward();
        }

        optimizer.step();
        using var adapted = model.Forward(xt, t, c).detach();
        Assert.IsTrue((adapted - reference).abs().max().item<float>() > 1e-4, "the adapter step changes the output");

        model.AdaptersEnabled = false;
        using (var disabled = model.Forward(xt, t, c).detach())
        {
            Assert.IsTrue(DitTestModels.Identical(reference, disabled), "adapters off = the pretrained model, exactly");
        }

        model.AdaptersEnabled = true;
        var keysWithAdapters = model.state_dict().Keys.Count;
        model.MergeAdapters();
        Assert.IsFalse(model.HasAdapters);
        Assert.IsFalse(model.named_modules().Any(m => m.module is LoraLinear));
        using var merged = model.Forward(xt, t, c).detach();
        Assert.IsTrue(merged.allclose(adapted, rtol: 1e-5, atol: 1e-5), $"merged vs adapted: max difference {(merged - adapted).abs().max().item<float>():E2}");
        Assert.IsFalse(merged.allclose(reference, rtol: 1e-5, atol: 1e-5), "the merge kept the update");
        Assert.AreEqual(keysWithAdapters - 16, model.state_dict().Count, "base_layer.* keys become plain keys; lora_* keys are gone");
        Assert.IsTrue(model.state_dict().ContainsKey("blocks.0.attn.qkv.weight"));
        Assert.AreEqual(model.parameters().Sum(p => p.numel()), model.TrainableParameters().Sum(p => p.numel()), "after a merge every weight trains again");
    }

    [TestMethod]
    public void InvalidTargetsOrRankChangeNothing()
    {
        using var model = DitTestModels.CreatePretrained();
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.AddLoraAdapters(Rank, 4, new[] { "attn.qkvv" }, new Generator(1)));
        StringAssert.Contains(e.Message, "attn.qkvv");
        Assert.ThrowsExactly<ArgumentException>(() => model.AddLoraAdapters(Rank, 4, new[] { "final_layer.linear" }, new Generator(1)));
        Assert.AreEqual("rank", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.AddLoraAdapters(33, 4, new Generator(1))).ParamName);
        Assert.IsFalse(model.HasAdapters);
        Assert.IsTrue(model.parameters().All(p => p.requires_grad), "a rejected call freezes nothing");

        model.AddLoraAdapters(Rank, 4, new[] { "attn.qkv" }, new Generator(1));
        Assert.AreEqual(DitTestModels.Tiny.NumLayers, model.named_modules().Count(m => m.module is LoraLinear));
        Assert.ThrowsExactly<InvalidOperationException>(() => model.AddLoraAdapters(Rank, 4, new Generator(1)));
    }
}
