using System.Text;
using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>A stretch of text on its way to the BPE model, and whether it begins at offset 0 of the original text.</summary>
/// <remarks><see cref="AtStart"/> is what Metaspace's <c>prepend_scheme: "first"</c> tests (<c>offsets_original().0 == 0</c>).</remarks>
internal readonly record struct TextPiece(string Text, bool AtStart);

/// <summary>How the Metaspace pre-tokenizer and decoder treat the start of the text (<c>prepend_scheme</c>).</summary>
internal enum MetaspacePrependScheme
{
    /// <summary>Prepend the replacement only to the piece that starts the original text.</summary>
    First,

    /// <summary>Never prepend.</summary>
    Never,

    /// <summary>Prepend to every piece (the default, and what <c>add_prefix_space: true</c> means).</summary>
    Always,
}

/// <summary>
/// One step of a <c>tokenizer.json</c> <c>pre_tokenizer</c> (a <c>Sequence</c> is a list of them): it cuts each piece into
/// smaller ones and may rewrite them, as the Hugging Face <c>tokenizers</c> library does (<c>pre_tokenizers/*.rs</c>).
/// Empty pieces are dropped, as <c>PreTokenizedString::split</c> does.
/// </summary>
internal abstract class PieceSplitter
{
    public abstract void Split(TextPiece piece, List<TextPiece> output);

    private static void AddIsolated(Regex regex, TextPiece piece, List<TextPiece> output)
    {
        string text = piece.Text;
        int end = 0;
        foreach (var match in regex.EnumerateMatches(text))
        {
            if (match.Index > end)
            {
                Add(output, text[end..match.Index], piece.AtStart && end == 0);
            }

            Add(output, text.Substring(match.Index, match.Length), piece.AtStart && match.Index == 0);
            end = match.Index + match.Length;
        }

        if (end < text.Length)
        {
            Add(output, text[end..], piece.AtStart && end == 0);
        }
    }

    private static void Add(List<TextPiece> output, string text, bool atStart)
    {
        if (text.Length > 0)
        {
            output.Add(new TextPiece(text, atStart));
        }
    }

    /// <summary><c>Split</c> with behavior <c>Isolated</c>: every match is a piece, and so is every stretch between matches.</summary>
    public sealed class RegexIsolated : PieceSplitter
    {
        private readonly Regex _regex;

        public RegexIsolated(string pattern)
        {
            Pattern = pattern;
            _regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }

        public string Pattern { get; }

        public override void Split(TextPiece piece, List<TextPiece> output) => AddIsolated(_regex, piece, output);
    }

    /// <summary>
    /// <c>ByteLevel</c> (add_prefix_space false): optionally the GPT-2 split (<c>use_regex</c>), then each piece's UTF-8
    /// bytes written as GPT-2's printable characters, the alphabet of a byte-level vocabulary.
    /// </summary>
    public sealed class ByteLevel : PieceSplitter
    {
        private readonly Regex? _gpt2;

        public ByteLevel(bool useRegex) =>
            _gpt2 = useRegex ? new Regex(TokenizerJsonReader.Gpt2Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant) : null;

        public override void Split(TextPiece piece, List<TextPiece> output)
        {
            var pieces = new List<TextPiece>();
            if (_gpt2 is null)
            {
                pieces.Add(piece);
            }
            else
            {
                AddIsolated(_gpt2, piece, pieces);
            }

            foreach (var p in pieces)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(p.Text);
                var mapped = new char[bytes.Length];
                for (int i = 0; i < bytes.Length; i++)
                {
                    mapped[i] = ByteLevelBpeTrainer.ByteCharacter(bytes[i]);
                }

                Add(output, new string(mapped), p.AtStart);
            }
        }
    }

    /// <summary>
    /// <c>Metaspace</c> (newer Llama 2 / Mistral files): every " " becomes the replacement ("▁"), which is then put in
    /// front of the piece unless it already starts with one (<see cref="MetaspacePrependScheme"/>); with <c>split</c>
    /// the piece is cut before every replacement character (behavior <c>MergedWithNext</c>).
    /// </summary>
    public sealed class Metaspace : PieceSplitter
    {
        private readonly char _replacement;
        private readonly MetaspacePrependScheme _scheme;
        private readonly bool _split;

        public Metaspace(char replacement, MetaspacePrependScheme scheme, bool split)
        {
            _replacement = replacement;
            _scheme = scheme;
            _split = split;
        }

        public override void Split(TextPiece piece, List<TextPiece> output)
        {
            string text = piece.Text.Replace(' ', _replacement);
            bool prepend = _scheme == MetaspacePrependScheme.Always || (_scheme == MetaspacePrependScheme.First && piece.AtStart);
            if (prepend && !text.StartsWith(_replacement))
            {
                text = _replacement + text;
            }

            if (!_split)
            {
                Add(output, text, piece.AtStart);
                return;
            }

            int start = 0;
            for (int i = 1; i < text.Length; i++)
            {
                if (text[i] == _replacement)
                {
                    Add(output, text[start..i], piece.AtStart && start == 0);
                    start = i;
                }
            }

            Add(output, text[start..], piece.AtStart && start == 0);
        }
    }
}
