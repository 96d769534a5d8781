using System.Text;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// One step of a <c>tokenizer.json</c> <c>normalizer</c> (a <c>Sequence</c> is a list of them), applied to each stretch
/// of text between added tokens, as the Hugging Face <c>tokenizers</c> library does (<c>normalizers/*.rs</c>).
/// </summary>
internal abstract class TextNormalizer
{
    public abstract string Normalize(string text);

    /// <summary><c>NFC</c>: Unicode canonical composition.</summary>
    public sealed class Nfc : TextNormalizer
    {
        public override string Normalize(string text) => text.Normalize(NormalizationForm.FormC);
    }

    /// <summary><c>Prepend</c> (Llama 2 / Mistral: "▁"): puts the string in front of any non-empty text.</summary>
    public sealed class Prepend : TextNormalizer
    {
        private readonly string _prefix;

        public Prepend(string prefix) => _prefix = prefix;

        public override string Normalize(string text) => text.Length == 0 ? text : _prefix + text;
    }

    /// <summary><c>Replace</c> with a <c>String</c> pattern (Llama 2 / Mistral: " " by "▁"): every non-overlapping occurrence, left to right.</summary>
    public sealed class Replace : TextNormalizer
    {
        private readonly string _pattern;
        private readonly string _content;

        public Replace(string pattern, string content)
        {
            _pattern = pattern;
            _content = content;
        }

        public override string Normalize(string text) => text.Replace(_pattern, _content, StringComparison.Ordinal);
    }
}
