using Adrpo.Generation;
using Adrpo.Tests.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Robustness;

// mlContext.Model.Save on Adrpo transformers: ML.NET's zip cannot hold them, and ML.NET creates the file before it asks
// the transformer to save. Each case expects the refusal to name Save(folder)/Load(folder) and no file to remain.
public sealed partial class BadInputMatrixTests
{
    private static readonly MLContext ZipContext = new(seed: 1);

    private static DataViewSchema PromptSchema() =>
        ZipContext.Data.LoadFromEnumerable(new[] { new PromptOnly { Prompt = "a" } }).Schema;

    [TestMethod]
    public void ModelZipOfAFlowMatchingGenerator()
    {
        string zip = Path.Combine(_dir, "model.zip");
        Expect<NotSupportedException>("zip-save-generator", () => ZipContext.Model.Save(TinyGeneratorTransformer(1), PromptSchema(), zip),
            "FlowMatchingGeneratorTransformer.Save(folder)", "FlowMatchingGeneratorTransformer.Load(folder, textEncoder)",
            "keeps ModelSaveContext's writing members internal", $"No file was left at '{zip}'");
        Assert.IsFalse(File.Exists(zip), "no partial model.zip may remain");
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(_dir));
    }

    [TestMethod]
    public void ModelZipOfACausalLanguageModel()
    {
        string zip = Path.Combine(_dir, "model.zip");
        using var model = AdrpoGrpoTrainerTests.TinyModel();
        var lm = new CausalLanguageModelTransformer(model, AdrpoGrpoTrainerTests.Tokenizer(), new LanguageGenerationSettings());
        Expect<NotSupportedException>("zip-save-language-model", () => ZipContext.Model.Save(lm, PromptSchema(), zip),
            "CausalLanguageModelTransformer.Save(folder)", "CausalLanguageModelTransformer.Load(folder)", $"No file was left at '{zip}'");
        Assert.IsFalse(File.Exists(zip), "no partial model.zip may remain");
    }

    [TestMethod]
    public void ModelZipOfAChainThatEndsInAGenerator()
    {
        // A pipeline's Fit returns a TransformerChain; the chain saves its first step, then asks the generator.
        string zip = Path.Combine(_dir, "pipeline.zip");
        var data = ZipContext.Data.LoadFromEnumerable(new[] { new PromptOnly { Prompt = "a" } });
        var copy = ZipContext.Transforms.CopyColumns("Text", "Prompt").Fit(data);
        var chain = new TransformerChain<ITransformer>(copy, TinyGeneratorTransformer(1));
        Expect<NotSupportedException>("zip-save-chain", () => ZipContext.Model.Save(chain, data.Schema, zip),
            "FlowMatchingGeneratorTransformer.Save(folder)", $"No file was left at '{zip}'");
        Assert.IsFalse(File.Exists(zip), "no partial pipeline.zip may remain");
    }

    [TestMethod]
    public void ModelZipToACallersMemoryStreamIsRefusedToo()
    {
        // A stream the caller owns is not a file: the refusal still explains, and nothing on disk is touched.
        using var stream = new MemoryStream();
        Expect<NotSupportedException>("zip-save-stream", () => ZipContext.Model.Save(TinyGeneratorTransformer(1), PromptSchema(), stream),
            "FlowMatchingGeneratorTransformer.Save(folder)");
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(_dir));
    }

    private sealed class PromptOnly
    {
        public string Prompt { get; set; } = string.Empty;
    }
}
