namespace Adrpo.Text.Tokenization;

/// <summary>
/// Finds added tokens in text the way the Hugging Face <c>tokenizers</c> library's <c>AddedVocabulary</c> does: an
/// Aho-Corasick search with <c>MatchKind::LeftmostLongest</c>, i.e. the match that starts first, and among those the
/// longest, then on from its end.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, (string Content, int Id)[]> _byFirstChar;

    /// <param name="tokens">The patterns and the ids they stand for; an empty pattern never matches.</param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, int Id)> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Pattern.Length > 0)
            .GroupBy(t => t.Pattern[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Pattern.Length).Select(t => (t.Pattern, t.Id)).ToArray());
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>Cuts text into stretches: (start, length, id of the added token, or null for ordinary text).</summary>
    public List<(int Start, int Length, int? Id)> Split(string text)
    {
        var result = new List<(int, int, int?)>();
        int end = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates))
            {
                continue;
            }

            foreach (var (content, id) in candidates)
            {
                if (i + content.Length <= text.Length && string.CompareOrdinal(text, i, content, 0, content.Length) == 0)
                {
                    if (i > end)
                    {
                        result.Add((end, i - end, null));
                    }

                    result.Add((i, content.Length, id));
                    end = i + content.Length;
                    i = end - 1;
                    break;
                }
            }
        }

        if (end < text.Length)
        {
            result.Add((end, text.Length - end, null));
        }

        return result;
    }
}
