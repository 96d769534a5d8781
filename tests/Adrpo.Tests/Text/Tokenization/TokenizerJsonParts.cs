using System.Text.Json.Nodes;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// The parts every hand-made Hugging Face <c>tokenizer.json</c> of these tests shares: the document's top level, an
/// added-token entry and the BPE model object. The fixtures (<see cref="TinyTokenizerJson"/>, byte-level;
/// <see cref="TinySentencePieceJson"/>, SentencePiece-converted) differ only in what they put into them.
/// </summary>
internal static class TokenizerJsonParts
{
    /// <summary>A whole <c>tokenizer.json</c> (format version 1.0, no truncation or padding).</summary>
    public static JsonObject Document(JsonArray addedTokens, JsonNode? normalizer, JsonNode? preTokenizer, JsonNode? postProcessor, JsonNode? decoder, JsonObject model) => new()
    {
        ["version"] = "1.0",
        ["truncation"] = null,
        ["padding"] = null,
        ["added_tokens"] = addedTokens,
        ["normalizer"] = normalizer,
        ["pre_tokenizer"] = preTokenizer,
        ["post_processor"] = postProcessor,
        ["decoder"] = decoder,
        ["model"] = model,
    };

    /// <summary>One <c>added_tokens</c> entry, matched as written (not normalized, no stripping).</summary>
    public static JsonObject AddedToken(int id, string content, bool special) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = special,
    };

    /// <summary>The <c>model</c> object of a BPE tokenizer (<paramref name="type"/> may be changed to test refusals).</summary>
    public static JsonObject BpeModel(JsonObject vocab, JsonArray merges, string? unknownToken, string? continuingSubwordPrefix, string? endOfWordSuffix, bool fuseUnknown, bool byteFallback, bool ignoreMerges, string type = "BPE") => new()
    {
        ["type"] = type,
        ["dropout"] = null,
        ["unk_token"] = unknownToken,
        ["continuing_subword_prefix"] = continuingSubwordPrefix,
        ["end_of_word_suffix"] = endOfWordSuffix,
        ["fuse_unk"] = fuseUnknown,
        ["byte_fallback"] = byteFallback,
        ["ignore_merges"] = ignoreMerges,
        ["vocab"] = vocab,
        ["merges"] = merges,
    };
}
