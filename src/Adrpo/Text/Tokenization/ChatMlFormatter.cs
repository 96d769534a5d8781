using System.Text;
using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// Formats a single-turn prompt in ChatML, the chat format of Qwen2, Qwen2.5, Qwen3 and SmolLM2, exactly as their Jinja
/// <c>chat_template</c> renders one (optional) system message and one user message with
/// <c>add_generation_prompt=True</c>:
/// <code>
/// &lt;|im_start|&gt;system\n{system}&lt;|im_end|&gt;\n      (only with a system prompt or a template default)
/// &lt;|im_start|&gt;user\n{prompt}&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n
/// </code>
/// Qwen3's template takes <c>enable_thinking</c>: when it is false the generation prompt ends with an empty thinking
/// block, <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c>, so the model answers without reasoning first.
/// </summary>
/// <remarks>
/// This is not a Jinja interpreter: <see cref="FromChatTemplate"/> recognizes a ChatML template by its
/// <c>&lt;|im_start|&gt;</c> marker, the Qwen3 thinking switch by <c>enable_thinking</c>, and a default system prompt
/// (Qwen2.5: "You are Qwen, created by Alibaba Cloud. ...") by the literal system message the template writes when the
/// conversation has none. Multi-turn conversations, tools and images are out of its scope. The prompt is inserted
/// verbatim, as the template does, so special-token text inside it (e.g. <c>&lt;|im_end|&gt;</c>) is encoded as the
/// special token.
/// </remarks>
internal sealed partial class ChatMlFormatter : ChatFormatter
{
    /// <summary>The token that opens a ChatML message.</summary>
    public const string ImStart = "<|im_start|>";

    /// <summary>The token that closes a ChatML message.</summary>
    public const string ImEnd = "<|im_end|>";

    /// <summary>What Qwen3's template appends to the generation prompt when <c>enable_thinking</c> is false.</summary>
    public const string EmptyThinkingBlock = "<think>\n\n</think>\n\n";

    /// <summary>Creates a formatter.</summary>
    /// <param name="supportsThinkingSwitch">Whether <c>enableThinking: false</c> appends <see cref="EmptyThinkingBlock"/> (Qwen3).</param>
    /// <param name="defaultSystemPrompt">The system message written when the caller gives none (Qwen2.5); null for none (Qwen3).</param>
    public ChatMlFormatter(bool supportsThinkingSwitch = false, string? defaultSystemPrompt = null)
    {
        SupportsThinkingSwitch = supportsThinkingSwitch;
        DefaultSystemPrompt = defaultSystemPrompt;
    }

    /// <summary>Qwen3's format: no default system prompt, thinking switch supported.</summary>
    public static ChatMlFormatter Qwen3 { get; } = new(supportsThinkingSwitch: true);

    /// <summary>Whether <c>enableThinking: false</c> appends <see cref="EmptyThinkingBlock"/>; when false the flag is ignored, as the template would.</summary>
    public override bool SupportsThinkingSwitch { get; }

    /// <summary>The system message used when <see cref="FormatPrompt"/> gets no system prompt; null writes no system message.</summary>
    public string? DefaultSystemPrompt { get; }

    /// <summary>
    /// Reads a <c>chat_template</c> (from <c>tokenizer_config.json</c> or <c>chat_template.jinja</c>): returns a
    /// formatter when the template is ChatML (contains <c>&lt;|im_start|&gt;</c>), otherwise null.
    /// </summary>
    /// <param name="chatTemplate">The Jinja source, or null.</param>
    public static ChatMlFormatter? FromChatTemplate(string? chatTemplate)
    {
        if (chatTemplate is null || !chatTemplate.Contains(ImStart, StringComparison.Ordinal))
        {
            return null;
        }

        bool thinking = chatTemplate.Contains("enable_thinking", StringComparison.Ordinal)
                        && chatTemplate.Contains("<think>", StringComparison.Ordinal);
        var match = DefaultSystemMessage().Match(chatTemplate);
        string? defaultSystem = match.Success ? UnescapeJinja(match.Groups["system"].Value) : null;
        return new ChatMlFormatter(thinking, defaultSystem);
    }

    /// <inheritdoc/>
    /// <remarks>The prompt is inserted verbatim; a null <paramref name="systemPrompt"/> uses <see cref="DefaultSystemPrompt"/>
    /// (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"); <c>enableThinking: false</c>
    /// appends <see cref="EmptyThinkingBlock"/> when <see cref="SupportsThinkingSwitch"/>.</remarks>
    public override string FormatPrompt(string userPrompt, string? systemPrompt = null, bool enableThinking = true)
    {
        ArgumentNullException.ThrowIfNull(userPrompt);
        var text = new StringBuilder();
        string? system = systemPrompt ?? DefaultSystemPrompt;
        if (system is not null)
        {
            text.Append(ImStart).Append("system\n").Append(system).Append(ImEnd).Append('\n');
        }

        text.Append(ImStart).Append("user\n").Append(userPrompt).Append(ImEnd).Append('\n');
        text.Append(ImStart).Append("assistant\n");
        if (!enableThinking && SupportsThinkingSwitch)
        {
            text.Append(EmptyThinkingBlock);
        }

        return text.ToString();
    }

    private static string UnescapeJinja(string literal) => Regex.Replace(literal, @"\\(.)", m => m.Groups[1].Value switch
    {
        "n" => "\n",
        "t" => "\t",
        "r" => "\r",
        var other => other,
    });

    /// <summary>A single-quoted Jinja literal that is a whole system message, e.g. Qwen2.5's default.</summary>
    [GeneratedRegex(@"'<\|im_start\|>system\\n(?<system>(?:[^'\\]|\\.)*)<\|im_end\|>\\n'", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultSystemMessage();
}
