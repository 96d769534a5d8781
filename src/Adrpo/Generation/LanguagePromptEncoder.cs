using Adrpo.Text.Tokenization;
using static TorchSharp.torch;

namespace Adrpo.Generation;

/// <summary>Turns prompt strings into left-padded token ids and an attention mask (ChatML when asked).</summary>
internal sealed class LanguagePromptEncoder
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly bool _chat;
    private readonly bool _thinking;
    private readonly int _maxTokens;

    public LanguagePromptEncoder(HuggingFaceTokenizer tokenizer, bool useChatTemplate, bool enableThinking, int maxTokens)
    {
        _tokenizer = tokenizer;
        _chat = useChatTemplate && tokenizer.ChatFormatter is not null;
        _thinking = enableThinking;
        _maxTokens = maxTokens;
        PadId = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
    }

    public long PadId { get; }

    /// <summary>The text the model actually sees for <paramref name="prompt"/>.</summary>
    public string Format(string prompt) => _chat ? _tokenizer.ChatFormatter!.FormatPrompt(prompt, enableThinking: _thinking) : prompt;

    /// <returns>ids [B, S] and mask [B, S] (int64), left padded.</returns>
    /// <exception cref="ArgumentException">A prompt is longer than the allowed number of tokens.</exception>
    public (Tensor Ids, Tensor Mask) Encode(IReadOnlyList<string> prompts)
    {
        var encoded = prompts.Select(p => _tokenizer.Encode(Format(p))).ToList();
        for (int i = 0; i < encoded.Count; i++)
        {
            if (encoded[i].Count > _maxTokens)
            {
                throw new ArgumentException($"Prompt {i} (\"{Shorten(prompts[i])}\") is {encoded[i].Count} tokens after templating; the limit is {_maxTokens} (option MaxPromptTokens, bounded by the model's context).", nameof(prompts));
            }

            if (encoded[i].Count == 0)
            {
                throw new ArgumentException($"Prompt {i} encodes to no tokens.", nameof(prompts));
            }
        }

        int length = encoded.Max(e => e.Count);
        var ids = new long[prompts.Count * length];
        var mask = new long[prompts.Count * length];
        for (int i = 0; i < encoded.Count; i++)
        {
            int offset = (i * length) + (length - encoded[i].Count);
            for (int j = 0; j < length - encoded[i].Count; j++)
            {
                ids[(i * length) + j] = PadId;
            }

            for (int j = 0; j < encoded[i].Count; j++)
            {
                ids[offset + j] = encoded[i][j];
                mask[offset + j] = 1;
            }
        }

        return (tensor(ids, new long[] { prompts.Count, length }), tensor(mask, new long[] { prompts.Count, length }));
    }

    /// <summary>Decodes each row's completion tokens (mask 1), without special tokens.</summary>
    public string[] DecodeCompletions(Tensor tokens, Tensor completionMask)
    {
        long[] t = tokens.cpu().data<long>().ToArray();
        long[] m = completionMask.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        int rows = (int)tokens.shape[0], width = (int)tokens.shape[1];
        var result = new string[rows];
        for (int r = 0; r < rows; r++)
        {
            var ids = Enumerable.Range(0, width).Where(j => m[(r * width) + j] == 1).Select(j => (int)t[(r * width) + j]);
            result[r] = _tokenizer.Decode(ids, skipSpecialTokens: true);
        }

        return result;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
