using System.Text.Json;
using Adrpo.Models.Dit;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Dit;

[TestClass]
public sealed class DitPersistenceTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("adrpo-dit-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void SaveLoadRoundTripGivesIdenticalOutputsUnderDiTKeyNames()
    {
        using var model = DitTestModels.CreatePretrained();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        using var expected = model.Forward(xt, t, c).detach();
        model.Save(_folder);
        using var loaded = DitVelocityModel.Load(_folder);
        using var actual = loaded.Forward(xt, t, c).detach();
        Assert.IsTrue(DitTestModels.Identical(expected, actual), "a round trip is exact");
        Assert.AreEqual(DitTestModels.Tiny, loaded.Config);

        var keys = SafeTensorsFile.ReadHeader(Path.Combine(_folder, "model.safetensors")).Tensors.Select(e => e.Name).ToHashSet();
        foreach (string key in new[] { "x_embedder.proj.weight", "x_embedder.pos_embed", "t_embedder.mlp.0.weight", "t_embedder.mlp.2.bias", "y_embedder.weight", "blocks.1.attn.qkv.weight", "blocks.0.mlp.fc2.bias", "blocks.0.adaLN_modulation.1.weight", "final_layer.linear.weight", "final_layer.adaLN_modulation.1.bias" })
        {
            Assert.IsTrue(keys.Contains(key), $"missing DiT key {key}");
        }


        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "config.json")));
        Assert.AreEqual(32, json.RootElement.GetProperty("hidden_size").GetInt32());
        Assert.IsFalse(json.RootElement.GetProperty("cross_attention").GetBoolean());
        Assert.AreEqual(0, Directory.GetFiles(_folder, "*.tmp").Length, "no temporary files are left behind");
    }

    [TestMethod]
    public void SavingWithAdaptersWritesMergedWeightsAndAdapterCheckpointsRoundTrip()
    {
        using var model = DitTestModels.CreatePretrained();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        model.AddLoraAdapters(2, 4, new Generator(3));
        using (no_grad())
        {
            foreach (var p in model.TrainableParameters())
            {
                p.add_(randn(p.shape, generator: new Generator(4)) * 0.05);
            }
        }

        using var adapted = model.Forward(xt, t, c).detach();
        model.Save(_folder);
        using (var plain = DitVelocityModel.Load(_folder))
        {
            Assert.IsFalse(plain.HasAdapters);
            Assert.IsTrue(plain.Forward(xt, t, c).allclose(adapted, rtol: 1e-5, atol: 1e-5), "the folder holds the merged model");
        }

        string adapters = Path.Combine(_folder, "adapters.safetensors");
        model.SaveAdapters(adapters);
        Assert.IsTrue(SafeTensorsFile.ReadHeader(adapters).Tensors.All(e => e.Name.Contains(".lora_", StringComparison.Ordinal)));
        using var fresh = DitTestModels.CreatePretrained();
        fresh.LoadAdapters(adapters);
        Assert.IsTrue(DitTestModels.Identical(adapted, fresh.Forward(xt, t, c).detach()), "pretrained + loaded adapters = the adapted model");
    }

    [TestMethod]
    public void ARenamedKeyOrAWrongShapeFailsNamingTheKeyShapesAndFile()
    {
        using var model = DitTestModels.Create();
        model.Save(_folder);
        string weights = Path.Combine(_folder, "model.safetensors");
        var (tensors, _) = SafeTensorsFile.Load(weights);

        var renamed = new Dictionary<string, Tensor>(tensors);
        renamed["blocks.0.attn.qkv.weights"] = renamed["blocks.0.attn.qkv.weight"];
        renamed.Remove("blocks.0.attn.qkv.weight");
        SafeTensorsFile.Save(weights, renamed);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DitVelocityModel.Load(_folder));
        StringAssert.Contains(e.Message, "missing key 'blocks.0.attn.qkv.weight'");
        StringAssert.Contains(e.Message, "[96, 32]");
        StringAssert.Contains(e.Message, "'blocks.0.attn.qkv.weights'");
        StringAssert.Contains(e.Message, weights);

        var reshaped = new Dictionary<string, Tensor>(tensors) { ["final_layer.linear.weight"] = zeros(48, 16) };
        SafeTensorsFile.Save(weights, reshaped);
        e = Assert.ThrowsExactly<InvalidDataException>(() => DitVelocityModel.Load(_folder));
        StringAssert.Contains(e.Message, "'final_layer.linear.weight' has shape [48, 16]; the model expects [48, 32]");
        StringAssert.Contains(e.Message, weights);

        var extra = new Dictionary<string, Tensor>(tensors) { ["blocks.9.attn.qkv.weight"] = zeros(2) };
        SafeTensorsFile.Save(weights, extra);
        e = Assert.ThrowsExactly<InvalidDataException>(() => DitVelocityModel.Load(_folder));
        StringAssert.Contains(e.Message, "unexpected keys 'blocks.9.attn.qkv.weight' [2]");
    }

    [TestMethod]
    public void ABadConfigFieldFailsNamingIt()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new DitConfig { HiddenSize = 30, NumAttentionHeads = 4 }.Validate());
        Assert.AreEqual("hidden_size", ex.ParamName);
        Assert.AreEqual("patch_size", Assert.ThrowsExactly<ArgumentException>(() => new DitConfig { PatchSize = 5 }.Validate()).ParamName);
        Assert.AreEqual("num_layers", Assert.ThrowsExactly<ArgumentException>(() => new DitConfig { NumLayers = 0 }.Validate()).ParamName);
        Assert.AreEqual("mlp_ratio", Assert.ThrowsExactly<ArgumentException>(() => new DitConfig { MlpRatio = double.NaN }.Validate()).ParamName);
        Assert.AreEqual("condition_tokens", Assert.ThrowsExactly<ArgumentException>(() => new DitConfig { CrossAttention = true }.Validate()).ParamName);
        new DitConfig().Validate();

        using (var model = DitTestModels.Create())
        {
            model.Save(_folder);
        }

        string config = Path.Combine(_folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"patch_size\": 4", "\"patch_size\": 5", StringComparison.Ordinal));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DitVelocityModel.Load(_folder));
        StringAssert.Contains(e.Message, "patch_size");
        StringAssert.Contains(e.Message, config);

        File.WriteAllText(config, "{\"sample_size\": 32, \"patch_sise\": 4}");
        e = Assert.ThrowsExactly<InvalidDataException>(() => DitVelocityModel.Load(_folder));
        StringAssert.Contains(e.Message, "patch_sise", "a misspelt key is rejected, not ignored");
    }
}
