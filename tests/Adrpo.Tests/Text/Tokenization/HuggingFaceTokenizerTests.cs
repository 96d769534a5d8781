using System.Text;
using System.Text.Json.Nodes;
using Adrpo.Text.Tokenization;
using static Adrpo.Tests.Text.Tokenization.TinyTokenizerJson;

namespace Adrpo.Tests.Text.Tokenization;

[TestClass]
public sealed class HuggingFaceTokenizerTests
{
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string Write(JsonNode json, string name = "tokenizer.json") => WriteText(json.ToJsonString(), name);

    private string WriteText(string text, string name)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private HuggingFaceTokenizer Tiny(bool mergesAsPairs = true) => HuggingFaceTokenizer.FromFile(Write(Build(mergesAsPairs)));

    private static void Ids(IReadOnlyList<int> actual, params int[] expected) =>
        CollectionAssert.AreEqual(expected, actual.ToArray(), $"ids [{string.Join(", ", actual)}]");

    [TestMethod]
    public void EncodesByHandComputedMergesInRankOrder()
    {
        // "hello": h e l l o -> he l l o -> he ll o -> he llo -> hello. " world": Ġ w o r l d -> Ġw o r l d ->
        // Ġw or l d ("o r" outranks "Ġw o") -> Ġwor l d; no merge joins l and d.
        Ids(Tiny().Encode("hello world"), Hello, GWor, L, D);
    }

    [TestMethod]
    public void IgnoreMergesTakesAWordThatIsAVocabularyTokenWhole()
    {
        // Llama 3's layout: Split regex (Isolated) then ByteLevel (use_regex false), TemplateProcessing adding a BOS, and
        // model.ignore_merges. The regex makes " world" one piece, "Ġworld" after the byte-level map. Merges alone give
        // Ġ w o r l d -> Ġw o r l d -> Ġw or l d -> Ġwor l d (no merge joins l and d), ids 14 2 7; "Ġworld" is token 22,
        // which no merge makes, so only the whole-word lookup of BPE::tokenize_with_cache (ignore_merges) reaches it.
        var template = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(
                new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            ["pair"] = new JsonArray(),
            ["special_tokens"] = new JsonObject
            {
                ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(Bos), ["tokens"] = new JsonArray("<s>") },
            },
        };
        var llama3 = HuggingFaceTokenizer.FromFile(Write(Build(ignoreMerges: true, nfc: false, postProcessor: template), "llama3.json"));
        var plain = HuggingFaceTokenizer.FromFile(Write(Build(nfc: false, postProcessor: template.DeepClone()), "plain.json"));

        Ids(plain.Encode("hello world"), Hello, GWor, L, D);
        Ids(llama3.Encode("hello world"), Hello, GWorld);
        Ids(llama3.Encode("hello world", addSpecialTokens: true), Bos, Hello, GWorld);
        // "Ġworlds" is not a token, so it is merged as usual: Ġwor l d s.
        Ids(llama3.Encode(" worlds"), GWor, L, D, ByteId((byte)'s'));
        // "hello" is a token that the merges make too (h e -> he, l l -> ll, ll o -> llo, he llo -> hello): 11 either way.
        Ids(llama3.Encode("hello"), Hello);
        // Added tokens are still cut out first; " world" after <|end|> is again one piece.
        Ids(llama3.Encode("hello<|end|> world<tool>!"), Hello, End, GWorld, Tool, Bang);

        Assert.AreEqual("<s>hello world", llama3.Decode(new[] { Bos, Hello, GWorld }));
        Assert.AreEqual("hello world", llama3.Decode(new[] { Bos, Hello, GWorld }, skipSpecialTokens: true));
        foreach (string text in new[] { "hello world", "  tabs\tand\nnewlines\r\n", "日本語 and emoji 😀", "<|end|>x<tool>", "" })
        {
            Assert.AreEqual(text, llama3.Decode(llama3.Encode(text)), $"round trip of {text}");
        }

        Assert.AreEqual("\uFFFD", llama3.Decode(new[] { ByteId(0xE6) }), "a lone lead byte decodes to U+FFFD (from_utf8_lossy)");
        Assert.ThrowsExactly<NotSupportedException>(() => llama3.UnderlyingTokenizer, "BpeTokenizer has no ignore_merges");
        Assert.IsNotNull(plain.UnderlyingTokenizer);
    }

    [TestMethod]
    public void MergesAsStringsAndAsPairsGiveTheSameIds()
    {
        string text = "hello world! hello\n12";
        var pairs = Tiny(mergesAsPairs: true).Encode(text);
        var strings = HuggingFaceTokenizer.FromFile(Write(Build(mergesAsPairs: false), "strings.json")).Encode(text);
        Ids(pairs, Hello, GWor, L, D, Bang, ByteId((byte)' '), Hello, ByteId((byte)'\n'), ByteId((byte)'1'), ByteId((byte)'2'));
        CollectionAssert.AreEqual(pairs.ToArray(), strings.ToArray());
    }

    [TestMethod]
    public void AddedTokensAreMatchedWholeAndNeverSplit()
    {
        var tokenizer = Tiny();
        Ids(tokenizer.Encode("hello<|end|> world<tool>!"), Hello, End, GWor, L, D, Tool, Bang);
        Ids(tokenizer.Encode("<|end|><|end|>"), End, End);
        // An incomplete added token is ordinary text: its bytes, one token each (no merges apply).
        Ids(tokenizer.Encode("<|end|"), "<|end|".Select(c => ByteId((byte)c)).ToArray());
    }

    [TestMethod]
    public void DecodeKeepsAddedTokensAndSkipsOnlySpecialOnes()
    {
        var tokenizer = Tiny();
        int[] ids = { Hello, End, GWor, L, D, Tool, Bang };
        Assert.AreEqual("hello<|end|> world<tool>!", tokenizer.Decode(ids));
        Assert.AreEqual("hello world<tool>!", tokenizer.Decode(ids, skipSpecialTokens: true), "<tool> is added but not special");
        Assert.AreEqual("hello world", tokenizer.Decode(new[] { Hello, 999_999, GWor, L, D }), "ids without a token are skipped");
    }

    [TestMethod]
    public void DecodeInvertsEncodeForAnyText()
    {
        var tokenizer = Tiny();
        foreach (string text in new[] { "hello world", "  tabs\tand\nnewlines\r\n", "日本語 and emoji 😀", "<|end|>x<tool>", "" })
        {
            Assert.AreEqual(text, tokenizer.Decode(tokenizer.Encode(text)), $"round trip of {text}");
        }

        Assert.AreEqual("\uFFFD", tokenizer.Decode(new[] { ByteId(0xE6) }), "a lone lead byte decodes to U+FFFD");
    }

    [TestMethod]
    public void NfcNormalizerComposesDecomposedInputOnlyWhenConfigured()
    {
        var nfc = Tiny();
        Ids(nfc.Encode("\u00e9"), EAcute);
        Ids(nfc.Encode("e\u0301"), EAcute);
        var raw = HuggingFaceTokenizer.FromFile(Write(Build(nfc: false), "raw.json"));
        Ids(raw.Encode("\u00e9"), EAcute);
        Ids(raw.Encode("e\u0301"), 1, 1000 + 0xCC, 1000 + 0x81); // U+0301 is UTF-8 CC 81
    }

    [TestMethod]
    public void SplitRegexComesFromTheFile()
    {
        // Qwen's regex takes digits one at a time; GPT-2's (ByteLevel use_regex) keeps " 123" together, so "1 2" merges.
        Ids(Tiny().Encode("123"), ByteId((byte)'1'), ByteId((byte)'2'), ByteId((byte)'3'));
        var gpt2 = HuggingFaceTokenizer.FromFile(Write(Build(preTokenizer: ByteLevel(useRegex: true)), "gpt2.json"));
        Ids(gpt2.Encode("123"), Twelve, ByteId((byte)'3'));
    }

    [TestMethod]
    public void TextBetweenSplitMatchesIsKeptAsItsOwnPiece()
    {
        // Split behavior "Isolated": with the regex \p{L}+ the space between words is a piece of its own, not dropped.
        var letters = HuggingFaceTokenizer.FromFile(Write(Build(preTokenizer: QwenPreTokenizer(@"\p{L}+")), "letters.json"));
        Ids(letters.Encode("hello world"), Hello, Space, W, Or, L, D);
        Assert.AreEqual("hello world!", letters.Decode(letters.Encode("hello world!")));
    }

    [TestMethod]
    public void TemplatePostProcessorAddsItsTokensOnlyWhenAsked()
    {
        var template = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(
                new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            ["pair"] = new JsonArray(),
            ["special_tokens"] = new JsonObject
            {
                ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(Bos), ["tokens"] = new JsonArray("<s>") },
            },
        };
        var tokenizer = HuggingFaceTokenizer.FromFile(Write(Build(postProcessor: new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(ByteLevel(), template),
        })));
        Ids(tokenizer.Encode("hello", addSpecialTokens: true), Bos, Hello);
        Ids(tokenizer.Encode("hello"), Hello);
        Ids(Tiny().Encode("hello", addSpecialTokens: true), Hello); // ByteLevel post-processor (Qwen) adds nothing
    }

    [TestMethod]
    public void PicksTheChatFormatterFromTheTemplateAndWritesTheConfiguredBosToken()
    {
        string config = Write(new JsonObject
        {
            ["bos_token"] = "<s>",
            ["chat_template"] = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}",
        }, "tokenizer_config.json");
        var tokenizer = HuggingFaceTokenizer.FromFile(Write(Build()), config);
        Assert.IsInstanceOfType<MistralChatFormatter>(tokenizer.ChatFormatter);
        string prompt = tokenizer.ChatFormatter.FormatPrompt("Hi");
        Assert.AreEqual("<s>[INST] Hi [/INST]", prompt);
        Assert.AreEqual(Bos, tokenizer.Encode(prompt)[0], "the template's bos_token text encodes as the special token");
    }

    [TestMethod]
    public void ReportsVocabularySpecialTokensAndConfiguredRoles()
    {
        string config = Write(new JsonObject
        {
            ["bos_token"] = null,
            ["eos_token"] = "<|end|>",
            ["pad_token"] = new JsonObject { ["content"] = "<tool>", ["special"] = false }, // the older AddedToken form
        }, "tokenizer_config.json");
        var tokenizer = HuggingFaceTokenizer.FromFile(Write(Build()), config);

        Assert.AreEqual(256 + Named.Count(t => t.Token.Length > 1) + 3, tokenizer.VocabularySize);
        Assert.IsNull(tokenizer.BosTokenId);
        Assert.AreEqual(End, tokenizer.EosTokenId);
        Assert.AreEqual(Tool, tokenizer.PadTokenId);
        CollectionAssert.AreEquivalent(new[] { "<|end|>", "<s>" }, tokenizer.SpecialTokens.Keys.ToArray());
        CollectionAssert.AreEquivalent(new[] { "<|end|>", "<tool>", "<s>" }, tokenizer.AddedTokens.Keys.ToArray());
        Assert.AreEqual(GWor, tokenizer.TokenToId("Ġwor"));
        Assert.AreEqual(End, tokenizer.TokenToId("<|end|>"));
        Assert.IsNull(tokenizer.TokenToId(" wor"), "vocabulary tokens are looked up in byte-level form");
        Assert.AreEqual("Ġwor", tokenizer.IdToToken(GWor));
        Assert.IsNull(tokenizer.IdToToken(-1));
        Assert.IsNull(tokenizer.ChatFormatter, "no chat_template in this configuration");

        var bare = Tiny();
        Assert.IsNull(bare.EosTokenId, "without tokenizer_config.json no token has a role");
        Assert.IsNull(bare.PadTokenId);
    }

    [TestMethod]
    public void WrongModelTypeNamesTheTypeAndTheFile()
    {
        var json = Build(modelType: "WordPiece");
        string path = Write(json, "bert-tokenizer.json");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceTokenizer.FromFile(path));
        StringAssert.Contains(e.Message, "WordPiece");
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "wrong kind");
    }

    [TestMethod]
    public void TruncatedOrCorruptJsonNamesTheFile()
    {
        string full = Build().ToJsonString();
        string truncated = WriteText(full[..(full.Length / 2)], "truncated.json");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceTokenizer.FromFile(truncated));
        StringAssert.Contains(e.Message, truncated);

        string garbage = WriteText("\u0000\u0001 not json", "garbage.json");
        e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceTokenizer.FromFile(garbage));
        StringAssert.Contains(e.Message, garbage);

        var noModel = Build();
        noModel.Remove("model");
        string missing = Write(noModel, "nomodel.json");
        e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceTokenizer.FromFile(missing));
        StringAssert.Contains(e.Message, missing);
        StringAssert.Contains(e.Message, "model");

        var badMerge = Build(mergesAsPairs: false);
        badMerge["model"]!["merges"]!.AsArray().Add("nospace");
        string merge = Write(badMerge, "badmerge.json");
        e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceTokenizer.FromFile(merge));
        StringAssert.Contains(e.Message, "nospace");

        string config = WriteText("{\"eos_token\": \"<|end|>\",", "tokenizer_config.json");
        e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceTokenizer.FromFile(Write(Build()), config));
        StringAssert.Contains(e.Message, config);

        Assert.ThrowsExactly<FileNotFoundException>(() => HuggingFaceTokenizer.FromFile(Path.Combine(_dir, "absent.json")));
    }

    [TestMethod]
    public void UnsupportedComponentsAreNamedNotIgnored()
    {
        var lowercase = Build(normalizer: new JsonObject { ["type"] = "Lowercase" });
        var e = Assert.ThrowsExactly<NotSupportedException>(() => HuggingFaceTokenizer.FromFile(Write(lowercase, "lower.json")));
        StringAssert.Contains(e.Message, "Lowercase");

        var digits = Build(preTokenizer: new JsonObject { ["type"] = "Digits", ["individual_digits"] = true });
        e = Assert.ThrowsExactly<NotSupportedException>(() => HuggingFaceTokenizer.FromFile(Write(digits, "digits.json")));
        StringAssert.Contains(e.Message, "Digits");

        var dropout = Build();
        dropout["model"]!["dropout"] = 0.1;
        e = Assert.ThrowsExactly<NotSupportedException>(() => HuggingFaceTokenizer.FromFile(Write(dropout, "dropout.json")));
        StringAssert.Contains(e.Message, "dropout");

        var wordPieceDecoder = Build();
        wordPieceDecoder["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true };
        e = Assert.ThrowsExactly<NotSupportedException>(() => HuggingFaceTokenizer.FromFile(Write(wordPieceDecoder, "wordpiece.json")));
        StringAssert.Contains(e.Message, "WordPiece");

        var regexReplace = Build(normalizer: new JsonObject
        {
            ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " +" }, ["content"] = " ",
        });
        e = Assert.ThrowsExactly<NotSupportedException>(() => HuggingFaceTokenizer.FromFile(Write(regexReplace, "regex-replace.json")));
        StringAssert.Contains(e.Message, "Replace");

        var lstrip = Build();
        lstrip["added_tokens"]![0]!["lstrip"] = true;
        e = Assert.ThrowsExactly<NotSupportedException>(() => HuggingFaceTokenizer.FromFile(Write(lstrip, "lstrip.json")));
        StringAssert.Contains(e.Message, "<|end|>");
    }

    [TestMethod]
    public void SaveWritesTheLoadedFilesByteForByteAndAtomically()
    {
        string source = Path.Combine(_dir, "source");
        Directory.CreateDirectory(source);
        // Unusual formatting on purpose: Save must copy the files, not re-serialize them.
        File.WriteAllText(Path.Combine(source, "tokenizer.json"), Build().ToJsonString(new() { WriteIndented = true }) + "\n");
        File.WriteAllText(Path.Combine(source, "tokenizer_config.json"), "{ \"eos_token\": \"<|end|>\",\n  \"chat_template\": \"{{ '<|im_start|>' }}\" }");
        File.WriteAllText(Path.Combine(source, "chat_template.jinja"), "{%- for m in messages %}<|im_start|>{{ m.content }}{% endfor %}{# enable_thinking <think> #}");
        var original = HuggingFaceTokenizer.FromPretrained(source);

        string target = Path.Combine(_dir, "export", "tokenizer");
        original.Save(target);
        File.WriteAllText(Path.Combine(target, "tokenizer.json"), "stale");
        original.Save(target); // overwrites

        foreach (string name in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja" })
        {
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(source, name)), File.ReadAllBytes(Path.Combine(target, name)), name);
        }

        CollectionAssert.AreEquivalent(new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja" },
            Directory.GetFiles(target).Select(Path.GetFileName).ToArray(), "no temporary files are left behind");

        var reloaded = HuggingFaceTokenizer.FromPretrained(target);
        CollectionAssert.AreEqual(original.Encode("hello<|end|> world").ToArray(), reloaded.Encode("hello<|end|> world").ToArray());
        Assert.AreEqual(End, reloaded.EosTokenId);
        Assert.IsNotNull(reloaded.ChatFormatter, "chat_template.jinja takes precedence over the configuration's template");
        Assert.IsTrue(reloaded.ChatFormatter.SupportsThinkingSwitch);
    }
}
