using System.Text;
using Microsoft.ML.Tokenizers;

namespace Adrpo.Text.Tokenization;

/// <summary>Unicode NFC, the <c>normalizer</c> of Qwen2/Qwen3 tokenizers (Microsoft.ML.Tokenizers 2.0.1 has none).</summary>
internal sealed class NfcNormalizer : Normalizer
{
    public static NfcNormalizer Instance { get; } = new();

    public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);

    public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
}

/// <summary>
/// The Hugging Face <c>Split</c> pre-tokenizer with behavior <c>Isolated</c>: every regex match is a piece and so is
/// every stretch of text between matches. <see cref="RegexPreTokenizer"/> yields the matches only (it would drop the
/// gaps), so this wraps it and adds them; the split on added tokens is <see cref="RegexPreTokenizer"/>'s own.
/// </summary>
internal sealed class IsolatedSplitPreTokenizer : PreTokenizer
{
    private readonly RegexPreTokenizer _inner;

    public IsolatedSplitPreTokenizer(RegexPreTokenizer inner) => _inner = inner;

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? Array.Empty<(int, int)>() : WithGaps(_inner.PreTokenize(text), text.Length);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? Array.Empty<(int, int)>() : WithGaps(_inner.PreTokenize(text), text.Length);

    private static List<(int Offset, int Length)> WithGaps(IEnumerable<(int Offset, int Length)> matches, int length)
    {
        var pieces = new List<(int Offset, int Length)>();
        int end = 0;
        foreach (var (offset, count) in matches)
        {
            if (offset > end)
            {
                pieces.Add((end, offset - end));
            }

            pieces.Add((offset, count));
            end = offset + count;
        }

        if (end < length)
        {
            pieces.Add((end, length - end));
        }

        return pieces;
    }
}
