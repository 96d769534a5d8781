using System.Text.Json;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Text.Tokenization;

namespace Adrpo.Tests.Embedded.TinyLanguage;

[TestClass]
public sealed class ByteLevelBpeTrainerTests
{
    private static string WriteTemp(string json)
    {
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-bpe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, HuggingFaceTokenizer.TokenizerFileName);
        File.WriteAllText(path, json);
        return path;
    }

    [TestMethod]
    public void TheMostFrequentPairIsMergedFirst()
    {
        // Pieces: "ab", " ab" x2, " cd": (a, b) occurs 3 times, (Ġ, a) twice.
        var (_, merges) = ByteLevelBpeTrainer.Train(new[] { "ab ab ab cd" }, mergeCount: 2);
        Assert.AreEqual(("a", "b"), merges[0]);
        Assert.AreEqual(("Ġ", "ab"), merges[1]);
    }

    [TestMethod]
    public void ATrainedTokenizerIsALoadableHuggingFaceFileThatRoundTripsTheCorpus()
    {
        var turns = TinyLanguageCorpus.Generate(TinyLanguageCorpus.AllPrompts, 1500, seed: 2)
            .Select(t => TinyLanguageModelTraining.FormatTurn(t.Prompt, t.Reply)).ToList();
        var (json, merges) = ByteLevelBpeTrainer.Train(turns, mergeCount: 300);
        Assert.AreEqual(json, ByteLevelBpeTrainer.Train(turns, mergeCount: 300).Json, "training is deterministic");
        Assert.AreEqual(300, merges.Count);

        using (var document = JsonDocument.Parse(json))
        {
            var root = document.RootElement;
            Assert.AreEqual("BPE", root.GetProperty("model").GetProperty("type").GetString());
            Assert.AreEqual("NFC", root.GetProperty("normalizer").GetProperty("type").GetString());
            Assert.AreEqual("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());
            var added = root.GetProperty("added_tokens").EnumerateArray().ToList();
            CollectionAssert.AreEqual(new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" }, added.Select(a => a.GetProperty("content").GetString()).ToArray());
            Assert.IsTrue(added.All(a => a.GetProperty("special").GetBoolean()));
        }

        var tokenizer = HuggingFaceTokenizer.FromFile(WriteTemp(json));
        int distinctMerged = merges.Select(m => m.Left + m.Right).Distinct().Count();
        Assert.AreEqual(256 + distinctMerged + 3, tokenizer.VocabularySize);
        Assert.AreEqual(256 + distinctMerged + 2, tokenizer.SpecialTokens["<|im_end|>"]);
        long tokens = 0, bytes = 0;
        foreach (string turn in turns)
        {
            var ids = tokenizer.Encode(turn);
            Assert.AreEqual(turn, tokenizer.Decode(ids));
            // A turn closes the user's and the assistant's message: each marker is one special token, twice.
            Assert.AreEqual(2, ids.Count(id => id == tokenizer.SpecialTokens["<|im_end|>"]), turn);
            Assert.AreEqual(2, ids.Count(id => id == tokenizer.SpecialTokens["<|im_start|>"]), turn);
            tokens += ids.Count;
            bytes += System.Text.Encoding.UTF8.GetByteCount(turn);
        }

        Assert.IsTrue(tokens * 3 < bytes, $"{tokens} tokens for {bytes} bytes: the merges should compress the corpus at least 3x");
        // Text outside the corpus still round-trips through the 256 byte tokens.
        const string other = "Zebras & café — naïve 日本語 ✓ 123\n\tend";
        Assert.AreEqual(other, tokenizer.Decode(tokenizer.Encode(other)));
    }
}
