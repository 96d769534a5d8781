using System.Text;
using System.Text.Json.Nodes;
using Adrpo.Text.Tokenization;
using static Adrpo.Tests.Text.Tokenization.TinySentencePieceJson;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// SentencePiece-converted BPE tokenizer.json files (Llama 2, Mistral) on the hand-made vocabulary of
/// <see cref="TinySentencePieceJson"/>; every expected id list is worked out by hand from the Hugging Face
/// <c>tokenizers</c> rules (normalizers/prepend.rs, replace.rs, pre_tokenizers/metaspace.rs, models/bpe/model.rs,
/// decoders/byte_fallback.rs, fuse.rs, strip.rs).
/// </summary>
[TestClass]
public sealed class SentencePieceBpeTests
{
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-sp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private HuggingFaceTokenizer Load(JsonNode json, string name = "tokenizer.json")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json.ToJsonString(), new UTF8Encoding(false));
        return HuggingFaceTokenizer.FromFile(path);
    }

    private static void Ids(IReadOnlyList<int> actual, params int[] expected) =>
        CollectionAssert.AreEqual(expected, actual.ToArray(), $"ids [{string.Join(", ", actual)}]");

    [TestMethod]
    public void WordsMergeFullyInRankOrder()
    {
        var tokenizer = Load(Legacy());
        // Prepend + Replace: "▁hello▁world", one word (no pre-tokenizer). Symbols ▁ h e l l o ▁ w o r l d; by rank:
        // (0) ▁ h -> ▁h, (1) l l -> ll, (2) ▁h e -> ▁he, (3) ll o -> llo, (4) ▁he llo -> ▁hello, (5) o r -> or; the
        // queued (6) w o is now stale (w is next to "or"), (7) ▁ w -> ▁w, (8) ▁w or -> ▁wor, (9) l d -> ld,
        // (10) ▁wor ld -> ▁world.
        Ids(tokenizer.Encode("hello world"), MetaHello, MetaWorld);
        Ids(tokenizer.Encode("hello world", addSpecialTokens: true), Bos, MetaHello, MetaWorld);
        // "▁wo": (6) w o outranks (7) ▁ w, so ▁ + wo; merging leftmost-first would give ▁w + o.
        Ids(tokenizer.Encode("wo"), Meta, Wo);
        Assert.AreEqual("hello world", tokenizer.Decode(new[] { MetaHello, MetaWorld }));
        Assert.AreEqual(3 + 256 + Pieces.Length, tokenizer.VocabularySize);
        Assert.AreEqual(MetaHello, tokenizer.TokenToId("▁hello"));
        Assert.ThrowsExactly<NotSupportedException>(() => tokenizer.UnderlyingTokenizer, "BpeTokenizer has no byte fallback");
    }

    [TestMethod]
    public void CharactersOutsideTheVocabularyFallBackToTheirUtf8Bytes()
    {
        var tokenizer = Load(Legacy());
        // "▁hello▁é": é is not a piece, so its UTF-8 bytes C3 A9 become <0xC3> <0xA9> (ids 3 + byte); ▁ h e l l o merge
        // to ▁hello as above and nothing merges with the byte tokens.
        Ids(tokenizer.Encode("hello é"), MetaHello, Meta, ByteId(0xC3), ByteId(0xA9));
        // "▁€": € is E2 82 AC.
        Ids(tokenizer.Encode("€"), Meta, ByteId(0xE2), ByteId(0x82), ByteId(0xAC));
        // A character outside the Basic Multilingual Plane is one character (four bytes), not two surrogates.
        Ids(tokenizer.Encode("😀"), Meta, ByteId(0xF0), ByteId(0x9F), ByteId(0x98), ByteId(0x80));
    }

    [TestMethod]
    public void WithoutByteFallbackUnknownCharactersBecomeUnkFusedWhenAsked()
    {
        // "▁hello▁€é": € and é are unknown; fuse_unk makes the run one <unk>, without it each is one.
        Ids(Load(Legacy(byteFallback: false, fuseUnknown: true), "fuse.json").Encode("hello €é"), MetaHello, Meta, Unk);
        Ids(Load(Legacy(byteFallback: false, fuseUnknown: false), "nofuse.json").Encode("hello €é"), MetaHello, Meta, Unk, Unk);
        // "▁é▁hello": the pending <unk> is written when the known ▁ follows it.
        Ids(Load(Legacy(byteFallback: false), "fuse2.json").Encode("é hello"), Meta, Unk, MetaHello);
    }

    [TestMethod]
    public void PrependAddsTheLeadingMetaspaceAndStripRemovesItOnDecode()
    {
        var tokenizer = Load(Legacy());
        // " hello" -> Prepend "▁ hello" -> Replace "▁▁hello": ▁ ▁ h e l l o; no merge joins ▁ ▁, so ▁ + ▁hello.
        Ids(tokenizer.Encode(" hello"), Meta, MetaHello);
        // Decode: Replace gives " ", " hello"; Fuse "  hello"; Strip(" ", 1, 0) removes exactly one leading space.
        Assert.AreEqual(" hello", tokenizer.Decode(new[] { Meta, MetaHello }));
        Assert.AreEqual("hello", tokenizer.Decode(new[] { MetaHello }));
        // Added tokens are cut out of the raw text first and each stretch between them is normalized on its own
        // (added_vocabulary.rs extract_and_normalize), so "hello" after <s> gets its own ▁.
        Ids(tokenizer.Encode("<s>hello</s>"), Bos, MetaHello, Eos);
        // Decode runs added tokens through the decoder too: "<s>", " hello" fuse to "<s> hello", which Strip leaves.
        Assert.AreEqual("<s> hello</s>", tokenizer.Decode(new[] { Bos, MetaHello, Eos }));
        Assert.AreEqual("hello", tokenizer.Decode(new[] { Bos, MetaHello, Eos }, skipSpecialTokens: true));
        Ids(tokenizer.Encode(""));
        Ids(tokenizer.Encode("", addSpecialTokens: true), Bos);
    }

    [TestMethod]
    public void ByteFallbackDecodesBytesToTextAndInvalidUtf8ToOneReplacementPerByte()
    {
        var tokenizer = Load(Legacy());
        // " hello", then <0xC3> <0xA9> is the valid UTF-8 of é: "hello é" after Strip.
        Assert.AreEqual("hello é", tokenizer.Decode(new[] { MetaHello, Meta, ByteId(0xC3), ByteId(0xA9) }));
        Assert.AreEqual("A hello", tokenizer.Decode(new[] { ByteId(0x41), MetaHello }));
        // A run of byte tokens that is not valid UTF-8 becomes one U+FFFD per byte (byte_fallback.rs), not one per
        // invalid sequence: E2 82 (a truncated €) gives two, and in 41 C3 even the valid 'A' is replaced.
        Assert.AreEqual("\uFFFD", tokenizer.Decode(new[] { ByteId(0xC3) }));
        Assert.AreEqual("hello\uFFFD\uFFFD world", tokenizer.Decode(new[] { MetaHello, ByteId(0xE2), ByteId(0x82), MetaWorld }));
        Assert.AreEqual("\uFFFD\uFFFD", tokenizer.Decode(new[] { ByteId(0x41), ByteId(0xC3) }));
        Assert.AreEqual("hello", tokenizer.Decode(new[] { MetaHello, 999_999 }), "ids without a token are skipped");

        foreach (string text in new[] { "hello wörld €5 日本 😀", "  two leading spaces", "tabs\tand\nnewlines\r\n", "" })
        {
            Assert.AreEqual(text, tokenizer.Decode(tokenizer.Encode(text)), $"round trip of {text}");
        }
    }

    [TestMethod]
    public void NormalizedAddedTokensAreMatchedByTheirNormalizedContent()
    {
        // added_vocabulary.rs: a token with normalized = true is looked for in the normalized text by its normalized
        // content, here Prepend makes "</s>" into "▁</s>". So in "hello</s>" (normalized "▁hello</s>") it is not
        // found and < / s > fall back to bytes 3C 2F 73 3E, while "hello </s>" (normalized "▁hello▁</s>") has it.
        var json = Legacy();
        json["added_tokens"]![2]!["normalized"] = true;
        var tokenizer = Load(json);
        Ids(tokenizer.Encode("hello</s>"), MetaHello, ByteId(0x3C), ByteId(0x2F), ByteId(0x73), ByteId(0x3E));
        Ids(tokenizer.Encode("hello </s>"), MetaHello, Eos);
    }

    [TestMethod]
    public void MetaspacePrependsPerScheme()
    {
        // Newer files: no normalizer, Metaspace turns " " into "▁" and prepends one ("first": only to the stretch at
        // offset 0 of the text). "hello world" -> "▁hello▁world", merged as in the legacy layout.
        var first = Load(WithMetaspace("first", split: false), "first.json");
        Ids(first.Encode("hello world"), MetaHello, MetaWorld);
        // After <s> the stretch "hello" starts at offset 3: no ▁, so h e l l o -> (1) h e ll o -> (3) h e llo.
        Ids(first.Encode("<s>hello"), Bos, H, E, Llo);
        Ids(first.Encode("hello<s>hello"), MetaHello, Bos, H, E, Llo);
        // "always" prepends to every stretch; the text already starting with " " gets no second ▁: " hello" -> "▁hello".
        var always = Load(WithMetaspace("always", split: true), "always.json");
        Ids(always.Encode("<s>hello"), Bos, MetaHello);
        Ids(always.Encode(" hello"), MetaHello);
        // split = true cuts before every ▁ (MergedWithNext): "▁hello", "▁", "▁world" give the same ids here.
        Ids(always.Encode("hello  world"), MetaHello, Meta, MetaWorld);
        var never = Load(WithMetaspace("never", split: true), "never.json");
        Ids(never.Encode("hello world"), H, E, Llo, MetaWorld);
        // " hello é" already starts with ▁ after the replacement, so none is prepended, yet the Strip decoder still
        // removes one leading space: the Hugging Face tokenizer loses it too.
        Ids(first.Encode(" hello é"), MetaHello, Meta, ByteId(0xC3), ByteId(0xA9));
        Assert.AreEqual("hello é", first.Decode(first.Encode(" hello é")));
    }

    [TestMethod]
    public void MetaspaceDecoderDropsTheReplacementInTheFirstTokenOnly()
    {
        var tokenizer = Load(WithMetaspace("first", split: true, decoder: MetaspaceDecoder("first")));
        // Token 0 "▁hello" loses every ▁; later tokens turn ▁ into " ".
        Assert.AreEqual("hello world", tokenizer.Decode(new[] { MetaHello, MetaWorld }));
        Assert.AreEqual(" hello", tokenizer.Decode(new[] { Meta, MetaHello }));
        Assert.AreEqual("<s> hello", tokenizer.Decode(new[] { Bos, MetaHello }));
        // The Metaspace decoder has no byte fallback: byte tokens stay as they are, as in the Rust decoder.
        Assert.AreEqual("<0xC3><0xA9>", tokenizer.Decode(new[] { ByteId(0xC3), ByteId(0xA9) }));
        var never = Load(WithMetaspace("never", split: true, decoder: MetaspaceDecoder("never")), "never.json");
        Assert.AreEqual(" hello world", never.Decode(new[] { MetaHello, MetaWorld }));
    }

    [TestMethod]
    public void UnsupportedPiecesAreNamed()
    {
        var continuing = Legacy();
        continuing["model"]!["continuing_subword_prefix"] = "##";
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Load(continuing, "prefix.json"));
        StringAssert.Contains(e.Message, "continuing_subword_prefix");

        var regexReplace = Legacy();
        regexReplace["decoder"]!["decoders"]![0]!["pattern"] = new JsonObject { ["Regex"] = "▁+" };
        e = Assert.ThrowsExactly<NotSupportedException>(() => Load(regexReplace, "regex.json"));
        StringAssert.Contains(e.Message, "Replace");

        var ctc = Legacy();
        ctc["decoder"] = new JsonObject { ["type"] = "CTC", ["pad_token"] = "<pad>" };
        e = Assert.ThrowsExactly<NotSupportedException>(() => Load(ctc, "ctc.json"));
        StringAssert.Contains(e.Message, "CTC");

        var missingMerge = Legacy();
        missingMerge["model"]!["merges"]!.AsArray().Add(new JsonArray("▁", "x"));
        var invalid = Assert.ThrowsExactly<InvalidDataException>(() => Load(missingMerge, "merge.json"));
        StringAssert.Contains(invalid.Message, "\"x\"");
    }
}
