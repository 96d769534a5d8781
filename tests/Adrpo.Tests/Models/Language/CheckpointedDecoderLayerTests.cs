using Adrpo.Models.Language;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

/// <summary>Activation checkpointing per decoder layer: the gradients equal those of the plain backward pass.</summary>
[TestClass]
public sealed class CheckpointedDecoderLayerTests
{
    [TestMethod]
    public void FullFineTuningGradientsEqualThePlainOnes()
    {
        using var scope = NewDisposeScope();
        using var model = new QwenForCausalLM(TinyQwen.Qwen3(tied: true), new Generator(3));
        Perturb(model, 4);
        var plain = Gradients(model, checkpoint: false, dropoutState: null);
        var checkpointed = Gradients(model, checkpoint: true, dropoutState: null);
        AssertSame(plain, checkpointed, expectedCount: model.parameters().Count());
    }

    [TestMethod]
    public void LoraGradientsWithDropoutEqualThePlainOnes()
    {
        using var scope = NewDisposeScope();
        using var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(5));
        model.AddLoraAdapters(rank: 2, alpha: 4, dropout: 0.5, generator: new Generator(6));
        Perturb(model, 7);   // nonzero lora_B, so lora_A has a gradient too
        var state = model.LoraDropoutRandom!.get_state();
        var plain = Gradients(model, checkpoint: false, dropoutState: state);
        var checkpointed = Gradients(model, checkpoint: true, dropoutState: state);
        // Only the adapters train; the input of the first layer needs no gradient (the embedding is frozen).
        AssertSame(plain, checkpointed, expectedCount: model.parameters().Count(p => p.requires_grad));
        Assert.IsTrue(plain.Keys.All(k => k.Contains("lora_", StringComparison.Ordinal)));
    }

    private static void Perturb(QwenForCausalLM model, ulong seed)
    {
        using var _ = no_grad();
        var generator = new Generator(seed);
        foreach (var p in model.parameters())
        {
            p.add_(randn(p.shape, generator: generator) * 0.1);
        }
    }

    /// <summary>The gradient of a fixed random projection of the final hidden states, on a left-padded batch, in train mode.</summary>
    private static Dictionary<string, Tensor> Gradients(QwenForCausalLM model, bool checkpoint, Tensor? dropoutState)
    {
        model.train();
        model.zero_grad();
        if (dropoutState is not null)
        {
            model.LoraDropoutRandom!.set_state(dropoutState);
        }

        var ids = randint(0, TinyQwen.Vocab, new long[] { 3, 7 }, generator: new Generator(8));
        var mask = ones(3, 7, dtype: ScalarType.Int64);
        mask[1, ..3] = zeros(3, dtype: ScalarType.Int64);
        model.Model.GradientCheckpointing = checkpoint;
        model.Model.CheckpointDropoutRandom = model.LoraDropoutRandom;
        int before = CheckpointedDecoderLayer.Recomputations;
        try
        {
            var hidden = model.Model.Forward(ids, mask, null, null, checkValues: true);
            var upstream = randn(hidden.shape, generator: new Generator(9));
            (hidden * upstream).sum().backward();
            CheckpointedDecoderLayer.ReleaseHandedBack();
        }
        finally
        {
            model.Model.GradientCheckpointing = false;
            model.Model.CheckpointDropoutRandom = null;
        }

        // The checkpointed pass recomputed each layer once in backward; the plain one none.
        Assert.AreEqual(checkpoint ? model.Config.NumHiddenLayers : 0, CheckpointedDecoderLayer.Recomputations - before);
        return model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    private static void AssertSame(Dictionary<string, Tensor> plain, Dictionary<string, Tensor> checkpointed, int expectedCount)
    {
        Assert.AreEqual(expectedCount, plain.Count);
        CollectionAssert.AreEquivalent(plain.Keys.ToList(), checkpointed.Keys.ToList());
        foreach (var (name, expected) in plain)
        {
            Assert.IsTrue(expected.abs().sum().item<float>() > 0, $"{name}: the plain gradient is zero, so the comparison would prove nothing");
            float difference = (expected - checkpointed[name]).abs().max().item<float>();
            float scale = expected.abs().max().item<float>();
            Assert.IsTrue(difference <= (1e-5f * scale) + 1e-6f, $"{name}: checkpointed gradient differs by {difference} (largest entry {scale})");
        }
    }
}
