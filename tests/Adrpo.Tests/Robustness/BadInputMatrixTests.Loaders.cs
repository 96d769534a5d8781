using System.Text.Json.Nodes;
using Adrpo.Generation;
using Adrpo.Models.Dit;
using Adrpo.Models.Language;
using Adrpo.Persistence;
using Adrpo.Tests.Models.Language;
using Adrpo.Tests.Text.Tokenization;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Text.Tokenization;
using static TorchSharp.torch;

namespace Adrpo.Tests.Robustness;

/// <content>Bad files for the loaders, and saves that must fail without leaving a partial file.</content>
public sealed partial class BadInputMatrixTests
{
    private static void EditJson(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    private static void Truncate(string path, double fraction)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength((long)(file.Length * fraction));
    }

    private string SaveTinyQwen(int seed = 1)
    {
        using var lm = new QwenForCausalLM(TinyQwen.Qwen3(), new TorchSharp.torch.Generator((ulong)seed));
        lm.SavePretrained(_dir);
        return _dir;
    }

    private static FlowMatchingGeneratorTransformer TinyGeneratorTransformer(int seed) =>
        new(new DitVelocityModel(FlowMatchingTestFixtures.TinyConfig, new TorchSharp.torch.Generator((ulong)seed)), new HashingTextEncoder(), new GenerationSettings());

    // ----- safetensors -----

    [TestMethod]
    public void SafeTensorsTruncatedFile()
    {
        string path = Path.Combine(_dir, "weights.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(16), ["b"] = ones(16) });
        Truncate(path, 0.8);
        Expect<InvalidDataException>("st-truncated", () => SafeTensorsFile.Load(path),
            $"'{path}' is not a valid safetensors file", "tensor 'b' has data_offsets [64, 128] outside the", "expected 0 <= begin <= end", "is the file truncated?");
    }

    [TestMethod]
    public void SafeTensorsFileThatIsJson()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(path, "{\"weight\": [1, 2, 3]}");
        Expect<InvalidDataException>("st-not-safetensors", () => SafeTensorsFile.ReadHeader(path),
            $"'{path}' is not a valid safetensors file", "its header claims", "bytes after the length prefix");
    }

    [TestMethod]
    public void SafeTensorsSaveWithAReservedName()
    {
        string path = Path.Combine(_dir, "keep.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(2) });
        var before = Snapshot(_dir);
        Expect<ArgumentException>("st-save-reserved-name", () => SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = ones(2) }),
            "Tensor name '__metadata__' is not allowed", "expected a non-empty name other than '__metadata__'");
        AssertFolderUnchanged(_dir, before);
    }

    [TestMethod]
    public void SafeTensorsSaveOntoAFolder()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        Directory.CreateDirectory(path);
        Expect<IOException>("st-save-onto-folder", () => SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(2) }),
            path, "a folder of that name exists; expected a file path");
        AssertFolderUnchanged(_dir, new Dictionary<string, byte[]>());
        Assert.AreEqual(0, Directory.GetFileSystemEntries(path).Length, "the folder is left as it was");
    }

    // ----- Qwen checkpoints -----

    [TestMethod]
    public void QwenConfigThatDoesNotMatchTheWeights()
    {
        string folder = SaveTinyQwen();
        EditJson(Path.Combine(folder, "config.json"), c => c["num_hidden_layers"] = 3);
        Expect<InvalidDataException>("qwen-config-mismatch", () => QwenForCausalLM.FromPretrained(folder),
            "The checkpoint does not match its config", "missing key 'model.layers.2.input_layernorm.weight' (expected shape [32]", "model.safetensors");
    }

    [TestMethod]
    public void QwenIntegerWeights()
    {
        string folder = SaveTinyQwen();
        string weights = Path.Combine(folder, "model.safetensors");
        var (tensors, _) = SafeTensorsFile.Load(weights);
        tensors["model.norm.weight"] = tensors["model.norm.weight"].to_type(ScalarType.Int32);
        SafeTensorsFile.Save(weights, tensors);
        Expect<InvalidDataException>("qwen-integer-weights", () => QwenForCausalLM.FromPretrained(folder),
            "key 'model.norm.weight'", "has dtype Int32; expected a floating-point dtype");
    }

    [TestMethod]
    public void QwenTruncatedWeights()
    {
        string folder = SaveTinyQwen();
        string weights = Path.Combine(folder, "model.safetensors");
        Truncate(weights, 0.5);
        Expect<InvalidDataException>("qwen-truncated", () => QwenForCausalLM.FromPretrained(folder),
            $"'{weights}' is not a valid safetensors file", "outside the", "is the file truncated?");
    }

    [TestMethod]
    public void QwenSaveWhereTheConfigIsAFolder()
    {
        string folder = SaveTinyQwen();
        File.Delete(Path.Combine(folder, "config.json"));
        Directory.CreateDirectory(Path.Combine(folder, "config.json"));
        var before = Snapshot(folder);
        using var other = new QwenForCausalLM(TinyQwen.Qwen3(), new TorchSharp.torch.Generator(2));
        Expect<IOException>("qwen-save-partial", () => other.SavePretrained(folder),
            "config.json", "a folder of that name exists; expected a file path", "Nothing was written");
        AssertFolderUnchanged(folder, before);
    }

    // ----- DiT generators and their generation settings -----

    [TestMethod]
    public void DitConfigThatDoesNotMatchTheWeights()
    {
        TinyGeneratorTransformer(1).Save(_dir);
        EditJson(Path.Combine(_dir, DitVelocityModel.ConfigFileName), c => c["hidden_size"] = 64);
        Expect<InvalidDataException>("dit-config-mismatch", () => DitVelocityModel.Load(_dir),
            Path.Combine(_dir, DitVelocityModel.WeightsFileName), "has shape [", "the model expects [",
            $"built from '{Path.Combine(_dir, DitVelocityModel.ConfigFileName)}'; the weights must match that config");
    }

    [TestMethod]
    public void GenerationSettingsWithBatchSizeZero()
    {
        // Before validation, batch_size 0 loaded fine and Generate never finished (its loop advanced by 0).
        TinyGeneratorTransformer(1).Save(_dir);
        string settings = Path.Combine(_dir, FlowMatchingGeneratorTransformer.GenerationConfigFileName);
        EditJson(settings, s => s["batch_size"] = 0);
        Expect<InvalidDataException>("gen-batch-size-zero", () => FlowMatchingGeneratorTransformer.Load(_dir, new HashingTextEncoder()),
            settings, "Generation setting 'batch_size' is 0; expected at least 1");
    }

    [TestMethod]
    public void GeneratorLoadedWithAnEncoderOfAnotherWidth()
    {
        TinyGeneratorTransformer(1).Save(_dir);
        Expect<ArgumentException>("gen-encoder-dimension", () => FlowMatchingGeneratorTransformer.Load(_dir, new ZeroEncoder(8)),
            "expects 16-d conditions", "the text encoder produces 8-d embeddings");
    }

    [TestMethod]
    public void GeneratorSaveWhereTheSettingsFileIsAFolder()
    {
        // Before the check, the weights and config.json were replaced and only then did the settings file fail.
        TinyGeneratorTransformer(1).Save(_dir);
        string settings = Path.Combine(_dir, FlowMatchingGeneratorTransformer.GenerationConfigFileName);
        File.Delete(settings);
        Directory.CreateDirectory(settings);
        var before = Snapshot(_dir);
        Expect<IOException>("gen-save-partial", () => TinyGeneratorTransformer(2).Save(_dir),
            settings, "a folder of that name exists; expected a file path", "Nothing was written");
        AssertFolderUnchanged(_dir, before);
    }

    [TestMethod]
    public void LanguageGenerationSettingsWithTopPAboveOne()
    {
        string settings = Path.Combine(_dir, CausalLanguageModelTransformer.SettingsFileName);
        File.WriteAllText(settings, "{\"top_p\": 2}");
        Expect<InvalidDataException>("lm-settings-top-p", () => CausalLanguageModelTransformer.Load(_dir),
            settings, "Generation setting 'top_p' is 2; expected a value in (0, 1]");
    }

    // ----- Tokenizers -----

    [TestMethod]
    public void TokenizerOfTheWrongKind()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, TinyTokenizerJson.Build(modelType: "Unigram").ToJsonString());
        Expect<InvalidDataException>("tok-wrong-kind", () => HuggingFaceTokenizer.FromFile(path),
            path, "holds a Unigram model", "only BPE models (model.type \"BPE\"");
    }

    [TestMethod]
    public void TokenizerMissingFromTheFolder()
    {
        Expect<FileNotFoundException>("tok-missing", () => HuggingFaceTokenizer.FromPretrained(_dir),
            $"Tokenizer file '{Path.Combine(_dir, "tokenizer.json")}' does not exist");
    }

    [TestMethod]
    public void TokenizerVocabularyIdThatIsAString()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        var json = TinyTokenizerJson.Build();
        json["model"]!["vocab"]!["h"] = "zero";
        File.WriteAllText(path, json.ToJsonString());
        Expect<InvalidDataException>("tok-vocab-id", () => HuggingFaceTokenizer.FromFile(path),
            path, "model.vocab[\"h\"] is \"zero\", not a non-negative integer id");
    }

    [TestMethod]
    public void TokenizerConfigNamingAnUnknownEosToken()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        string config = Path.Combine(_dir, "tokenizer_config.json");
        File.WriteAllText(path, TinyTokenizerJson.Build().ToJsonString());
        File.WriteAllText(config, "{\"eos_token\": \"<|nope|>\"}");
        Expect<InvalidDataException>("tok-unknown-eos", () => HuggingFaceTokenizer.FromFile(path, config),
            config, "eos_token \"<|nope|>\" is neither an added token nor in the vocabulary");
    }
}
