using System.Text;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// The BPE <c>model</c> of a Hugging Face <c>tokenizer.json</c>, as the <c>tokenizers</c> library runs it
/// (<c>models/bpe/model.rs</c> <c>merge_word</c> and <c>tokenize</c>, <c>models/bpe/word.rs</c> <c>merge_all</c>), for the
/// options Microsoft.ML.Tokenizers' <c>BpeTokenizer</c> lacks: <c>ignore_merges</c> (Llama 3) and <c>byte_fallback</c>
/// with <c>fuse_unk</c> (SentencePiece-converted vocabularies: Llama 2, Mistral).
/// </summary>
/// <remarks>
/// A word (one pre-tokenized piece) becomes one symbol per Unicode character; a character missing from the vocabulary
/// becomes its UTF-8 bytes as <c>&lt;0xXX&gt;</c> tokens when <c>byte_fallback</c> is set and every such token exists,
/// otherwise <c>unk_token</c> (consecutive ones fused into one when <c>fuse_unk</c>), otherwise nothing. Then the
/// adjacent pair with the lowest merge rank (leftmost among equal ranks) is merged until no pair has a merge.
/// </remarks>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int? _unknownId;
    private readonly bool _fuseUnknown;
    private readonly bool _ignoreMerges;

    /// <summary>The id of each byte's <c>&lt;0xXX&gt;</c> token, -1 where the vocabulary lacks it; null without byte fallback.</summary>
    private readonly int[]? _byteIds;

    /// <param name="vocabulary">Token to id.</param>
    /// <param name="merges">Merges in rank order (rank = index); a pair listed twice keeps its last rank, as in the Rust <c>HashMap</c> collect.</param>
    /// <param name="unknownToken">model.unk_token, or null; the caller has checked it is in the vocabulary.</param>
    /// <param name="fuseUnknown">model.fuse_unk.</param>
    /// <param name="byteFallback">model.byte_fallback.</param>
    /// <param name="ignoreMerges">model.ignore_merges.</param>
    /// <param name="path">The file, for error messages.</param>
    public BpeModel(Dictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges, string? unknownToken,
        bool fuseUnknown, bool byteFallback, bool ignoreMerges, string path)
    {
        _vocabulary = vocabulary;
        _fuseUnknown = fuseUnknown;
        _ignoreMerges = ignoreMerges;
        _unknownId = unknownToken is null ? null : vocabulary[unknownToken];
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            int leftId = Lookup(left, rank, path);
            int rightId = Lookup(right, rank, path);
            int newId = Lookup(left + right, rank, path);
            _merges[Key(leftId, rightId)] = (rank, newId);
        }

        if (byteFallback)
        {
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++)
            {
                _byteIds[b] = vocabulary.TryGetValue(ByteToken((byte)b), out int id) ? id : -1;
            }
        }
    }

    /// <summary>The byte-fallback token of a byte: Rust's <c>format!("&lt;{b:#04X}&gt;")</c>, e.g. <c>&lt;0x0A&gt;</c>.</summary>
    public static string ByteToken(byte value) => "<0x" + value.ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + ">";

    /// <summary>Appends the ids of one pre-tokenized word.</summary>
    public void Tokenize(string word, List<int> ids)
    {
        if (word.Length == 0)
        {
            return;
        }

        // ignore_merges (tokenize_with_cache): a word that is itself a token is that token, whatever the merges would make.
        if (_ignoreMerges && _vocabulary.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }

        var symbols = new List<Symbol>(word.Length);
        (int Id, int Length)? unknown = null;
        for (int i = 0; i < word.Length;)
        {
            // One symbol per Unicode scalar value, as Rust's char_indices (a surrogate pair is one character).
            int count = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            string character = word.Substring(i, count);
            i += count;
            int byteLength = Encoding.UTF8.GetByteCount(character);
            if (_vocabulary.TryGetValue(character, out int id))
            {
                if (unknown is { } pending)
                {
                    Add(symbols, pending.Id, pending.Length);
                    unknown = null;
                }

                Add(symbols, id, byteLength);
                continue;
            }

            if (_byteIds is not null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(character);
                if (Array.TrueForAll(bytes, b => _byteIds[b] >= 0))
                {
                    // As in merge_word, this does not flush a pending unknown token first.
                    foreach (byte b in bytes)
                    {
                        Add(symbols, _byteIds[b], 1);
                    }

                    continue;
                }
            }

            if (_unknownId is int unknownId)
            {
                if (unknown is { } pending)
                {
                    if (_fuseUnknown)
                    {
                        unknown = (pending.Id, pending.Length + byteLength);
                        continue;
                    }

                    Add(symbols, pending.Id, pending.Length);
                }

                unknown = (unknownId, byteLength);
            }

            // Without unk_token the character is dropped, as the Rust model does.
        }

        if (unknown is { } last)
        {
            Add(symbols, last.Id, last.Length);
        }

        MergeAll(symbols);
        foreach (var symbol in symbols)
        {
            if (symbol.Length != 0)
            {
                ids.Add(symbol.Id);
            }
        }
    }

    /// <summary>word.rs merge_all without dropout: a queue ordered by (rank, position) over a linked list of symbols.</summary>
    private void MergeAll(List<Symbol> symbols)
    {
        var queue = new PriorityQueue<(int Position, int NewId), (int Rank, int Position)>();
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            if (_merges.TryGetValue(Key(symbols[i].Id, symbols[i + 1].Id), out var merge))
            {
                queue.Enqueue((i, merge.NewId), (merge.Rank, i));
            }
        }

        while (queue.TryDequeue(out var top, out _))
        {
            var current = symbols[top.Position];
            if (current.Length == 0 || current.Next == -1)
            {
                continue; // already merged into its left neighbour, or now last
            }

            int rightPosition = current.Next;
            var right = symbols[rightPosition];
            if (!_merges.TryGetValue(Key(current.Id, right.Id), out var check) || check.NewId != top.NewId)
            {
                continue; // a stale entry: the pair at this position changed since it was queued
            }

            current = new Symbol(top.NewId, current.Previous, right.Next, current.Length + right.Length);
            symbols[top.Position] = current;
            symbols[rightPosition] = right with { Length = 0 };
            if (right.Next > -1 && right.Next < symbols.Count)
            {
                symbols[right.Next] = symbols[right.Next] with { Previous = top.Position };
            }

            if (current.Previous >= 0 && _merges.TryGetValue(Key(symbols[current.Previous].Id, current.Id), out var before))
            {
                queue.Enqueue((current.Previous, before.NewId), (before.Rank, current.Previous));
            }

            if (current.Next >= 0 && current.Next < symbols.Count && _merges.TryGetValue(Key(current.Id, symbols[current.Next].Id), out var after))
            {
                queue.Enqueue((top.Position, after.NewId), (after.Rank, top.Position));
            }
        }
    }

    private static void Add(List<Symbol> symbols, int id, int length)
    {
        int index = symbols.Count;
        if (index > 0)
        {
            symbols[index - 1] = symbols[index - 1] with { Next = index };
        }

        symbols.Add(new Symbol(id, index - 1, -1, length));
    }

    private int Lookup(string token, int rank, string path) =>
        _vocabulary.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"Tokenizer file '{path}': model.merges[{rank}] needs the token \"{token}\", which is not in model.vocab.");

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>A symbol of the word being merged: its id, its neighbours (-1 for none) and its length in bytes (0 once merged away).</summary>
    private readonly record struct Symbol(int Id, int Previous, int Next, int Length);
}
