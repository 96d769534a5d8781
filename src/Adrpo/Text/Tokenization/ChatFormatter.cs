namespace Adrpo.Text.Tokenization;

/// <summary>
/// Formats a single-turn prompt (an optional system message, one user message and the assistant generation prompt)
/// exactly as a model family's Jinja <c>chat_template</c> renders it. <see cref="ForChatTemplate"/> recognizes the
/// family by the template's markers, as the tokenizer folder ships it: ChatML (Qwen, SmolLM2), Llama 3 headers, or
/// Mistral's <c>[INST]</c>.
/// </summary>
internal abstract class ChatFormatter
{
    /// <summary>Whether <c>enableThinking: false</c> changes the prompt (Qwen3); when false the flag is ignored, as the template would.</summary>
    public virtual bool SupportsThinkingSwitch => false;

    /// <summary>Picks the formatter for a <c>chat_template</c>; null when the template is none of the known families.</summary>
    /// <param name="chatTemplate">The Jinja source (from <c>tokenizer_config.json</c> or <c>chat_template.jinja</c>), or null.</param>
    /// <param name="bosToken">The configuration's <c>bos_token</c> text, which Llama 3 and Mistral templates write first; null when it has none.</param>
    public static ChatFormatter? ForChatTemplate(string? chatTemplate, string? bosToken) =>
        (ChatFormatter?)ChatMlFormatter.FromChatTemplate(chatTemplate)
        ?? (ChatFormatter?)Llama3ChatFormatter.FromChatTemplate(chatTemplate, bosToken)
        ?? MistralChatFormatter.FromChatTemplate(chatTemplate, bosToken);

    /// <summary>Formats one user prompt (and an optional system prompt) followed by the assistant generation prompt.</summary>
    /// <param name="userPrompt">The user's message.</param>
    /// <param name="systemPrompt">A system message; null uses the template's default, if it has one.</param>
    /// <param name="enableThinking">Qwen3's <c>enable_thinking</c>; ignored unless <see cref="SupportsThinkingSwitch"/>.</param>
    /// <returns>The text to encode (with special tokens parsed, no post-processor tokens added) and feed to the model.</returns>
    public abstract string FormatPrompt(string userPrompt, string? systemPrompt = null, bool enableThinking = true);
}
