using Adrpo.Models.Language;

namespace Adrpo.Tests.Models.Language;

[TestClass]
public sealed class QwenConfigTests
{
    [TestMethod]
    public void ParsesHuggingFaceFieldsKeepsUnknownOnesAndAcceptsEosAsIntOrList()
    {
        var qwen3 = QwenConfig.Parse(TinyQwen.ConfigJson(TinyQwen.Qwen3()));
        Assert.AreEqual("qwen3", qwen3.ModelType);
        Assert.AreEqual(16, qwen3.ResolvedHeadDim);
        Assert.AreEqual(2, qwen3.KeyValueHeads);
        Assert.IsTrue(qwen3.UsesQkNorm);
        Assert.IsFalse(qwen3.UsesQkvBias, "qwen3 defaults to attention_bias = false");
        CollectionAssert.AreEqual(new long[] { 2 }, qwen3.EosTokenId!.ToArray());
        Assert.AreEqual("float32", qwen3.TorchDtype);
        Assert.AreEqual(28, qwen3.ExtensionData!["max_window_layers"].GetInt32());

        var qwen2 = QwenConfig.Parse(TinyQwen.ConfigJson(TinyQwen.Qwen2()));
        Assert.AreEqual(8, qwen2.ResolvedHeadDim, "head_dim defaults to hidden / heads");
        Assert.IsTrue(qwen2.UsesQkvBias, "qwen2 has q/k/v biases");
        Assert.IsFalse(qwen2.UsesOutputBias, "qwen2 has no o_proj bias");
        Assert.IsFalse(qwen2.UsesQkNorm);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, qwen2.EosTokenId!.ToArray());
        Assert.AreEqual(1_000_000, qwen2.ResolvedRopeTheta);

        var again = QwenConfig.Parse(qwen2.ToJson());
        Assert.AreEqual(qwen2.ToJson(), again.ToJson(), "serialising is stable");
        StringAssert.Contains(again.ToJson(), "\"architectures\"");
    }

    [TestMethod]
    [DataRow("num_key_value_heads", "\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3")]
    [DataRow("model_type", "\"model_type\": \"qwen3\"", "\"model_type\": \"gemma\"")]
    [DataRow("head_dim", "\"head_dim\": 16", "\"head_dim\": 15")]
    [DataRow("vocab_size", "\"vocab_size\": 97", "\"vocab_size\": 0")]
    [DataRow("hidden_act", "\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"")]
    [DataRow("rope_scaling", "\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}")]
    [DataRow("eos_token_id", "\"eos_token_id\": 2", "\"eos_token_id\": 500")]
    public void InvalidFieldIsNamed(string field, string good, string bad)
    {
        string json = TinyQwen.ConfigJson(TinyQwen.Qwen3());
        Assert.Contains(good, json, "test setup");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => QwenConfig.Parse(json.Replace(good, bad)));
        StringAssert.Contains(e.Message, $"'{field}'");
    }

    [TestMethod]
    public void NotJsonAndMissingFieldsAreRejected()
    {
        Assert.ThrowsExactly<InvalidDataException>(() => QwenConfig.Parse("{ not json"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => QwenConfig.Parse("{\"model_type\": \"qwen3\"}")).Message, "'vocab_size'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new QwenConfig { VocabSize = 1 }.Validate()).Message, "'model_type'");
    }
}
