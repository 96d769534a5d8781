using System.Text.Json.Nodes;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// A hand-made byte-level BPE <c>tokenizer.json</c> in the Hugging Face format, small enough to compute ids by hand.
/// Named tokens have small ids; every other byte's character (GPT-2's bytes-to-unicode map, computed here
/// independently of the library) gets id 1000 + byte, so any text can be encoded.
/// </summary>
internal static class TinyTokenizerJson
{
    /// <summary>Qwen2/Qwen3's split regex, as it appears in their tokenizer.json.</summary>
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const int Hello = 11, GWor = 14, GWo = 15, EAcute = 18, Bang = 19, Twelve = 21, GWorld = 22;
    public const int L = 2, D = 7, Space = 4, W = 5, Or = 13;
    public const int End = 100, Tool = 101, Bos = 102;

    public static readonly (string Token, int Id)[] Named =
    {
        ("h", 0), ("e", 1), ("l", 2), ("o", 3), ("Ġ", 4), ("w", 5), ("r", 6), ("d", 7),
        ("he", 8), ("ll", 9), ("llo", 10), ("hello", 11), ("Ġw", 12), ("or", 13), ("Ġwor", 14), ("Ġwo", 15),
        ("Ã", 16), ("©", 17), ("Ã©", 18), ("!", 19), ("Ċ", 20), ("12", 21),
        ("Ġworld", 22), // no merge makes it ("l d" is not a merge): only ignore_merges (Llama 3) reaches it
    };

    /// <summary>Merges in rank order. "Ġw o" ranks below "o r", so " world" must become Ġwor + l + d, never Ġwo + ...</summary>
    public static readonly (string Left, string Right)[] Merges =
    {
        ("h", "e"), ("l", "l"), ("ll", "o"), ("he", "llo"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("Ġw", "o"),
        ("Ã", "©"), ("1", "2"),
    };

    /// <summary>GPT-2's printable-byte-to-character map (bytes_to_unicode).</summary>
    public static char ByteChar(byte b)
    {
        bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable)
        {
            return (char)b;
        }

        int n = 0;
        for (int x = 0; x < b; x++)
        {
            bool p = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (!p)
            {
                n++;
            }
        }

        return (char)(256 + n);
    }

    /// <summary>The id of a single byte's token: a named one when it has one, otherwise 1000 + byte.</summary>
    public static int ByteId(byte b)
    {
        string c = ByteChar(b).ToString();
        foreach (var (token, id) in Named)
        {
            if (token == c)
            {
                return id;
            }
        }

        return 1000 + b;
    }

    public static JsonObject Build(
        bool mergesAsPairs = true,
        string modelType = "BPE",
        JsonNode? normalizer = null,
        JsonNode? preTokenizer = null,
        JsonNode? postProcessor = null,
        bool nfc = true,
        bool ignoreMerges = false)
    {
        var vocab = new JsonObject();
        var named = new HashSet<string>();
        foreach (var (token, id) in Named)
        {
            vocab[token] = id;
            named.Add(token);
        }

        for (int b = 0; b < 256; b++)
        {
            string c = ByteChar((byte)b).ToString();
            if (!named.Contains(c))
            {
                vocab[c] = 1000 + b;
            }
        }

        var merges = new JsonArray();
        foreach (var (left, right) in Merges)
        {
            merges.Add(mergesAsPairs ? new JsonArray(left, right) : JsonValue.Create(left + " " + right));
        }

        var addedTokens = new JsonArray(
            TokenizerJsonParts.AddedToken(End, "<|end|>", special: true),
            TokenizerJsonParts.AddedToken(Tool, "<tool>", special: false),
            TokenizerJsonParts.AddedToken(Bos, "<s>", special: true));
        return TokenizerJsonParts.Document(
            addedTokens,
            normalizer ?? (nfc ? new JsonObject { ["type"] = "NFC" } : null),
            preTokenizer ?? QwenPreTokenizer(QwenPattern),
            postProcessor ?? ByteLevel(),
            ByteLevel(),
            TokenizerJsonParts.BpeModel(vocab, merges, null, "", "", fuseUnknown: false, byteFallback: false, ignoreMerges, type: modelType));
    }

    public static JsonObject QwenPreTokenizer(string pattern) => new()
    {
        ["type"] = "Sequence",
        ["pretokenizers"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "Split",
                ["pattern"] = new JsonObject { ["Regex"] = pattern },
                ["behavior"] = "Isolated",
                ["invert"] = false,
            },
            ByteLevel(useRegex: false)),
    };

    public static JsonObject ByteLevel(bool useRegex = false) => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = false,
        ["trim_offsets"] = false,
        ["use_regex"] = useRegex,
    };
}
