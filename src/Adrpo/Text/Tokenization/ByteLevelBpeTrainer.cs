using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// Learns a small byte-level BPE vocabulary from a corpus and writes it as a Hugging Face <c>tokenizer.json</c> in the
/// Qwen2/Qwen3 layout (NFC normalizer, <c>Split</c> with Qwen's regex then <c>ByteLevel</c>, ByteLevel decoder), which
/// <see cref="HuggingFaceTokenizer"/> and the Hugging Face <c>tokenizers</c> library both load. Ids 0-255 are the 256
/// single bytes (in byte order, written with GPT-2's bytes-to-unicode characters), then one id per merge in rank
/// order, then the added tokens.
/// </summary>
/// <remarks>
/// Training is the classic algorithm: the text is split into pieces with the same regex the tokenizer uses (added
/// tokens are removed first, so no merge crosses them), each piece becomes its byte characters, and the most frequent
/// adjacent pair is merged, repeatedly. Ties are broken by the ordinal order of the pair, so a corpus always gives the
/// same merges.
/// </remarks>
internal static class ByteLevelBpeTrainer
{
    /// <summary>Qwen2/Qwen3's split regex, as it appears in their <c>tokenizer.json</c>.</summary>
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>ChatML's special tokens, the default <c>added_tokens</c>: end of text, start and end of a message.</summary>
    public static IReadOnlyList<string> ChatMlSpecialTokens { get; } = new[] { "<|endoftext|>", ChatMlFormatter.ImStart, ChatMlFormatter.ImEnd };

    private static readonly char[] ByteToChar = BuildByteMap();

    /// <summary>GPT-2's bytes-to-unicode character of a byte (printable bytes map to themselves, the rest to U+0100 on).</summary>
    public static char ByteCharacter(byte value) => ByteToChar[value];

    /// <summary>Learns merges and returns the <c>tokenizer.json</c> text.</summary>
    /// <param name="corpus">Training texts; occurrences of <paramref name="specialTokens"/> in them are skipped.</param>
    /// <param name="mergeCount">Most merges to learn (fewer when no pair occurs at least <paramref name="minFrequency"/> times).</param>
    /// <param name="specialTokens">Added tokens, all marked special; null uses <see cref="ChatMlSpecialTokens"/>.</param>
    /// <param name="minFrequency">Least count of a pair worth merging.</param>
    /// <returns>The JSON text (indented) and the learned merges in rank order.</returns>
    public static (string Json, IReadOnlyList<(string Left, string Right)> Merges) Train(IEnumerable<string> corpus, int mergeCount, IReadOnlyList<string>? specialTokens = null, int minFrequency = 2)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfNegative(mergeCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);
        specialTokens ??= ChatMlSpecialTokens;
        if (specialTokens.Any(string.IsNullOrEmpty) || specialTokens.Distinct(StringComparer.Ordinal).Count() != specialTokens.Count)
        {
            throw new ArgumentException("Special tokens must be distinct and non-empty.", nameof(specialTokens));
        }

        var words = CountPieces(corpus, specialTokens);
        var merges = LearnMerges(words, mergeCount, minFrequency);
        return (BuildJson(merges, specialTokens).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), merges);
    }

    /// <summary>Pieces of the corpus in byte-level form with their counts.</summary>
    private static Dictionary<string, int> CountPieces(IEnumerable<string> corpus, IReadOnlyList<string> specialTokens)
    {
        var split = new Regex(QwenPattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string raw in corpus)
        {
            ArgumentNullException.ThrowIfNull(raw, nameof(corpus));
            var segments = new List<string> { raw.Normalize(NormalizationForm.FormC) };
            foreach (string special in specialTokens)
            {
                segments = segments.SelectMany(s => s.Split(special, StringSplitOptions.None)).ToList();
            }

            foreach (string segment in segments)
            {
                int end = 0;
                foreach (Match match in split.Matches(segment))
                {
                    if (match.Index > end)
                    {
                        Add(segment[end..match.Index]); // Isolated: the text between matches is a piece too
                    }

                    Add(match.Value);
                    end = match.Index + match.Length;
                }

                if (end < segment.Length)
                {
                    Add(segment[end..]);
                }
            }
        }

        return counts;

        void Add(string piece)
        {
            string bytes = new(Encoding.UTF8.GetBytes(piece).Select(b => ByteToChar[b]).ToArray());
            counts[bytes] = counts.TryGetValue(bytes, out int n) ? n + 1 : 1;
        }
    }

    private static List<(string Left, string Right)> LearnMerges(Dictionary<string, int> pieces, int mergeCount, int minFrequency)
    {
        var words = pieces.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => (Symbols: p.Key.Select(c => c.ToString()).ToList(), Count: p.Value)).ToList();
        var merges = new List<(string, string)>(mergeCount);
        while (merges.Count < mergeCount)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    pairs[pair] = pairs.TryGetValue(pair, out int n) ? n + count : count;
                }
            }

            (string Left, string Right) best = default;
            int bestCount = 0;
            foreach (var (pair, count) in pairs)
            {
                if (count > bestCount || (count == bestCount && Compare(pair, best) < 0))
                {
                    best = pair;
                    bestCount = count;
                }
            }

            if (bestCount < minFrequency)
            {
                break;
            }

            // Two pairs can spell the same token ("a"+"bc", "ab"+"c"): both are merges, the token gets one id (as in
            // the Hugging Face trainer).
            string merged = best.Left + best.Right;
            merges.Add(best);
            foreach (var (symbols, _) in words)
            {
                Merge(symbols, best, merged);
            }
        }

        return merges;
    }

    private static int Compare((string Left, string Right) a, (string Left, string Right) b)
    {
        int c = string.CompareOrdinal(a.Left, b.Left);
        return c != 0 ? c : string.CompareOrdinal(a.Right, b.Right);
    }

    private static void Merge(List<string> symbols, (string Left, string Right) pair, string merged)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == pair.Left && symbols[i + 1] == pair.Right)
            {
                symbols[i] = merged;
                symbols.RemoveAt(i + 1);
            }
        }
    }

    private static JsonObject BuildJson(IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> specialTokens)
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++)
        {
            vocab[ByteToChar[b].ToString()] = b;
        }

        var mergeArray = new JsonArray();
        int id = 256;
        foreach (var (left, right) in merges)
        {
            if (!vocab.ContainsKey(left + right))
            {
                vocab[left + right] = id++;
            }

            mergeArray.Add(new JsonArray(left, right));
        }

        var added = new JsonArray();
        foreach (string special in specialTokens)
        {
            added.Add(new JsonObject
            {
                ["id"] = id++,
                ["content"] = special,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }

        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = QwenPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = mergeArray,
            },
        };
    }

    private static char[] BuildByteMap()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + next++);
        }

        return map;
    }
}
