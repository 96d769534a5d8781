using System.Text.Json;
using Adrpo.Models.Language;
using Adrpo.Tests.Infrastructure;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

/// <summary>
/// PEFT adapter folders (issue 15, item 1). The expected format is written out here by hand from PEFT's source
/// (huggingface/peft: <c>get_peft_model_state_dict</c> in utils/save_and_load.py drops the adapter name, so
/// <c>lora_A.default.weight</c> is saved as <c>lora_A.weight</c>, under PeftModel's <c>base_model.model.</c> prefix;
/// <c>PeftConfigMixin.save_pretrained</c> writes <c>asdict(LoraConfig)</c> with <c>sort_keys=True, indent=2</c>).
/// </summary>
[TestClass]
public sealed class PeftAdapterFolderTests
{
    /// <summary>An adapter_config.json as PEFT writes it for <c>LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")</c>,
    /// with fields of newer PEFT versions that the library ignores.</summary>
    private const string PeftWrittenConfig = """
        {
          "alpha_pattern": {},
          "auto_mapping": null,
          "base_model_name_or_path": "Qwen/Qwen3-0.6B",
          "bias": "none",
          "corda_config": null,
          "eva_config": null,
          "exclude_modules": null,
          "fan_in_fan_out": false,
          "inference_mode": true,
          "init_lora_weights": true,
          "layer_replication": null,
          "layers_pattern": null,
          "layers_to_transform": null,
          "loftq_config": {},
          "lora_alpha": 4,
          "lora_bias": false,
          "lora_dropout": 0.05,
          "megatron_config": null,
          "megatron_core": "megatron.core",
          "modules_to_save": null,
          "peft_type": "LORA",
          "peft_version": "0.17.1",
          "qalora_group_size": 16,
          "r": 2,
          "rank_pattern": {},
          "revision": null,
          "target_modules": [
            "v_proj",
            "q_proj"
          ],
          "target_parameters": null,
          "task_type": "CAUSAL_LM",
          "trainable_token_indices": null,
          "use_dora": false,
          "use_qalora": false,
          "use_rslora": false
        }
        """;

    private static string Key(int layer, string projection, string matrix) => $"base_model.model.model.layers.{layer}.self_attn.{projection}.lora_{matrix}.weight";

    /// <summary>Writes a PEFT folder by hand: the config above and A [2, 32], B [out, 2] for q_proj and v_proj of both layers.</summary>
    private static (string Folder, Dictionary<string, Tensor> Tensors) HandWrittenFolder(string config = PeftWrittenConfig, Action<Dictionary<string, Tensor>>? edit = null)
    {
        string folder = TinyQwen.NewFolder();
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), config);
        var generator = new Generator(40);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int layer = 0; layer < 2; layer++)
        {
            // Qwen3 tiny: 4 query heads x 16 = 64 query features, 2 kv heads x 16 = 32 value features, hidden 32.
            tensors[Key(layer, "q_proj", "A")] = randn(new long[] { 2, 32 }, generator: generator);
            tensors[Key(layer, "q_proj", "B")] = randn(new long[] { 64, 2 }, generator: generator);
            tensors[Key(layer, "v_proj", "A")] = randn(new long[] { 2, 32 }, generator: generator);
            tensors[Key(layer, "v_proj", "B")] = randn(new long[] { 32, 2 }, generator: generator);
        }

        edit?.Invoke(tensors);
        SafeTensorsFile.Save(Path.Combine(folder, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return (folder, tensors);
    }

    [TestMethod]
    public void HandWrittenPeftFolderLoadsAndGivesTheLoraFormula()
    {
        var (folder, tensors) = HandWrittenFolder();
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        var baseWeights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        model.LoadAdapter(folder);
        model.eval();

        CollectionAssert.AreEqual(new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" }, model.LoraModules().Select(l => l.Name).ToList());
        var x = randn(new long[] { 1, 4, 32 }, generator: new Generator(1));
        using var _ = no_grad();
        foreach (var (layer, projection) in new[] { (0, "q_proj"), (1, "v_proj") })
        {
            var lora = model.LoraModules().Single(l => l.Name == $"model.layers.{layer}.self_attn.{projection}").Lora;
            Assert.AreEqual(0.05, lora.Dropout);
            var expected = x.matmul(baseWeights[$"model.layers.{layer}.self_attn.{projection}.weight"].t())
                + x.matmul(tensors[Key(layer, projection, "A")].t()).matmul(tensors[Key(layer, projection, "B")].t()) * (4.0 / 2.0);
            Assert.IsTrue(lora.forward(x).allclose(expected, rtol: 1e-5, atol: 1e-5), $"layer {layer} {projection}");
        }

        Directory.Delete(folder, true);
    }

    [TestMethod]
    public void Bfloat16AdapterFileLoadsIntoAFloat32Model()
    {
        // PEFT saves adapters in the model's dtype; a bfloat16 model gives a bfloat16 file.
        var (folder, tensors) = HandWrittenFolder(edit: t =>
        {
            foreach (string key in t.Keys.ToList())
            {
                t[key] = t[key].to_type(ScalarType.BFloat16);
            }
        });
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        model.LoadAdapter(folder);
        var (a, b) = model.LoraModules()[0].Lora.Adapters;
        Assert.AreEqual(ScalarType.Float32, a.dtype);
        Assert.IsTrue(a.BitEqual(tensors[Key(0, "q_proj", "A")].to_type(ScalarType.Float32)));
        Assert.IsTrue(b.BitEqual(tensors[Key(0, "q_proj", "B")].to_type(ScalarType.Float32)));
        Directory.Delete(folder, true);
    }

    [TestMethod]
    public void SavedFolderHasPeftsKeysAndConfigAndRoundTrips()
    {
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        model.AddLoraAdapters(rank: 2, alpha: 4, targetModules: new[] { "q_proj", "v_proj" }, dropout: 0.05, generator: new Generator(6));
        QwenLoraTests.RandomizeAdapters(model, 7);
        string folder = TinyQwen.NewFolder();
        model.SaveAdapter(folder, "Qwen/Qwen3-0.6B");

        var header = SafeTensorsFile.ReadHeader(Path.Combine(folder, "adapter_model.safetensors"));
        var (handFolder, handTensors) = HandWrittenFolder();
        CollectionAssert.AreEquivalent(handTensors.Keys.ToList(), header.Tensors.Select(t => t.Name).ToList(), "the keys PEFT writes");
        Assert.AreEqual("pt", header.Metadata["format"]);
        foreach (var entry in header.Tensors)
        {
            CollectionAssert.AreEqual(handTensors[entry.Name].shape, entry.Shape, entry.Name);
        }

        using (var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json"))))
        using (var peft = JsonDocument.Parse(PeftWrittenConfig))
        {
            var names = written.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            CollectionAssert.AreEqual(names.Order(StringComparer.Ordinal).ToList(), names, "keys sorted, as json.dumps(sort_keys=True)");
            foreach (var property in written.RootElement.EnumerateObject())
            {
                Assert.IsTrue(peft.RootElement.TryGetProperty(property.Name, out var expected), $"'{property.Name}' is a LoraConfig field");
                if (property.Name == "target_modules")
                {
                    CollectionAssert.AreEquivalent(expected.EnumerateArray().Select(e => e.GetString()).ToList(), property.Value.EnumerateArray().Select(e => e.GetString()).ToList());
                }
                else
                {
                    Assert.AreEqual(expected.GetRawText(), property.Value.GetRawText(), property.Name);
                }
            }

            foreach (string required in new[] { "peft_type", "task_type", "r", "lora_alpha", "lora_dropout", "target_modules", "bias", "base_model_name_or_path", "fan_in_fan_out", "inference_mode", "use_dora", "use_rslora" })
            {
                Assert.IsTrue(written.RootElement.TryGetProperty(required, out _), required);
            }
        }

        var fresh = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        fresh.LoadAdapter(folder);
        model.eval();
        fresh.eval();
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        using var noGrad = no_grad();
        Assert.IsTrue(fresh.forward(ids, mask).BitEqual(model.forward(ids, mask)), "loaded adapters give the saved model's logits exactly");
        fresh.LoadAdapter(folder);   // into matching adapters: allowed
        Directory.Delete(folder, true);
        Directory.Delete(handFolder, true);
    }

    [TestMethod]
    public void StrictLoadNamesTheKeyFieldAndFileAndLeavesTheModelAlone()
    {
        void Expect(string folder, params string[] parts)
        {
            var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
            var error = Assert.ThrowsExactly<InvalidDataException>(() => model.LoadAdapter(folder));
            foreach (string part in parts)
            {
                StringAssert.Contains(error.Message, part);
            }

            Assert.IsFalse(model.HasAdapters, "a failed load adds no adapters");
            Directory.Delete(folder, true);
        }

        var (missing, _) = HandWrittenFolder(edit: t => t.Remove(Key(1, "v_proj", "B")));
        Expect(missing, "missing key", Key(1, "v_proj", "B"), "adapter_model.safetensors");

        var (unexpected, _) = HandWrittenFolder(edit: t => t[Key(0, "k_proj", "A")] = zeros(2, 32));
        Expect(unexpected, "unexpected keys", Key(0, "k_proj", "A"));

        var (wrongRank, _) = HandWrittenFolder(PeftWrittenConfig.Replace("\"r\": 2", "\"r\": 3"));
        Expect(wrongRank, Key(0, "q_proj", "A"), "[2, 32]", "[3, 32]");

        var (dora, _) = HandWrittenFolder(PeftWrittenConfig.Replace("\"use_dora\": false", "\"use_dora\": true"));
        Expect(dora, "use_dora", "adapter_config.json");

        var (pattern, _) = HandWrittenFolder(PeftWrittenConfig.Replace("\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 4}"));
        Expect(pattern, "rank_pattern");

        var (notLora, _) = HandWrittenFolder(PeftWrittenConfig.Replace("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\""));
        Expect(notLora, "peft_type 'IA3'", "expected \"LORA\"");

        var (badTarget, _) = HandWrittenFolder(PeftWrittenConfig.Replace("\"q_proj\"\n", "\"qkv\"\n"));
        Expect(badTarget, "'qkv' matches no linear layer");
    }

    [TestMethod]
    public void AllLinearAndRegularExpressionTargetsSelectModulesAsPeftDoes()
    {
        // A regular expression is full-matched against module names (PEFT's re.fullmatch).
        var (folder, _) = HandWrittenFolder(PeftWrittenConfig.Replace("\"target_modules\": [\n    \"v_proj\",\n    \"q_proj\"\n  ]", "\"target_modules\": \".*self_attn\\\\.(q|v)_proj\""));
        var model = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        model.LoadAdapter(folder);
        Assert.AreEqual(4, model.LoraModules().Count);
        Directory.Delete(folder, true);

        var all = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        all.AddLoraAdapters(2, 4);
        string saved = TinyQwen.NewFolder();
        all.SaveAdapter(saved);
        File.WriteAllText(Path.Combine(saved, "adapter_config.json"), PeftWrittenConfig.Replace("\"target_modules\": [\n    \"v_proj\",\n    \"q_proj\"\n  ]", "\"target_modules\": \"all-linear\""));
        var reloaded = new QwenForCausalLM(TinyQwen.Qwen3(), new Generator(3));
        reloaded.LoadAdapter(saved);
        Assert.AreEqual(14, reloaded.LoraModules().Count);
        Directory.Delete(saved, true);
    }
}
