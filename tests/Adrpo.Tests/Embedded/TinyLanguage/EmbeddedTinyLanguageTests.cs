using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Text.Tokenization;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Tests.Embedded.TinyLanguage;

[TestClass]
public sealed class EmbeddedTinyLanguageTests
{
    private static string s_cache = null!;

    [ClassInitialize]
    public static void Extract(TestContext _)
    {
        s_cache = Path.Combine(Path.GetTempPath(), "adrpo-tinylm-" + Guid.NewGuid().ToString("N"));
        EmbeddedTinyLanguage.ExtractWeights(s_cache);
    }

    [ClassCleanup]
    public static void Remove()
    {
        if (Directory.Exists(s_cache))
        {
            Directory.Delete(s_cache, recursive: true);
        }
    }

    [TestMethod]
    public void ExtractionWritesEveryFileAndRepairsAChangedOne()
    {
        foreach (string file in EmbeddedTinyLanguage.Files)
        {
            Assert.IsTrue(new FileInfo(Path.Combine(s_cache, file)).Length > 0, file);
        }

        string config = Path.Combine(s_cache, "config.json");
        string original = File.ReadAllText(config);
        File.WriteAllText(config, original.Replace("qwen3", "qwen9", StringComparison.Ordinal)); // same length, other bytes
        EmbeddedTinyLanguage.ExtractWeights(s_cache);
        Assert.AreEqual(original, File.ReadAllText(config));
    }

    [TestMethod]
    public void TheEmbeddedModelLoadsStrictlyAndGreedilyAnswersAHeldOutPromptUntilImEnd()
    {
        var tokenizer = EmbeddedTinyLanguage.LoadTokenizer(s_cache);
        using var model = EmbeddedTinyLanguage.LoadModel(s_cache);
        int imEnd = tokenizer.SpecialTokens[ChatMlFormatter.ImEnd];
        Assert.AreEqual("qwen3", model.Config.ModelType);
        Assert.AreEqual(tokenizer.VocabularySize, model.Config.VocabSize);
        CollectionAssert.AreEqual(new long[] { imEnd }, model.Config.EosTokenId!.ToArray());
        Assert.AreEqual(imEnd, tokenizer.EosTokenId);
        Assert.IsNotNull(tokenizer.ChatFormatter);
        long parameters = model.parameters().Sum(p => p.numel());
        Assert.IsTrue(parameters is > 300_000 and < 3_000_000, $"{parameters} parameters");

        string prompt = EmbeddedTinyLanguage.TestPrompts[0];
        Assert.IsFalse(EmbeddedTinyLanguage.TrainPrompts.Contains(prompt));
        var ids = tokenizer.Encode(TinyLanguageModelTraining.Formatter.FormatPrompt(prompt)).Select(i => (long)i).ToArray();
        using var scope = NewDisposeScope();
        var generator = new QwenGenerator(model, seed: 0);
        using var result = generator.Generate(tensor(ids).unsqueeze(0), ones(1, ids.Length, dtype: ScalarType.Int64), new QwenGenerationOptions { MaxNewTokens = 64, Temperature = 0 });
        long[] generated = result.Tokens[0].data<long>().ToArray();
        Assert.AreEqual(imEnd, generated[^1], "greedy generation should stop at <|im_end|> within 64 tokens");
        string reply = tokenizer.Decode(generated.Select(i => (int)i), skipSpecialTokens: true).Trim();
        Console.WriteLine($"{prompt} -> {reply}");
        Assert.IsTrue(reply.Length > 0);
        Assert.IsNotNull(TinyLanguageCorpus.Classify(reply), $"the greedy reply '{reply}' should be in the corpus's style");
    }

    [TestMethod]
    public void TheEmbeddedRewardIsAnMlNetTransformerThatPrefersHelpfulReplies()
    {
        var ml = new MLContext(seed: 1);
        using var encoder = new MiniLmTextEncoder();
        var reward = EmbeddedTinyLanguage.LoadRewardModel(ml, encoder, cacheRoot: s_cache);
        var scorer = new RewardScorer(ml, new[] { reward });
        scorer.ValidateSchema();
        string prompt = EmbeddedTinyLanguage.TestPrompts[1];
        var random = new Random(5);
        string helpful = TinyLanguageCorpus.Reply(prompt, ReplyStyle.Helpful, random).Reply;
        string plain = TinyLanguageCorpus.Reply(prompt, ReplyStyle.Plain, random).Reply;
        string curt = TinyLanguageCorpus.Reply(prompt, ReplyStyle.Curt, random).Reply;
        var batch = scorer.Score(new[] { prompt, prompt, prompt, prompt, "How was your weekend?", "How was your weekend?" },
            new[] { helpful, plain, curt, "", "It was delightful, thank you! We cooked together and watched the stars.", "Nope. Hated it." });
        float[] s = batch.PerModel[TinyLanguageReward.RewardName];
        Console.WriteLine(string.Join(", ", s.Select(x => x.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.IsTrue(s[0] > 0.7f && s[2] < 0.3f, $"helpful {s[0]}, curt {s[2]}");
        Assert.IsTrue(s[0] > s[1] && s[1] > s[2], $"helpful {s[0]} > plain {s[1]} > curt {s[2]}");
        Assert.IsTrue(float.IsFinite(s[3]), "an empty reply gets a finite score");
        Assert.IsTrue(s[4] > s[5] + 0.2f, $"outside the grammar: polite {s[4]} vs curt {s[5]}");

        // The same transformer, applied directly to an IDataView, gives the same scores.
        var view = ml.Data.LoadFromEnumerable(new[] { new TinyLanguageReward.TextInput { Prompt = prompt, Completion = helpful } });
        Assert.AreEqual(s[0], reward.Transformer!.Transform(view).GetColumn<float>("Score").Single(), 1e-6f);
    }
}
