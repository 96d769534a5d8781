using System.Text.Json.Nodes;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// A hand-made SentencePiece-converted BPE <c>tokenizer.json</c> (the Llama 2 / Mistral layout) in the Hugging Face
/// format, small enough to compute ids by hand: <c>&lt;unk&gt;</c> 0, <c>&lt;s&gt;</c> 1, <c>&lt;/s&gt;</c> 2, the 256
/// byte-fallback tokens <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c> at 3 + byte, then the pieces below.
/// </summary>
internal static class TinySentencePieceJson
{
    public const int Unk = 0, Bos = 1, Eos = 2;
    public const int Meta = 259, H = 260, E = 261, L = 262, O = 263, W = 264, R = 265, D = 266;
    public const int MetaH = 267, Ll = 268, MetaHe = 269, Llo = 270, MetaHello = 271, Or = 272, Wo = 273, MetaW = 274, MetaWor = 275, Ld = 276, MetaWorld = 277;

    public static readonly (string Token, int Id)[] Pieces =
    {
        ("▁", Meta), ("h", H), ("e", E), ("l", L), ("o", O), ("w", W), ("r", R), ("d", D),
        ("▁h", MetaH), ("ll", Ll), ("▁he", MetaHe), ("llo", Llo), ("▁hello", MetaHello), ("or", Or), ("wo", Wo),
        ("▁w", MetaW), ("▁wor", MetaWor), ("ld", Ld), ("▁world", MetaWorld),
    };

    /// <summary>
    /// Merges in rank order. "w o" ranks below "o r" but above "▁ w": in "▁world" the o is taken by "or" first, so "wo"
    /// never forms there, while in "▁wo" it does, before "▁ w" could apply.
    /// </summary>
    public static readonly (string Left, string Right)[] Merges =
    {
        ("▁", "h"), ("l", "l"), ("▁h", "e"), ("ll", "o"), ("▁he", "llo"), ("o", "r"), ("w", "o"), ("▁", "w"),
        ("▁w", "or"), ("l", "d"), ("▁wor", "ld"),
    };

    /// <summary>The id of a byte-fallback token <c>&lt;0xXX&gt;</c>.</summary>
    public static int ByteId(int value) => 3 + value;

    /// <summary>
    /// The older layout (tokenizers 0.14-0.18: Llama 2, Mistral 7B v0.1): normalizer Prepend("▁") + Replace(" " -> "▁"),
    /// no pre-tokenizer, decoder Replace("▁" -> " ") + ByteFallback + Fuse + Strip(" ", 1, 0).
    /// </summary>
    public static JsonObject Legacy(bool byteFallback = true, bool fuseUnknown = true) => Build(
        normalizer: new JsonObject
        {
            ["type"] = "Sequence",
            ["normalizers"] = new JsonArray(
                new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                Replace(" ", "▁")),
        },
        preTokenizer: null,
        decoder: StripDecoder(),
        byteFallback: byteFallback,
        fuseUnknown: fuseUnknown);

    /// <summary>The newer layout (tokenizers 0.19+): no normalizer, a Metaspace pre-tokenizer, and the given decoder.</summary>
    public static JsonObject WithMetaspace(string prependScheme, bool split, JsonNode? decoder = null) => Build(
        normalizer: null,
        preTokenizer: new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = prependScheme, ["split"] = split },
        decoder: decoder ?? StripDecoder(),
        byteFallback: true,
        fuseUnknown: true);

    public static JsonObject MetaspaceDecoder(string prependScheme) => new()
    {
        ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = prependScheme, ["split"] = true,
    };

    /// <summary>Replace("▁" -> " "), ByteFallback, Fuse, Strip(" ", 1, 0): Llama 2 / Mistral's decoder.</summary>
    public static JsonObject StripDecoder() => new()
    {
        ["type"] = "Sequence",
        ["decoders"] = new JsonArray(
            Replace("▁", " "),
            new JsonObject { ["type"] = "ByteFallback" },
            new JsonObject { ["type"] = "Fuse" },
            new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
    };

    private static JsonObject Replace(string pattern, string content) => new()
    {
        ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = pattern }, ["content"] = content,
    };

    private static JsonObject Build(JsonNode? normalizer, JsonNode? preTokenizer, JsonNode decoder, bool byteFallback, bool fuseUnknown)
    {
        var vocab = new JsonObject { ["<unk>"] = Unk, ["<s>"] = Bos, ["</s>"] = Eos };
        for (int b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = ByteId(b);
        }

        foreach (var (token, id) in Pieces)
        {
            vocab[token] = id;
        }

        var merges = new JsonArray();
        foreach (var (left, right) in Merges)
        {
            merges.Add(new JsonArray(left, right));
        }

        var bos = new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } };
        var postProcessor = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(bos, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            ["pair"] = new JsonArray(),
            ["special_tokens"] = new JsonObject
            {
                ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(Bos), ["tokens"] = new JsonArray("<s>") },
            },
        };
        var addedTokens = new JsonArray(
            TokenizerJsonParts.AddedToken(Unk, "<unk>", special: true),
            TokenizerJsonParts.AddedToken(Bos, "<s>", special: true),
            TokenizerJsonParts.AddedToken(Eos, "</s>", special: true));
        return TokenizerJsonParts.Document(addedTokens, normalizer, preTokenizer, postProcessor, decoder,
            TokenizerJsonParts.BpeModel(vocab, merges, "<unk>", null, null, fuseUnknown, byteFallback, ignoreMerges: false));
    }
}
