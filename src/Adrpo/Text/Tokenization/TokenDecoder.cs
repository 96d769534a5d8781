using System.Globalization;
using System.Text;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// One step of a <c>tokenizer.json</c> <c>decoder</c> (a <c>Sequence</c> is a list of them): it rewrites the list of
/// token strings, which are then concatenated, as the Hugging Face <c>tokenizers</c> library does
/// (<c>decode_chain</c> in <c>decoders/*.rs</c>).
/// </summary>
internal abstract class TokenDecoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    /// <summary>
    /// <c>ByteLevel</c>: each token's characters back to the bytes they stand for (a token with a character outside the
    /// byte alphabet keeps its own UTF-8 bytes), then all bytes as UTF-8, each invalid sequence one U+FFFD (from_utf8_lossy).
    /// </summary>
    public sealed class ByteLevel : TokenDecoder
    {
        private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256)
            .ToDictionary(b => ByteLevelBpeTrainer.ByteCharacter((byte)b), b => (byte)b);

        public override List<string> DecodeChain(List<string> tokens)
        {
            var bytes = new List<byte>();
            foreach (string token in tokens)
            {
                if (token.All(CharToByte.ContainsKey))
                {
                    bytes.AddRange(token.Select(c => CharToByte[c]));
                }
                else
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(token));
                }
            }

            return new List<string> { Encoding.UTF8.GetString(bytes.ToArray()) };
        }
    }

    /// <summary><c>Replace</c> with a <c>String</c> pattern (Llama 2 / Mistral: "▁" by " "), in each token.</summary>
    public sealed class Replace : TokenDecoder
    {
        private readonly string _pattern;
        private readonly string _content;

        public Replace(string pattern, string content)
        {
            _pattern = pattern;
            _content = content;
        }

        public override List<string> DecodeChain(List<string> tokens) =>
            tokens.Select(t => t.Replace(_pattern, _content, StringComparison.Ordinal)).ToList();
    }

    /// <summary>
    /// <c>ByteFallback</c>: each run of <c>&lt;0xXX&gt;</c> tokens becomes the text of its bytes when they are valid
    /// UTF-8, and otherwise one U+FFFD per byte (not per invalid sequence, unlike a lossy UTF-8 decoder).
    /// </summary>
    public sealed class ByteFallback : TokenDecoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            var run = new List<byte>();
            foreach (string token in tokens)
            {
                if (TryParseByte(token, out byte value))
                {
                    run.Add(value);
                    continue;
                }

                Flush(run, result);
                result.Add(token);
            }

            Flush(run, result);
            return result;
        }

        /// <summary>Rust's test: six UTF-8 bytes, "&lt;0x" .. "&gt;", and <c>u8::from_str_radix</c> of the two bytes between (which allows a leading '+').</summary>
        private static bool TryParseByte(string token, out byte value)
        {
            value = 0;
            if (token.Length is < 5 or > 6 || !token.StartsWith("<0x", StringComparison.Ordinal) || !token.EndsWith('>')
                || Encoding.UTF8.GetByteCount(token) != 6)
            {
                return false;
            }

            string digits = token[3..^1];
            if (digits.Length != 2 || !digits.All(char.IsAscii))
            {
                return false;
            }

            if (digits[0] == '+')
            {
                digits = digits[1..];
            }

            return digits.All(char.IsAsciiHexDigit) && byte.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        private static void Flush(List<byte> run, List<string> result)
        {
            if (run.Count == 0)
            {
                return;
            }

            try
            {
                result.Add(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(run.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                result.AddRange(Enumerable.Repeat("\uFFFD", run.Count));
            }

            run.Clear();
        }
    }

    /// <summary><c>Fuse</c>: all tokens into one string.</summary>
    public sealed class Fuse : TokenDecoder
    {
        public override List<string> DecodeChain(List<string> tokens) => new() { string.Concat(tokens) };
    }

    /// <summary><c>Strip</c>: removes up to <c>start</c> leading and <c>stop</c> trailing copies of a character from each token.</summary>
    public sealed class Strip : TokenDecoder
    {
        private readonly char _content;
        private readonly int _start;
        private readonly int _stop;

        public Strip(char content, int start, int stop)
        {
            _content = content;
            _start = start;
            _stop = stop;
        }

        public override List<string> DecodeChain(List<string> tokens) => tokens.Select(StripOne).ToList();

        private string StripOne(string token)
        {
            int from = 0;
            while (from < _start && from < token.Length && token[from] == _content)
            {
                from++;
            }

            int to = token.Length;
            for (int i = 0; i < _stop && to > from && token[to - 1] == _content; i++)
            {
                to--;
            }

            return token[from..to];
        }
    }

    /// <summary>
    /// <c>Metaspace</c>: the replacement character ("▁") back to " ", except in the first token, where every replacement
    /// character is dropped unless <c>prepend_scheme</c> is <c>never</c> (the Rust decoder's rule, kept as it is).
    /// </summary>
    public sealed class Metaspace : TokenDecoder
    {
        private readonly char _replacement;
        private readonly bool _dropInFirst;

        public Metaspace(char replacement, MetaspacePrependScheme scheme)
        {
            _replacement = replacement;
            _dropInFirst = scheme != MetaspacePrependScheme.Never;
        }

        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            for (int i = 0; i < tokens.Count; i++)
            {
                result.Add(i == 0 && _dropInFirst
                    ? tokens[i].Replace(_replacement.ToString(), string.Empty, StringComparison.Ordinal)
                    : tokens[i].Replace(_replacement, ' '));
            }

            return result;
        }
    }
}
