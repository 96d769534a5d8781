using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.RegularExpressions;
using Adrpo.Persistence;
using Microsoft.ML.Tokenizers;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// A BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> (<c>model.type</c> <c>"BPE"</c>): byte-level (GPT-2,
/// Qwen2, Qwen2.5, Qwen3, SmolLM2, Llama 3) or SentencePiece-converted with byte fallback (Llama 2, Mistral). Ids and
/// decodings match the Hugging Face tokenizer: the tests compare them with the reference JavaScript port on the real
/// Qwen3 and Llama 3 tokenizers and on a 32,000-token tokenizer in the Llama 2 layout.
/// </summary>
/// <remarks>
/// <para>Supported pieces of <c>tokenizer.json</c>: <c>model</c> BPE (merges as <c>"a b"</c> strings or
/// <c>["a", "b"]</c> pairs; <c>ignore_merges</c>; <c>byte_fallback</c> to <c>&lt;0xXX&gt;</c> tokens; <c>unk_token</c>
/// with <c>fuse_unk</c>; no dropout, <c>continuing_subword_prefix</c> or <c>end_of_word_suffix</c>); <c>added_tokens</c>
/// (matched leftmost-longest before anything else and never split, in the raw text, or in the normalized text by
/// their normalized content when <c>normalized</c> is true; <c>lstrip</c>/<c>rstrip</c>/<c>single_word</c> are not
/// supported); <c>normalizer</c> none, NFC, <c>Prepend</c>, <c>Replace</c> with a String pattern, or a Sequence of
/// these; <c>pre_tokenizer</c> none, <c>Split</c> with a regex (behavior <c>Isolated</c>), <c>ByteLevel</c>
/// (<c>add_prefix_space</c> false), <c>Metaspace</c> (<c>prepend_scheme</c> first / always / never, <c>split</c>), or a
/// Sequence of these; <c>decoder</c> none, <c>ByteLevel</c>, <c>Replace</c> (String), <c>ByteFallback</c>, <c>Fuse</c>,
/// <c>Strip</c>, <c>Metaspace</c>, or a Sequence of these; <c>post_processor</c> ByteLevel, TemplateProcessing,
/// RobertaProcessing or BertProcessing. Anything else is a <see cref="NotSupportedException"/> naming it, rather than
/// ids that silently differ.</para>
/// <para>Files that Microsoft.ML.Tokenizers' byte-level <see cref="BpeTokenizer"/> reproduces (normalizer none or NFC,
/// a regex split then ByteLevel, the ByteLevel decoder, none of <c>ignore_merges</c>, <c>byte_fallback</c>,
/// <c>fuse_unk</c>) run on it; the others run on an internal pipeline that follows the Rust <c>tokenizers</c> source
/// (<c>BPE::merge_word</c> and <c>Word::merge_all</c>: merges by rank, leftmost first among equal ranks), and
/// <see cref="UnderlyingTokenizer"/> is not available for them. <see cref="Decode"/> is the Rust tokenizer's decode:
/// <c>transformers</c>' <c>clean_up_tokenization_spaces</c> (which Llama 3's configuration turns on) is not applied.</para>
/// <para>The split regex runs on .NET's UTF-16 strings, where a character outside the Basic Multilingual Plane
/// (emoji, 𝑥, 𠮷) is two surrogates rather than one letter or symbol; the Hugging Face tokenizer sees code points.
/// Piece boundaries can then differ next to such characters, which changes ids only if a merge spans that boundary;
/// Qwen3's vocabulary has no such merge (its only tokens that combine a 4-byte character with other text are a leading
/// space, a trailing blank line, and one character with a variation selector, all of which split identically).</para>
/// </remarks>
public sealed class HuggingFaceTokenizer
{
    /// <summary>The file name of the tokenizer in a Hugging Face model folder.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>The file name of the tokenizer configuration (special-token roles, chat template).</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>The file name newer <c>transformers</c> versions use for a chat template saved on its own.</summary>
    public const string ChatTemplateFileName = "chat_template.jinja";

    private readonly BpeTokenizer? _bpe;
    private readonly TokenizerPipeline? _pipeline;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<int, string> _idToToken;
    private readonly HashSet<int> _specialIds;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;
    private readonly byte[] _tokenizerJson;
    private readonly byte[]? _configJson;
    private readonly byte[]? _chatTemplateFile;

    private HuggingFaceTokenizer(TokenizerDefinition definition, byte[] tokenizerJson, TokenizerConfig config, byte[]? configJson, byte[]? chatTemplateFile, string path)
    {
        _tokenizerJson = tokenizerJson;
        _configJson = configJson;
        _chatTemplateFile = chatTemplateFile;
        _vocabulary = definition.Vocabulary;
        _prefixIds = definition.PrefixIds;
        _suffixIds = definition.SuffixIds;

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in definition.AddedTokens)
        {
            added[token.Content] = token.Id;
            if (token.Special)
            {
                special[token.Content] = token.Id;
            }
        }

        AddedTokens = new ReadOnlyDictionary<string, int>(added);
        SpecialTokens = new ReadOnlyDictionary<string, int>(special);
        _specialIds = new HashSet<int>(special.Values);

        _idToToken = new Dictionary<int, string>(_vocabulary.Count + added.Count);
        foreach (var (token, id) in _vocabulary)
        {
            _idToToken.TryAdd(id, token);
        }

        foreach (var (token, id) in added)
        {
            _idToToken[id] = token; // an added token that reuses a vocabulary id is what the id decodes to
        }

        VocabularySize = _idToToken.Count;
        MaxTokenId = _idToToken.Keys.Max();
        foreach (int id in _prefixIds.Concat(_suffixIds))
        {
            if (!_idToToken.ContainsKey(id))
            {
                throw new InvalidDataException($"Tokenizer file '{path}': the post_processor adds id {id}, which no token has.");
            }
        }

        if (definition.UsesMicrosoftBpe)
        {
            _bpe = CreateMicrosoftBpe(definition, added, path);
        }
        else
        {
            _pipeline = new TokenizerPipeline(definition, _idToToken, path);
        }

        BosTokenId = config.Resolve("bos_token", this);
        EosTokenId = config.Resolve("eos_token", this);
        PadTokenId = config.Resolve("pad_token", this);
        ChatTemplate = config.ChatTemplate;
        ChatFormatter = ChatFormatter.ForChatTemplate(ChatTemplate, config.Token("bos_token"));
    }

    /// <summary>The number of distinct token ids: the BPE vocabulary plus added tokens (Hugging Face's <c>len(tokenizer)</c>).</summary>
    public int VocabularySize { get; }

    /// <summary>The largest id any token has; ids need not be contiguous, so it can exceed <see cref="VocabularySize"/> - 1.</summary>
    internal int MaxTokenId { get; }

    /// <summary>The id of <c>tokenizer_config.json</c>'s <c>bos_token</c>; null without a configuration or when it is null.</summary>
    public int? BosTokenId { get; }

    /// <summary>The id of <c>tokenizer_config.json</c>'s <c>eos_token</c> (Qwen3: <c>&lt;|im_end|&gt;</c>); null without a configuration.</summary>
    public int? EosTokenId { get; }

    /// <summary>The id of <c>tokenizer_config.json</c>'s <c>pad_token</c> (Qwen3: <c>&lt;|endoftext|&gt;</c>); null without a configuration.</summary>
    public int? PadTokenId { get; }

    /// <summary>Added tokens flagged <c>special</c>: the ones <see cref="Decode"/> drops when asked to skip special tokens.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Every added token (special or not, e.g. Qwen3's <c>&lt;think&gt;</c>); all are matched whole, never split.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens { get; }

    /// <summary>The Jinja <c>chat_template</c> from the configuration (or <c>chat_template.jinja</c>); null when there is none.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The formatter for <see cref="ChatTemplate"/> (ChatML: Qwen, SmolLM2; Llama 3; Mistral); null when the template is none of these.</summary>
    internal ChatFormatter? ChatFormatter { get; }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath, for ML.NET APIs that take a <see cref="Tokenizer"/>.</summary>
    /// <remarks>Its own <c>Decode(ids, considerSpecialTokens: false)</c> drops every added token; <see cref="Decode"/> keeps non-special ones.</remarks>
    /// <exception cref="NotSupportedException">
    /// The file needs a piece <see cref="BpeTokenizer"/> lacks (<c>ignore_merges</c>, byte fallback, Metaspace, Prepend
    /// or Replace), so this class encodes it on its own and there is no <see cref="BpeTokenizer"/> that gives the same ids.
    /// </exception>
    public BpeTokenizer UnderlyingTokenizer => _bpe ?? throw new NotSupportedException(
        "This tokenizer.json uses a piece Microsoft.ML.Tokenizers' BpeTokenizer cannot reproduce (ignore_merges, byte fallback, " +
        "Metaspace, Prepend or Replace), so there is no underlying BpeTokenizer; use Encode and Decode.");

    /// <summary>Loads <c>tokenizer.json</c>, and <c>tokenizer_config.json</c> when a path is given.</summary>
    /// <param name="tokenizerJsonPath">The Hugging Face <c>tokenizer.json</c> of a BPE model (byte-level or SentencePiece-converted).</param>
    /// <param name="tokenizerConfigPath">Its <c>tokenizer_config.json</c> (special-token roles, chat template), or null.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not valid JSON, is truncated, or is not a BPE tokenizer; the message names the file.</exception>
    /// <exception cref="NotSupportedException">The tokenizer uses a component this class cannot reproduce exactly; the message names it.</exception>
    public static HuggingFaceTokenizer FromFile(string tokenizerJsonPath, string? tokenizerConfigPath = null) =>
        Load(tokenizerJsonPath, tokenizerConfigPath, chatTemplatePath: null);

    /// <summary>
    /// Loads a model folder as saved by <c>transformers</c>: <c>tokenizer.json</c>, plus <c>tokenizer_config.json</c> and
    /// <c>chat_template.jinja</c> when present (the latter takes precedence over the configuration's template).
    /// </summary>
    /// <param name="folder">The model folder.</param>
    public static HuggingFaceTokenizer FromPretrained(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        }

        string config = Path.Combine(folder, ConfigFileName);
        string template = Path.Combine(folder, ChatTemplateFileName);
        return Load(Path.Combine(folder, TokenizerFileName), File.Exists(config) ? config : null, File.Exists(template) ? template : null);
    }

    /// <summary>Encodes text to ids: added tokens matched whole, the normalizer, the pre-tokenizer, BPE.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether to add the post-processor's tokens (none for Qwen; e.g. a BOS for Llama-style templates).</param>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<int> ids = _bpe is not null ? _bpe.EncodeToIds(text) : _pipeline!.Encode(text);
        if (!addSpecialTokens || (_prefixIds.Length == 0 && _suffixIds.Length == 0))
        {
            return ids;
        }

        var result = new List<int>(_prefixIds.Length + ids.Count + _suffixIds.Length);
        result.AddRange(_prefixIds);
        result.AddRange(ids);
        result.AddRange(_suffixIds);
        return result;
    }

    /// <summary>
    /// Decodes ids to text. Added tokens decode to their content; byte sequences that are not valid UTF-8 become U+FFFD.
    /// Ids that no token has are skipped, as the Hugging Face tokenizer does (a model's embedding table is often
    /// larger than its vocabulary).
    /// </summary>
    /// <param name="ids">The ids.</param>
    /// <param name="skipSpecialTokens">Drop the tokens in <see cref="SpecialTokens"/>; other added tokens (e.g. <c>&lt;think&gt;</c>) stay.</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (_pipeline is not null)
        {
            return _pipeline.Decode(ids, skipSpecialTokens);
        }

        var kept = new List<int>();
        foreach (int id in ids)
        {
            if (_idToToken.ContainsKey(id) && !(skipSpecialTokens && _specialIds.Contains(id)))
            {
                kept.Add(id);
            }
        }

        return _bpe!.Decode(kept, considerSpecialTokens: true);
    }

    /// <summary>The id of a token: an added token's content, or a vocabulary token as the vocabulary spells it (byte-level <c>"Ġworld"</c>, SentencePiece <c>"▁world"</c>).</summary>
    /// <param name="token">The token.</param>
    /// <returns>The id, or null when there is no such token.</returns>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (AddedTokens.TryGetValue(token, out int id) || _vocabulary.TryGetValue(token, out id))
        {
            return id;
        }

        return null;
    }

    /// <summary>The token of an id (vocabulary tokens as the vocabulary spells them), or null when no token has it.</summary>
    /// <param name="id">The id.</param>
    public string? IdToToken(int id) => _idToToken.TryGetValue(id, out var token) ? token : null;

    /// <summary>
    /// Writes <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> / <c>chat_template.jinja</c> when they were loaded)
    /// into <paramref name="folder"/>, byte for byte as loaded, so a fine-tuned model can be exported with its tokenizer.
    /// Each file is written to a temporary file in the folder and then renamed over the target, so a crash never
    /// leaves a truncated file.
    /// </summary>
    /// <param name="folder">The destination folder; created when missing.</param>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        AtomicFile.RequireFileDestinations(Path.Combine(folder, TokenizerFileName), Path.Combine(folder, ConfigFileName), Path.Combine(folder, ChatTemplateFileName));
        WriteAtomically(Path.Combine(folder, TokenizerFileName), _tokenizerJson);
        if (_configJson is not null)
        {
            WriteAtomically(Path.Combine(folder, ConfigFileName), _configJson);
        }

        if (_chatTemplateFile is not null)
        {
            WriteAtomically(Path.Combine(folder, ChatTemplateFileName), _chatTemplateFile);
        }
    }

    private static BpeTokenizer CreateMicrosoftBpe(TokenizerDefinition definition, Dictionary<string, int> added, string path)
    {
        var options = new BpeOptions(definition.Vocabulary)
        {
            Merges = definition.Merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
            SpecialTokens = added.Count > 0 ? added : null,
            Normalizer = definition.NormalizeNfc ? NfcNormalizer.Instance : null,
            PreTokenizer = new IsolatedSplitPreTokenizer(new RegexPreTokenizer(
                new Regex(definition.SplitPattern!, RegexOptions.Compiled | RegexOptions.CultureInvariant), added.Count > 0 ? added : null)),
        };
        if (definition.UnknownToken is not null)
        {
            options.UnknownToken = definition.UnknownToken;
        }

        try
        {
            return BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"Tokenizer file '{path}': Microsoft.ML.Tokenizers rejected the BPE model: {e.Message}", e);
        }
    }

    private static HuggingFaceTokenizer Load(string tokenizerJsonPath, string? configPath, string? chatTemplatePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        byte[] tokenizerJson = ReadFile(tokenizerJsonPath, "Tokenizer");
        var definition = TokenizerJsonReader.Read(tokenizerJson, tokenizerJsonPath);
        byte[]? configJson = configPath is null ? null : ReadFile(configPath, "Tokenizer configuration");
        var config = TokenizerConfig.Read(configJson, configPath);
        byte[]? chatTemplate = chatTemplatePath is null ? null : ReadFile(chatTemplatePath, "Chat template");
        if (chatTemplate is not null)
        {
            config.ChatTemplate = System.Text.Encoding.UTF8.GetString(chatTemplate);
        }

        return new HuggingFaceTokenizer(definition, tokenizerJson, config, configJson, chatTemplate, tokenizerJsonPath);
    }

    private static byte[] ReadFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{what} file '{path}' does not exist.", path);
        }

        return File.ReadAllBytes(path);
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>The parts of <c>tokenizer_config.json</c> this class uses.</summary>
    private sealed class TokenizerConfig
    {
        private readonly Dictionary<string, string?> _roles = new(StringComparer.Ordinal);
        private string? _path;

        public string? ChatTemplate { get; set; }

        public static TokenizerConfig Read(byte[]? json, string? path)
        {
            var config = new TokenizerConfig { _path = path };
            if (json is null)
            {
                return config;
            }

            try
            {
                using var document = JsonDocument.Parse(json);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"Tokenizer configuration '{path}': the top level is a JSON {root.ValueKind}, not an object.");
                }

                foreach (string role in new[] { "bos_token", "eos_token", "pad_token" })
                {
                    if (root.TryGetProperty(role, out var value))
                    {
                        config._roles[role] = value.ValueKind switch
                        {
                            JsonValueKind.Null => null,
                            JsonValueKind.String => value.GetString(),
                            // Older files store an AddedToken object: {"content": "...", ...}.
                            JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                            _ => throw new InvalidDataException($"Tokenizer configuration '{path}': {role} is {value.GetRawText()}, not a token."),
                        };
                    }
                }

                config.ChatTemplate = ReadChatTemplate(root, path);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"Tokenizer configuration '{path}' is not valid JSON (truncated or corrupt?): {e.Message}", e);
            }

            return config;
        }

        /// <summary>The text of a special-token role ("bos_token", ...); null when absent or null.</summary>
        public string? Token(string role) => _roles.GetValueOrDefault(role);

        public int? Resolve(string role, HuggingFaceTokenizer tokenizer)
        {
            if (!_roles.TryGetValue(role, out var token) || token is null)
            {
                return null;
            }

            return tokenizer.TokenToId(token)
                ?? throw new InvalidDataException($"Tokenizer configuration '{_path}': {role} \"{token}\" is neither an added token nor in the vocabulary.");
        }

        /// <summary>A string, or a list of {name, template} from which "default" is taken.</summary>
        private static string? ReadChatTemplate(JsonElement root, string? path)
        {
            if (!root.TryGetProperty("chat_template", out var template) || template.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (template.ValueKind == JsonValueKind.String)
            {
                return template.GetString();
            }

            if (template.ValueKind == JsonValueKind.Array)
            {
                foreach (var named in template.EnumerateArray())
                {
                    if (named.ValueKind == JsonValueKind.Object && named.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                        && name.GetString() == "default" && named.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return text.GetString();
                    }
                }

                return null;
            }

            throw new InvalidDataException($"Tokenizer configuration '{path}': chat_template is a JSON {template.ValueKind}, not a string.");
        }
    }
}
