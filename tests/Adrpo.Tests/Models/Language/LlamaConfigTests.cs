using Adrpo.Models.Language;
using Adrpo.Models.Transformer;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

/// <summary>Llama-family <c>config.json</c> files (model_type "llama" and "mistral") read by <see cref="QwenConfig"/>, and their checkpoint layout.</summary>
[TestClass]
public sealed class LlamaConfigTests
{
    [TestMethod]
    public void ParsesLlamaSmolLm2AndMistralWithTheirDefaults()
    {
        var llama = QwenConfig.Parse(TinyLlama.Llama3);
        Assert.AreEqual(8, llama.ResolvedHeadDim, "head_dim absent = hidden / heads");
        Assert.IsTrue(llama.UsesQkvBias && llama.UsesOutputBias && llama.UsesMlpBias, "attention_bias puts biases on q/k/v and o_proj; mlp_bias on the MLP");
        Assert.IsFalse(llama.UsesQkNorm);
        Assert.AreEqual(new Llama3RopeScaling(8, 1, 4, 64), llama.Llama3Scaling);

        var smol = QwenConfig.Parse(TinyLlama.SmolLm2);
        Assert.IsFalse(smol.UsesQkvBias || smol.UsesOutputBias || smol.UsesMlpBias, "a plain Llama has no biases");
        Assert.IsNull(smol.Llama3Scaling);
        Assert.IsTrue(smol.TieWordEmbeddings);

        var mistral = QwenConfig.Parse(TinyLlama.Mistral);
        Assert.AreEqual(16, mistral.ResolvedHeadDim);
        Assert.IsFalse(mistral.UsesQkvBias || mistral.UsesOutputBias || mistral.UsesMlpBias);
        var again = QwenConfig.Parse(mistral.ToJson());
        Assert.AreEqual(mistral.ToJson(), again.ToJson(), "serialising is stable");

        // A window at least as long as the context never binds, so it is accepted.
        Assert.IsNotNull(QwenConfig.Parse(TinyLlama.Mistral.Replace("\"sliding_window\": null", "\"sliding_window\": 512")));
        var modern = QwenConfig.Parse(TinyLlama.SmolLm2.Replace("\"rope_scaling\": null", "\"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}").Replace("\"rope_theta\": 100000,", ""));
        Assert.AreEqual(new Llama3RopeScaling(32, 1, 4, 8192), modern.Llama3Scaling, "transformers 5 writes rope_parameters");
        Assert.AreEqual(500_000, modern.ResolvedRopeTheta);
    }

    [TestMethod]
    [DataRow("sliding_window", "mistral", "\"sliding_window\": null", "\"sliding_window\": 64", "not implemented")]
    [DataRow("attention_bias", "mistral", "\"sliding_window\": null", "\"sliding_window\": null, \"attention_bias\": true", "Mistral")]
    [DataRow("mlp_bias", "mistral", "\"sliding_window\": null", "\"sliding_window\": null, \"mlp_bias\": true", "llama")]
    [DataRow("rope_scaling", "llama3", "\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"", "'yarn'")]
    [DataRow("rope_scaling", "llama3", "\"factor\": 8.0, ", "", "factor missing")]
    [DataRow("rope_scaling", "llama3", "\"high_freq_factor\": 4.0", "\"high_freq_factor\": 1.0", "high_freq_factor 1")]
    [DataRow("rope_scaling", "llama3", "\"original_max_position_embeddings\": 64", "\"original_max_position_embeddings\": 1024", "original_max_position_embeddings 1024")]
    [DataRow("rope_scaling", "llama3", "\"rope_type\": \"llama3\"", "\"rope_type\": \"llama3\", \"beta_fast\": 32", "'beta_fast'")]
    [DataRow("rope_interleaved", "smollm2", "\"rope_interleaved\": false", "\"rope_interleaved\": true", "rotate-half")]
    public void UnsupportedFeaturesAreRefusedNamingTheField(string field, string which, string good, string bad, string detail)
    {
        string json = which switch { "mistral" => TinyLlama.Mistral, "llama3" => TinyLlama.Llama3, _ => TinyLlama.SmolLm2 };
        Assert.Contains(good, json, "test setup");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => QwenConfig.Parse(json.Replace(good, bad)));
        StringAssert.Contains(e.Message, $"'{field}'");
        StringAssert.Contains(e.Message, detail);
    }

    [TestMethod]
    public void Llama3ScalingKeepsShortWavesDividesLongOnesAndBlendsBetween()
    {
        // head_dim 8, theta 10,000: plain frequencies 1, 0.1, 0.01, 0.001 (wavelengths 6.3, 63, 628, 6283).
        // Llama 3 with factor 8, low 1, high 4, original 1024: keep below 1024/4 = 256, divide above 1024/1 = 1024;
        // 0.01 is blended with s = (1024 * 0.01 / 2π - 1) / 3 = 0.20992, (1 - s) * 0.01 / 8 + s * 0.01 = 0.0030868.
        var rope = new RotaryEmbedding(8, 10_000, new Llama3RopeScaling(8, 1, 4, 1024));
        double[] expected = { 1, 0.1, 0.003086760967011275, 0.001 / 8 };
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(expected[i], rope.InverseFrequencies[i], expected[i] * 1e-12, $"pair {i}");
        }

        var plain = new RotaryEmbedding(8, 10_000);
        CollectionAssert.AreEqual(new[] { 1, 0.1, 0.01, 0.001 }, plain.InverseFrequencies.Select(f => Math.Round(f, 15)).ToArray());
    }

    [TestMethod]
    public void LlamaCheckpointWithoutItsMlpBiasesIsRefusedNamingTheKey()
    {
        var config = QwenConfig.Parse(TinyLlama.Llama3);
        var model = new QwenForCausalLM(config, new Generator(3));
        string[] biases = { "q_proj", "k_proj", "v_proj", "o_proj" };
        foreach (string key in biases.Select(p => $"model.layers.1.self_attn.{p}.bias").Concat(new[] { "gate_proj", "up_proj", "down_proj" }.Select(p => $"model.layers.1.mlp.{p}.bias")))
        {
            Assert.IsTrue(model.state_dict().ContainsKey(key), $"{key} is a Hugging Face LlamaForCausalLM key of this config");
        }

        string folder = TinyQwen.NewFolder();
        try
        {
            model.SavePretrained(folder);
            var weights = model.state_dict().Where(kv => kv.Key != "model.layers.0.mlp.down_proj.bias").ToDictionary(kv => kv.Key, kv => kv.Value);
            SafeTensorsFile.Save(Path.Combine(folder, "model.safetensors"), weights);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => QwenForCausalLM.FromPretrained(folder));
            StringAssert.Contains(e.Message, "missing key 'model.layers.0.mlp.down_proj.bias' (expected shape [32]");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
