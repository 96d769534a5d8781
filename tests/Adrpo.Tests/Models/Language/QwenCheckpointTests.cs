using System.Text.Json;
using Adrpo.Models.Language;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

[TestClass]
public sealed class QwenCheckpointTests
{
    private static readonly Tensor Ids = tensor(new long[] { 3, 14, 15, 92, 65, 35, 89, 79 }, new long[] { 2, 4 });

    /// <summary>Writes a checkpoint the way a Hugging Face export looks: safetensors with HF keys plus config.json.</summary>
    private static (string Folder, QwenForCausalLM Model, Dictionary<string, Tensor> Weights) WriteCheckpoint(QwenConfig config, ulong seed = 7)
    {
        var model = new QwenForCausalLM(config, new Generator(seed));
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        string folder = TinyQwen.NewFolder();
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyQwen.ConfigJson(config));
        SafeTensorsFile.Save(Path.Combine(folder, "model.safetensors"), weights);
        return (folder, model, weights);
    }

    private static string Rewrite(string folder, Dictionary<string, Tensor> weights)
    {
        SafeTensorsFile.Save(Path.Combine(folder, "model.safetensors"), weights);
        return folder;
    }

    [TestMethod]
    public void HandWrittenQwen3CheckpointLoadsStrictlyAndGivesIdenticalLogits()
    {
        var config = TinyQwen.Qwen3();
        var (folder, model, _) = WriteCheckpoint(config);
        try
        {
            CollectionAssert.AreEqual(TinyQwen.HuggingFaceKeys(2, qwen3: true, tied: false).ToArray(),
                model.state_dict().Keys.Order(StringComparer.Ordinal).ToArray(), "state_dict keys are the Hugging Face keys");
            var loaded = QwenForCausalLM.FromPretrained(folder);
            Assert.AreEqual(16, loaded.Config.ResolvedHeadDim);
            Assert.AreEqual("Qwen3ForCausalLM", loaded.Config.ExtensionData!["architectures"][0].GetString(), "unknown fields are kept");
            using var _ = no_grad();
            Assert.IsTrue(loaded.forward(Ids).equal(model.forward(Ids)).all().item<bool>(), "identical logits");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("renamed", "model.layers.1.mlp.up_proj.weight")]
    [DataRow("missing", "model.layers.0.self_attn.k_norm.weight")]
    [DataRow("extra", "model.layers.0.self_attn.q_proj.bias")]
    [DataRow("shape", "model.layers.1.self_attn.o_proj.weight")]
    public void BadKeysFailWithMessagesNamingTheKeyFileAndShapes(string kind, string key)
    {
        var (folder, _, weights) = WriteCheckpoint(TinyQwen.Qwen3());
        try
        {
            switch (kind)
            {
                case "renamed":
                    weights["model.layers.1.mlp.upproj.weight"] = weights[key];
                    weights.Remove(key);
                    break;
                case "missing":
                    weights.Remove(key);
                    break;
                case "extra":
                    weights[key] = zeros(64);
                    break;
                case "shape":
                    weights[key] = zeros(32, 63);
                    break;
            }

            Rewrite(folder, weights);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => QwenForCausalLM.FromPretrained(folder));
            StringAssert.Contains(e.Message, $"'{key}'");
            StringAssert.Contains(e.Message, "model.safetensors");
            if (kind == "renamed")
            {
                StringAssert.Contains(e.Message, "unexpected key 'model.layers.1.mlp.upproj.weight'");
            }

            if (kind == "shape")
            {
                StringAssert.Contains(e.Message, "has shape [32, 63]; expected [32, 64]");
            }

            if (kind == "missing")
            {
                StringAssert.Contains(e.Message, "expected shape [16]");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ShardedCheckpointWithIndexLoads()
    {
        var (folder, model, weights) = WriteCheckpoint(TinyQwen.Qwen3());
        try
        {
            File.Delete(Path.Combine(folder, "model.safetensors"));
            var names = weights.Keys.Order(StringComparer.Ordinal).ToArray();
            var map = names.ToDictionary(n => n, n => n.StartsWith("model.layers.1.", StringComparison.Ordinal) || n == "lm_head.weight"
                ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors");
            foreach (var shard in map.Values.Distinct())
            {
                SafeTensorsFile.Save(Path.Combine(folder, shard), map.Where(kv => kv.Value == shard).ToDictionary(kv => kv.Key, kv => weights[kv.Key]));
            }

            var index = new { metadata = new { total_size = 0 }, weight_map = map };
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), JsonSerializer.Serialize(index));
            var loaded = QwenForCausalLM.FromPretrained(folder);
            using (no_grad())
            {
                Assert.IsTrue(loaded.forward(Ids).equal(model.forward(Ids)).all().item<bool>(), "identical logits from shards");
            }

            File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
            var e = Assert.ThrowsExactly<FileNotFoundException>(() => QwenForCausalLM.FromPretrained(folder));
            StringAssert.Contains(e.Message, "model-00002-of-00002.safetensors");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SaveThenLoadRoundTripGivesIdenticalLogitsAndTiedHeadIsNotWritten()
    {
        foreach (var config in new[] { TinyQwen.Qwen3(tied: false), TinyQwen.Qwen2(tied: true) })
        {
            string folder = TinyQwen.NewFolder();
            try
            {
                var model = new QwenForCausalLM(config, new Generator(3));
                string target = Path.Combine(folder, "nested");
                model.SavePretrained(target);
                CollectionAssert.AreEquivalent(new[] { "config.json", "model.safetensors" }, Directory.GetFiles(target).Select(Path.GetFileName).ToArray(), "no temporary files left");
                var names = SafeTensorsFile.ReadHeader(Path.Combine(target, "model.safetensors")).Tensors.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
                CollectionAssert.AreEqual(TinyQwen.HuggingFaceKeys(2, config.ModelType == "qwen3", config.TieWordEmbeddings).ToArray(), names);
                var loaded = QwenForCausalLM.FromPretrained(target);
                Assert.AreEqual(config.TieWordEmbeddings, loaded.Config.TieWordEmbeddings);
                using var _ = no_grad();
                Assert.IsTrue(loaded.forward(Ids).equal(model.forward(Ids)).all().item<bool>(), $"{config.ModelType}: identical logits after a round trip");
                var bf16 = QwenForCausalLM.FromPretrained(target, ScalarType.BFloat16);
                Assert.AreEqual(ScalarType.BFloat16, bf16.DType);
                Assert.IsTrue(bf16.forward(Ids).to_type(ScalarType.Float32).allclose(model.forward(Ids), rtol: 0.05, atol: 0.05), "bfloat16 load");
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [TestMethod]
    public void TiedCheckpointMayCarryAnIdenticalLmHeadButNotADifferentOne()
    {
        var (folder, model, weights) = WriteCheckpoint(TinyQwen.Qwen2(tied: true));
        try
        {
            weights["lm_head.weight"] = weights["model.embed_tokens.weight"].clone();
            weights["model.rotary_emb.inv_freq"] = ones(4);
            Rewrite(folder, weights);
            var loaded = QwenForCausalLM.FromPretrained(folder);
            Assert.IsTrue(loaded.OutputWeight.equal(model.OutputWeight).all().item<bool>());
            weights["lm_head.weight"] = weights["lm_head.weight"] + 1;
            Rewrite(folder, weights);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => QwenForCausalLM.FromPretrained(folder));
            StringAssert.Contains(e.Message, "'lm_head.weight'");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void MissingFolderConfigOrWeightsThrowFileNotFoundNamingTheFile()
    {
        string folder = TinyQwen.NewFolder();
        try
        {
            string absent = Path.Combine(folder, "absent");
            StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => QwenForCausalLM.FromPretrained(absent)).Message, absent);
            StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => QwenForCausalLM.FromPretrained(folder)).Message, "config.json");
            File.WriteAllText(Path.Combine(folder, "config.json"), TinyQwen.ConfigJson(TinyQwen.Qwen3()));
            StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => QwenForCausalLM.FromPretrained(folder)).Message, "model.safetensors");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
