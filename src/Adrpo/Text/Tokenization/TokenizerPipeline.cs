namespace Adrpo.Text.Tokenization;

/// <summary>
/// The Hugging Face <c>tokenizers</c> encode and decode pipeline for the <c>tokenizer.json</c> files that
/// Microsoft.ML.Tokenizers' <c>BpeTokenizer</c> cannot reproduce (Llama 3's <c>ignore_merges</c>; Llama 2 / Mistral's
/// byte fallback, <c>Prepend</c>/<c>Replace</c> normalizers, <c>Metaspace</c>, and their decoders).
/// </summary>
/// <remarks>
/// Encode follows <c>Tokenizer::encode</c>: added tokens whose <c>normalized</c> is false are cut out of the raw text;
/// each stretch left is normalized on its own; added tokens whose <c>normalized</c> is true are then cut out of the
/// normalized text (matching their normalized content); the pre-tokenizer steps cut the rest into words; the BPE model
/// turns each word into ids. Decode follows <c>Tokenizer::decode</c>: ids to token strings (added tokens first),
/// special ones dropped when asked, then the decoder steps, then concatenation (a space between tokens without a decoder).
/// </remarks>
internal sealed class TokenizerPipeline
{
    private readonly AddedTokenMatcher _raw;
    private readonly AddedTokenMatcher _normalized;
    private readonly IReadOnlyList<TextNormalizer> _normalizers;
    private readonly IReadOnlyList<PieceSplitter> _splitters;
    private readonly BpeModel _model;
    private readonly IReadOnlyList<TokenDecoder>? _decoders;
    private readonly IReadOnlyDictionary<int, string> _idToToken;
    private readonly HashSet<string> _specialContents;

    public TokenizerPipeline(TokenizerDefinition definition, IReadOnlyDictionary<int, string> idToToken, string path)
    {
        _normalizers = definition.Normalizers;
        _splitters = definition.Splitters;
        _decoders = definition.Decoders;
        _idToToken = idToToken;
        _raw = new AddedTokenMatcher(definition.AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t.Id)));
        // A normalized added token is looked for in normalized text by its normalized content (added_vocabulary.rs).
        _normalized = new AddedTokenMatcher(definition.AddedTokens.Where(t => t.Normalized).Select(t => (Normalize(t.Content), t.Id)));
        _specialContents = definition.AddedTokens.Where(t => t.Special).Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        _model = new BpeModel(definition.Vocabulary, definition.Merges, definition.UnknownToken,
            definition.FuseUnknown, definition.ByteFallback, definition.IgnoreMerges, path);
    }

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        var pieces = new List<TextPiece>();
        var next = new List<TextPiece>();
        foreach (var (start, length, id) in _raw.Split(text))
        {
            if (id is int rawId)
            {
                ids.Add(rawId);
                continue;
            }

            string normalized = Normalize(text.Substring(start, length));
            foreach (var (innerStart, innerLength, innerId) in _normalized.Split(normalized))
            {
                if (innerId is int normalizedId)
                {
                    ids.Add(normalizedId);
                    continue;
                }

                pieces.Clear();
                pieces.Add(new TextPiece(normalized.Substring(innerStart, innerLength), start == 0 && innerStart == 0));
                foreach (var splitter in _splitters)
                {
                    next.Clear();
                    foreach (var piece in pieces)
                    {
                        splitter.Split(piece, next);
                    }

                    (pieces, next) = (next, pieces);
                }

                foreach (var piece in pieces)
                {
                    _model.Tokenize(piece.Text, ids);
                }
            }
        }

        return ids;
    }

    /// <summary>Decodes ids; ids without a token are skipped, and with <paramref name="skipSpecialTokens"/> so is any token whose text is a special added token's.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (_idToToken.TryGetValue(id, out var token) && !(skipSpecialTokens && _specialContents.Contains(token)))
            {
                tokens.Add(token);
            }
        }

        if (_decoders is null)
        {
            return string.Join(' ', tokens);
        }

        foreach (var decoder in _decoders)
        {
            tokens = decoder.DecodeChain(tokens);
        }

        return string.Concat(tokens);
    }

    private string Normalize(string text)
    {
        foreach (var normalizer in _normalizers)
        {
            text = normalizer.Normalize(text);
        }

        return text;
    }
}
