using System.Text.Json;
using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>One entry of <c>added_tokens</c> in a Hugging Face <c>tokenizer.json</c>.</summary>
/// <remarks><see cref="Normalized"/>: matched in the normalized text by its normalized content rather than in the raw text.</remarks>
internal sealed record AddedTokenEntry(int Id, string Content, bool Special, bool Normalized = false);

/// <summary>What <see cref="TokenizerJsonReader"/> extracts from a BPE <c>tokenizer.json</c>.</summary>
internal sealed class TokenizerDefinition
{
    public required Dictionary<string, int> Vocabulary { get; init; }

    /// <summary>Merges in rank order.</summary>
    public required List<(string Left, string Right)> Merges { get; init; }

    public required List<AddedTokenEntry> AddedTokens { get; init; }

    public required string? UnknownToken { get; init; }

    /// <summary>Ids the post-processor puts before and after a single sequence (add_special_tokens).</summary>
    public required int[] PrefixIds { get; init; }

    public required int[] SuffixIds { get; init; }

    /// <summary>
    /// Whether Microsoft.ML.Tokenizers' byte-level <c>BpeTokenizer</c> reproduces this file exactly (normalizer none or
    /// NFC, a regex split then ByteLevel, the ByteLevel decoder, no byte fallback, <c>fuse_unk</c> or
    /// <c>ignore_merges</c>): GPT-2, Qwen2, Qwen3. The rest runs on <see cref="TokenizerPipeline"/>.
    /// </summary>
    public required bool UsesMicrosoftBpe { get; init; }

    /// <summary>For <see cref="UsesMicrosoftBpe"/>: whether the text is NFC-normalized first.</summary>
    public required bool NormalizeNfc { get; init; }

    /// <summary>For <see cref="UsesMicrosoftBpe"/>: the .NET regular expression that splits text into pieces before BPE.</summary>
    public required string? SplitPattern { get; init; }

    public required IReadOnlyList<TextNormalizer> Normalizers { get; init; }

    public required IReadOnlyList<PieceSplitter> Splitters { get; init; }

    /// <summary>The decoder steps; null when the file has no decoder (tokens are then joined with spaces).</summary>
    public required IReadOnlyList<TokenDecoder>? Decoders { get; init; }

    public required bool ByteFallback { get; init; }

    public required bool FuseUnknown { get; init; }

    public required bool IgnoreMerges { get; init; }
}

/// <summary>
/// Parses the parts of a Hugging Face <c>tokenizer.json</c> (the <c>tokenizers</c> library's serialization) that a
/// BPE tokenizer needs (byte-level: GPT-2, Qwen, Llama 3; SentencePiece-converted with byte fallback: Llama 2,
/// Mistral), and rejects configurations it cannot reproduce exactly with a <see cref="NotSupportedException"/> naming them.
/// </summary>
internal static class TokenizerJsonReader
{
    /// <summary>The split regex of the GPT-2 <c>ByteLevel</c> pre-tokenizer when <c>use_regex</c> is true.</summary>
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static TokenizerDefinition Read(byte[] json, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Tokenizer file '{path}' is not valid JSON (truncated or corrupt?): {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"the top level is a JSON {root.ValueKind}, not an object");
            }

            var model = Required(root, "model", JsonValueKind.Object, path, "model");
            string? type = Optional(model, "type", path, "model.type");
            if (type is null && !model.TryGetProperty("merges", out _))
            {
                throw Invalid(path, "model.type is missing and the model has no merges, so it is not a BPE model");
            }

            if (type is not null && type != "BPE")
            {
                throw new InvalidDataException(
                    $"Tokenizer file '{path}' holds a {type} model (model.type \"{type}\"), a tokenizer.json of the wrong kind: " +
                    "only BPE models (model.type \"BPE\": byte-level like GPT-2, Qwen2/Qwen3, Llama 3, or SentencePiece-converted like Llama 2, Mistral) are supported.");
            }

            var (byteFallback, fuseUnknown, ignoreMerges) = ReadBpeOptions(model, path);
            var vocabulary = ReadVocabulary(model, path);
            var merges = ReadMerges(model, path);
            var added = ReadAddedTokens(root, path);
            var normalizers = new List<TextNormalizer>();
            ReadNormalizer(root.TryGetProperty("normalizer", out var n) ? n : default, path, normalizers);
            var splitters = ReadPreTokenizer(root.TryGetProperty("pre_tokenizer", out var p) ? p : default, path, out string? pattern);
            var decoders = ReadDecoder(root.TryGetProperty("decoder", out var d) ? d : default, path);
            var (prefix, suffix) = ReadPostProcessor(root.TryGetProperty("post_processor", out var pp) ? pp : default, path);
            string? unknown = Optional(model, "unk_token", path, "model.unk_token");
            if (unknown is not null && !vocabulary.ContainsKey(unknown))
            {
                throw Invalid(path, $"model.unk_token \"{unknown}\" is not in model.vocab");
            }

            bool microsoft = pattern is not null
                && normalizers.All(x => x is TextNormalizer.Nfc)
                && decoders is [TokenDecoder.ByteLevel]
                && !byteFallback && !fuseUnknown && !ignoreMerges
                && merges.All(m => !m.Left.Contains(' ', StringComparison.Ordinal) && !m.Right.Contains(' ', StringComparison.Ordinal));
            return new TokenizerDefinition
            {
                Vocabulary = vocabulary,
                Merges = merges,
                AddedTokens = added,
                UnknownToken = unknown,
                PrefixIds = prefix,
                SuffixIds = suffix,
                UsesMicrosoftBpe = microsoft,
                NormalizeNfc = normalizers.Count > 0,
                SplitPattern = microsoft ? pattern : null,
                Normalizers = normalizers,
                Splitters = splitters,
                Decoders = decoders,
                ByteFallback = byteFallback,
                FuseUnknown = fuseUnknown,
                IgnoreMerges = ignoreMerges,
            };
        }
    }

    /// <summary>Reads byte_fallback, fuse_unk and ignore_merges; rejects dropout and subword prefixes/suffixes.</summary>
    private static (bool ByteFallback, bool FuseUnknown, bool IgnoreMerges) ReadBpeOptions(JsonElement model, string path)
    {
        if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() != 0)
        {
            throw Unsupported(path, $"model.dropout {dropout.GetRawText()} (BPE dropout is random; only deterministic BPE is supported)");
        }

        foreach (string name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            string? value = Optional(model, name, path, "model." + name);
            if (!string.IsNullOrEmpty(value))
            {
                throw Unsupported(path, $"model.{name} \"{value}\" (neither byte-level nor SentencePiece-converted BPE models use one)");
            }
        }

        return (Flag(model, "byte_fallback", path, "model"), Flag(model, "fuse_unk", path, "model"), Flag(model, "ignore_merges", path, "model"));
    }

    /// <summary>A boolean property that defaults to false when absent or null.</summary>
    private static bool Flag(JsonElement parent, string name, string path, string where)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(path, $"{where}.{name} is {value.GetRawText()}, not true or false"),
        };
    }

    private static Dictionary<string, int> ReadVocabulary(JsonElement model, string path)
    {
        var vocab = Required(model, "vocab", JsonValueKind.Object, path, "model.vocab");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw Invalid(path, $"model.vocab[\"{entry.Name}\"] is {entry.Value.GetRawText()}, not a non-negative integer id");
            }

            if (!result.TryAdd(entry.Name, id))
            {
                throw Invalid(path, $"model.vocab holds \"{entry.Name}\" twice");
            }
        }

        if (result.Count == 0)
        {
            throw Invalid(path, "model.vocab is empty");
        }

        return result;
    }

    private static List<(string Left, string Right)> ReadMerges(JsonElement model, string path)
    {
        var merges = Required(model, "merges", JsonValueKind.Array, path, "model.merges");
        var result = new List<(string, string)>(merges.GetArrayLength());
        int index = 0;
        foreach (var merge in merges.EnumerateArray())
        {
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                // The older format: "left right". Vocabulary tokens never hold a space (byte-level: 'Ġ'; SentencePiece: '▁').
                string text = merge.GetString()!;
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                {
                    throw Invalid(path, $"model.merges[{index}] \"{text}\" is not two tokens separated by one space");
                }

                left = text[..space];
                right = text[(space + 1)..];
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                // The newer format (tokenizers >= 0.20): ["left", "right"].
                left = merge[0].GetString()!;
                right = merge[1].GetString()!;
                if (left.Length == 0 || right.Length == 0)
                {
                    throw Invalid(path, $"model.merges[{index}] {merge.GetRawText()} has an empty token");
                }
            }
            else
            {
                throw Invalid(path, $"model.merges[{index}] is {merge.GetRawText()}, neither \"a b\" nor [\"a\", \"b\"]");
            }

            result.Add((left, right));
            index++;
        }

        return result;
    }

    private static List<AddedTokenEntry> ReadAddedTokens(JsonElement root, string path)
    {
        var result = new List<AddedTokenEntry>();
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind == JsonValueKind.Null)
        {
            return result;
        }

        if (added.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(path, $"added_tokens is a JSON {added.ValueKind}, not an array");
        }

        int index = 0;
        foreach (var token in added.EnumerateArray())
        {
            string where = $"added_tokens[{index}]";
            if (token.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"{where} is not an object");
            }

            string content = Optional(token, "content", path, where + ".content")
                ?? throw Invalid(path, $"{where} has no content");
            var idElement = Required(token, "id", JsonValueKind.Number, path, where + ".id");
            if (!idElement.TryGetInt32(out int id) || id < 0 || content.Length == 0)
            {
                throw Invalid(path, $"{where} ({idElement.GetRawText()}, \"{content}\") needs a non-negative id and non-empty content");
            }

            foreach (string flag in new[] { "single_word", "lstrip", "rstrip" })
            {
                if (token.TryGetProperty(flag, out var value) && value.ValueKind == JsonValueKind.True)
                {
                    throw Unsupported(path, $"added token \"{content}\" with {flag} = true");
                }
            }

            bool special = Flag(token, "special", path, where);
            bool normalized = Flag(token, "normalized", path, where);
            result.Add(new AddedTokenEntry(id, content, special, normalized));
            index++;
        }

        return result;
    }

    /// <summary>Appends the normalizer's steps: none, NFC, Prepend, Replace with a String pattern, or a Sequence of them.</summary>
    private static void ReadNormalizer(JsonElement normalizer, string path, List<TextNormalizer> steps)
    {
        if (normalizer.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return;
        }

        string type = TypeOf(normalizer, path, "normalizer");
        switch (type)
        {
            case "NFC":
                steps.Add(new TextNormalizer.Nfc());
                break;
            case "Prepend":
                steps.Add(new TextNormalizer.Prepend(Optional(normalizer, "prepend", path, "normalizer Prepend.prepend")
                    ?? throw Invalid(path, "normalizer Prepend has no prepend string")));
                break;
            case "Replace":
                var (pattern, content) = ReadReplace(normalizer, path, "normalizer");
                steps.Add(new TextNormalizer.Replace(pattern, content));
                break;
            case "Sequence":
                foreach (var inner in Required(normalizer, "normalizers", JsonValueKind.Array, path, "normalizer.normalizers").EnumerateArray())
                {
                    ReadNormalizer(inner, path, steps);
                }

                break;
            default:
                throw Unsupported(path, $"normalizer \"{type}\" (supported: none, NFC, Prepend, Replace with a String pattern, Sequence)");
        }
    }

    /// <summary>The pattern and content of a Replace normalizer or decoder; only String patterns (a Regex one is refused).</summary>
    private static (string Pattern, string Content) ReadReplace(JsonElement replace, string path, string where)
    {
        var pattern = Required(replace, "pattern", JsonValueKind.Object, path, where + " Replace.pattern");
        string content = Optional(replace, "content", path, where + " Replace.content") ?? throw Invalid(path, $"{where} Replace has no content");
        if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String && literal.GetString()!.Length > 0)
        {
            return (literal.GetString()!, content);
        }

        throw Unsupported(path, $"{where} Replace with pattern {pattern.GetRawText()} (supported: a non-empty String pattern)");
    }

    /// <summary>
    /// Reads the pre-tokenizer steps: none, Split with a regex (behavior Isolated), ByteLevel, Metaspace, or a Sequence of
    /// them. <paramref name="microsoftPattern"/> is the split regex when the steps are what Microsoft.ML.Tokenizers'
    /// byte-level BPE runs (Split then ByteLevel without its regex, or ByteLevel alone), otherwise null.
    /// </summary>
    private static List<PieceSplitter> ReadPreTokenizer(JsonElement preTokenizer, string path, out string? microsoftPattern)
    {
        microsoftPattern = null;
        var result = new List<PieceSplitter>();
        if (preTokenizer.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return result;
        }

        var steps = new List<JsonElement>();
        Flatten(preTokenizer, steps, path);
        var splitPatterns = new List<string>();
        var byteLevelRegex = new List<bool>();
        foreach (var step in steps)
        {
            string type = TypeOf(step, path, "pre_tokenizer");
            switch (type)
            {
                case "Split":
                    string pattern = ReadSplit(step, path);
                    try
                    {
                        result.Add(new PieceSplitter.RegexIsolated(pattern));
                    }
                    catch (ArgumentException e)
                    {
                        throw Unsupported(path, $"split pattern {JsonSerializer.Serialize(pattern)}, which .NET regular expressions cannot compile ({e.Message})");
                    }

                    splitPatterns.Add(pattern);
                    break;
                case "ByteLevel":
                    if (Flag(step, "add_prefix_space", path, "pre_tokenizer ByteLevel"))
                    {
                        throw Unsupported(path, "ByteLevel pre-tokenizer with add_prefix_space = true");
                    }

                    // use_regex defaults to true in the tokenizers library.
                    bool useRegex = !step.TryGetProperty("use_regex", out var regex) || regex.ValueKind != JsonValueKind.False;
                    result.Add(new PieceSplitter.ByteLevel(useRegex));
                    byteLevelRegex.Add(useRegex);
                    break;
                case "Metaspace":
                    var (replacement, scheme) = ReadMetaspace(step, path, "pre_tokenizer");
                    bool split = !step.TryGetProperty("split", out var s) || s.ValueKind != JsonValueKind.False;
                    result.Add(new PieceSplitter.Metaspace(replacement, scheme, split));
                    break;
                default:
                    throw Unsupported(path, $"pre-tokenizer \"{type}\" (supported: Split with a regex, ByteLevel, Metaspace, Sequence)");
            }
        }

        if (steps.Count == 2 && splitPatterns.Count == 1 && byteLevelRegex is [false] && result[1] is PieceSplitter.ByteLevel)
        {
            microsoftPattern = splitPatterns[0];
        }
        else if (steps.Count == 1 && byteLevelRegex.Count == 1)
        {
            // ByteLevel alone: the GPT-2 regex, or with use_regex = false the text kept whole.
            microsoftPattern = byteLevelRegex[0] ? Gpt2Pattern : @"[\s\S]+";
        }

        return result;
    }

    private static void Flatten(JsonElement preTokenizer, List<JsonElement> steps, string path)
    {
        if (TypeOf(preTokenizer, path, "pre_tokenizer") != "Sequence")
        {
            steps.Add(preTokenizer);
            return;
        }

        foreach (var inner in Required(preTokenizer, "pretokenizers", JsonValueKind.Array, path, "pre_tokenizer.pretokenizers").EnumerateArray())
        {
            Flatten(inner, steps, path);
        }
    }

    /// <summary>
    /// Metaspace's replacement and prepend_scheme (default "always"), as the tokenizers library deserializes them: an
    /// old <c>add_prefix_space: false</c> means "never" and contradicts any other declared scheme.
    /// </summary>
    private static (char Replacement, MetaspacePrependScheme Scheme) ReadMetaspace(JsonElement metaspace, string path, string where)
    {
        string replacement = Optional(metaspace, "replacement", path, where + " Metaspace.replacement")
            ?? throw Invalid(path, $"{where} Metaspace has no replacement");
        if (replacement.Length != 1 || char.IsSurrogate(replacement[0]))
        {
            throw Unsupported(path, $"{where} Metaspace replacement \"{replacement}\" (supported: one character of the Basic Multilingual Plane, e.g. \"▁\")");
        }

        string schemeText = Optional(metaspace, "prepend_scheme", path, where + " Metaspace.prepend_scheme") ?? "always";
        var scheme = schemeText switch
        {
            "first" => MetaspacePrependScheme.First,
            "never" => MetaspacePrependScheme.Never,
            "always" => MetaspacePrependScheme.Always,
            _ => throw Invalid(path, $"{where} Metaspace prepend_scheme \"{schemeText}\" is none of first, never, always"),
        };
        if (metaspace.TryGetProperty("add_prefix_space", out var add) && add.ValueKind == JsonValueKind.False)
        {
            if (scheme != MetaspacePrependScheme.Never)
            {
                throw Invalid(path, $"{where} Metaspace add_prefix_space = false does not match prepend_scheme \"{schemeText}\"");
            }
        }

        return (replacement[0], scheme);
    }

    private static string ReadSplit(JsonElement split, string path)
    {
        string behavior = Optional(split, "behavior", path, "pre_tokenizer Split.behavior") ?? "Isolated";
        if (behavior != "Isolated")
        {
            throw Unsupported(path, $"Split pre-tokenizer behavior \"{behavior}\" (supported: Isolated)");
        }

        if (split.TryGetProperty("invert", out var invert) && invert.ValueKind == JsonValueKind.True)
        {
            throw Unsupported(path, "Split pre-tokenizer with invert = true");
        }

        var pattern = Required(split, "pattern", JsonValueKind.Object, path, "pre_tokenizer Split.pattern");
        if (pattern.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String)
        {
            return regex.GetString()!;
        }

        if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String)
        {
            return Regex.Escape(literal.GetString()!);
        }

        throw Invalid(path, $"Split pattern {pattern.GetRawText()} has neither Regex nor String");
    }

    /// <summary>The decoder steps: ByteLevel, Replace (String), ByteFallback, Fuse, Strip, Metaspace, or a Sequence; null without a decoder.</summary>
    private static List<TokenDecoder>? ReadDecoder(JsonElement decoder, string path)
    {
        if (decoder.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return null;
        }

        var steps = new List<TokenDecoder>();
        AddDecoder(decoder, path, steps);
        return steps;
    }

    private static void AddDecoder(JsonElement decoder, string path, List<TokenDecoder> steps)
    {
        string type = TypeOf(decoder, path, "decoder");
        switch (type)
        {
            case "ByteLevel":
                steps.Add(new TokenDecoder.ByteLevel());
                break;
            case "Replace":
                var (pattern, content) = ReadReplace(decoder, path, "decoder");
                steps.Add(new TokenDecoder.Replace(pattern, content));
                break;
            case "ByteFallback":
                steps.Add(new TokenDecoder.ByteFallback());
                break;
            case "Fuse":
                steps.Add(new TokenDecoder.Fuse());
                break;
            case "Strip":
                string strip = Optional(decoder, "content", path, "decoder Strip.content") ?? throw Invalid(path, "decoder Strip has no content");
                if (strip.Length != 1 || char.IsSurrogate(strip[0]))
                {
                    throw Unsupported(path, $"decoder Strip content \"{strip}\" (supported: one character of the Basic Multilingual Plane)");
                }

                steps.Add(new TokenDecoder.Strip(strip[0], Count(decoder, "start", path), Count(decoder, "stop", path)));
                break;
            case "Metaspace":
                var (replacement, scheme) = ReadMetaspace(decoder, path, "decoder");
                steps.Add(new TokenDecoder.Metaspace(replacement, scheme));
                break;
            case "Sequence":
                foreach (var inner in Required(decoder, "decoders", JsonValueKind.Array, path, "decoder.decoders").EnumerateArray())
                {
                    AddDecoder(inner, path, steps);
                }

                break;
            default:
                throw Unsupported(path, $"decoder \"{type}\" (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)");
        }
    }

    private static int Count(JsonElement parent, string name, string path)
    {
        var value = Required(parent, name, JsonValueKind.Number, path, "decoder Strip." + name);
        return value.TryGetInt32(out int count) && count >= 0 ? count : throw Invalid(path, $"decoder Strip.{name} is {value.GetRawText()}, not a count");
    }

    /// <summary>The ids added around one sequence by TemplateProcessing, RobertaProcessing or BertProcessing; ByteLevel adds none.</summary>
    private static (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonElement processor, string path)
    {
        if (processor.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return (Array.Empty<int>(), Array.Empty<int>());
        }

        string type = TypeOf(processor, path, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return (Array.Empty<int>(), Array.Empty<int>());
            case "Sequence":
                var prefix = new List<int>();
                var suffix = new List<int>();
                foreach (var inner in Required(processor, "processors", JsonValueKind.Array, path, "post_processor.processors").EnumerateArray())
                {
                    var (p, s) = ReadPostProcessor(inner, path);
                    prefix.AddRange(p);
                    suffix.AddRange(s);
                }

                return (prefix.ToArray(), suffix.ToArray());
            case "RobertaProcessing":
            case "BertProcessing":
                return (new[] { TokenIdPair(processor, "cls", path) }, new[] { TokenIdPair(processor, "sep", path) });
            case "TemplateProcessing":
                return ReadTemplate(processor, path);
            default:
                throw Unsupported(path, $"post_processor \"{type}\" (supported: ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing)");
        }
    }

    private static int TokenIdPair(JsonElement processor, string name, string path)
    {
        var pair = Required(processor, name, JsonValueKind.Array, path, "post_processor." + name);
        if (pair.GetArrayLength() != 2 || !pair[1].TryGetInt32(out int id))
        {
            throw Invalid(path, $"post_processor.{name} is {pair.GetRawText()}, not [token, id]");
        }

        return id;
    }

    private static (int[] Prefix, int[] Suffix) ReadTemplate(JsonElement processor, string path)
    {
        var specials = processor.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object ? st : default;
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (var piece in Required(processor, "single", JsonValueKind.Array, path, "post_processor.single").EnumerateArray())
        {
            if (piece.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }

            if (!piece.TryGetProperty("SpecialToken", out var special) || Optional(special, "id", path, "post_processor.single SpecialToken.id") is not string name)
            {
                throw Invalid(path, $"post_processor.single entry {piece.GetRawText()} is neither Sequence nor SpecialToken");
            }

            if (specials.ValueKind != JsonValueKind.Object || !specials.TryGetProperty(name, out var entry)
                || !entry.TryGetProperty("ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(path, $"post_processor.special_tokens has no ids for \"{name}\"");
            }

            foreach (var id in ids.EnumerateArray())
            {
                (seenSequence ? suffix : prefix).Add(id.GetInt32());
            }
        }

        return (prefix.ToArray(), suffix.ToArray());
    }

    private static string TypeOf(JsonElement element, string path, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, $"{where} is a JSON {element.ValueKind}, not an object");
        }

        return Optional(element, "type", path, where + ".type") ?? throw Invalid(path, $"{where} has no type");
    }

    private static JsonElement Required(JsonElement parent, string name, JsonValueKind kind, string path, string where)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            throw Invalid(path, $"{where} is missing");
        }

        if (value.ValueKind != kind)
        {
            throw Invalid(path, $"{where} is a JSON {value.ValueKind}, expected {kind}");
        }

        return value;
    }

    private static string? Optional(JsonElement parent, string name, string path, string where)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid(path, $"{where} is {value.GetRawText()}, not a string");
    }

    private static InvalidDataException Invalid(string path, string message) => new($"Tokenizer file '{path}': {message}.");

    private static NotSupportedException Unsupported(string path, string what) => new($"Tokenizer file '{path}' uses {what}, which is not supported.");
}
