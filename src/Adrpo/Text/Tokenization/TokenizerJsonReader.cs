using System.Text.Json;
using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>One entry of <c>added_tokens</c> in a Hugging Face <c>tokenizer.json</c>.</summary>
internal sealed record AddedTokenEntry(int Id, string Content, bool Special);

/// <summary>What <see cref="TokenizerJsonReader"/> extracts from a byte-level BPE <c>tokenizer.json</c>.</summary>
internal sealed class TokenizerDefinition
{
    public required Dictionary<string, int> Vocabulary { get; init; }

    /// <summary>Merges in rank order, each as "left right" (the form Microsoft.ML.Tokenizers reads).</summary>
    public required List<string> Merges { get; init; }

    public required List<AddedTokenEntry> AddedTokens { get; init; }

    public required bool NormalizeNfc { get; init; }

    /// <summary>The .NET regular expression that splits text into pieces before BPE.</summary>
    public required string SplitPattern { get; init; }

    public required string? UnknownToken { get; init; }

    /// <summary>Ids the post-processor puts before and after a single sequence (add_special_tokens).</summary>
    public required int[] PrefixIds { get; init; }

    public required int[] SuffixIds { get; init; }
}

/// <summary>
/// Parses the parts of a Hugging Face <c>tokenizer.json</c> (the <c>tokenizers</c> library's serialization) that a
/// byte-level BPE tokenizer needs, and rejects configurations it cannot reproduce exactly.
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
                    "only byte-level BPE models (model.type \"BPE\", e.g. GPT-2, Qwen2/Qwen3) are supported.");
            }

            CheckBpeOptions(model, path);
            var vocabulary = ReadVocabulary(model, path);
            var merges = ReadMerges(model, path);
            var added = ReadAddedTokens(root, path);
            bool nfc = ReadNormalizer(root.TryGetProperty("normalizer", out var n) ? n : default, path);
            string pattern = ReadPreTokenizer(root.TryGetProperty("pre_tokenizer", out var p) ? p : default, path);
            CheckDecoder(root.TryGetProperty("decoder", out var d) ? d : default, path);
            var (prefix, suffix) = ReadPostProcessor(root.TryGetProperty("post_processor", out var pp) ? pp : default, path);
            string? unknown = Optional(model, "unk_token", path, "model.unk_token");
            if (unknown is not null && !vocabulary.ContainsKey(unknown))
            {
                throw Invalid(path, $"model.unk_token \"{unknown}\" is not in model.vocab");
            }

            return new TokenizerDefinition
            {
                Vocabulary = vocabulary,
                Merges = merges,
                AddedTokens = added,
                NormalizeNfc = nfc,
                SplitPattern = pattern,
                UnknownToken = unknown,
                PrefixIds = prefix,
                SuffixIds = suffix,
            };
        }
    }

    private static void CheckBpeOptions(JsonElement model, string path)
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
                throw Unsupported(path, $"model.{name} \"{value}\" (byte-level BPE models do not use one)");
            }
        }

        foreach (string name in new[] { "byte_fallback", "ignore_merges" })
        {
            if (model.TryGetProperty(name, out var flag) && flag.ValueKind == JsonValueKind.True)
            {
                throw Unsupported(path, $"model.{name} = true");
            }
        }
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

    private static List<string> ReadMerges(JsonElement model, string path)
    {
        var merges = Required(model, "merges", JsonValueKind.Array, path, "model.merges");
        var result = new List<string>(merges.GetArrayLength());
        int index = 0;
        foreach (var merge in merges.EnumerateArray())
        {
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                // The older format: "left right". Tokens of a byte-level vocabulary never hold a space (it is 'Ġ').
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
                if (left.Length == 0 || right.Length == 0 || left.Contains(' ', StringComparison.Ordinal) || right.Contains(' ', StringComparison.Ordinal))
                {
                    throw Unsupported(path, $"model.merges[{index}] {merge.GetRawText()}: a merge token is empty or holds a space, which no byte-level vocabulary has");
                }
            }
            else
            {
                throw Invalid(path, $"model.merges[{index}] is {merge.GetRawText()}, neither \"a b\" nor [\"a\", \"b\"]");
            }

            result.Add(left + " " + right);
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

            bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
            result.Add(new AddedTokenEntry(id, content, special));
            index++;
        }

        return result;
    }

    /// <summary>Returns whether the text is NFC-normalized first; null and NFC (alone or in a Sequence) are supported.</summary>
    private static bool ReadNormalizer(JsonElement normalizer, string path)
    {
        if (normalizer.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return false;
        }

        string type = TypeOf(normalizer, path, "normalizer");
        switch (type)
        {
            case "NFC":
                return true;
            case "Sequence":
                bool nfc = false;
                foreach (var inner in Required(normalizer, "normalizers", JsonValueKind.Array, path, "normalizer.normalizers").EnumerateArray())
                {
                    nfc |= ReadNormalizer(inner, path);
                }

                return nfc;
            default:
                throw Unsupported(path, $"normalizer \"{type}\" (supported: none, NFC)");
        }
    }

    /// <summary>Finds the split regex: Sequence[Split(regex, Isolated), ByteLevel(use_regex=false)] or ByteLevel(use_regex=true).</summary>
    private static string ReadPreTokenizer(JsonElement preTokenizer, string path)
    {
        if (preTokenizer.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            throw Unsupported(path, "no pre_tokenizer (a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer)");
        }

        var steps = new List<JsonElement>();
        if (TypeOf(preTokenizer, path, "pre_tokenizer") == "Sequence")
        {
            steps.AddRange(Required(preTokenizer, "pretokenizers", JsonValueKind.Array, path, "pre_tokenizer.pretokenizers").EnumerateArray());
        }
        else
        {
            steps.Add(preTokenizer);
        }

        string? pattern = null;
        bool byteLevel = false;
        foreach (var step in steps)
        {
            string type = TypeOf(step, path, "pre_tokenizer");
            if (byteLevel)
            {
                throw Unsupported(path, $"pre-tokenizer \"{type}\" after ByteLevel (ByteLevel must come last)");
            }

            switch (type)
            {
                case "Split":
                    if (pattern is not null)
                    {
                        throw Unsupported(path, "more than one Split pre-tokenizer");
                    }

                    pattern = ReadSplit(step, path);
                    break;
                case "ByteLevel":
                    byteLevel = true;
                    if (step.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
                    {
                        throw Unsupported(path, "ByteLevel pre-tokenizer with add_prefix_space = true");
                    }

                    // use_regex defaults to true in the tokenizers library.
                    bool useRegex = !step.TryGetProperty("use_regex", out var regex) || regex.ValueKind != JsonValueKind.False;
                    if (useRegex)
                    {
                        if (pattern is not null)
                        {
                            throw Unsupported(path, "a Split pre-tokenizer followed by ByteLevel with use_regex = true (two splitting stages)");
                        }

                        pattern = Gpt2Pattern;
                    }

                    break;
                default:
                    throw Unsupported(path, $"pre-tokenizer \"{type}\" (supported: Split with a regex, then ByteLevel)");
            }
        }

        if (!byteLevel)
        {
            throw Unsupported(path, "a pre_tokenizer without a ByteLevel step (only byte-level BPE is supported)");
        }

        // ByteLevel alone with use_regex = false keeps the text whole.
        pattern ??= @"[\s\S]+";
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw Unsupported(path, $"split pattern {JsonSerializer.Serialize(pattern)}, which .NET regular expressions cannot compile ({e.Message})");
        }

        return pattern;
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

    private static void CheckDecoder(JsonElement decoder, string path)
    {
        if (decoder.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            throw Unsupported(path, "no decoder (a byte-level BPE tokenizer needs the ByteLevel decoder)");
        }

        string type = TypeOf(decoder, path, "decoder");
        if (type != "ByteLevel")
        {
            throw Unsupported(path, $"decoder \"{type}\" (supported: ByteLevel)");
        }
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
