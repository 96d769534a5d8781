using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// Formats a single-turn prompt in Mistral's instruction format, as its <c>chat_template</c> renders one user message
/// (and, where the template has one, a system message) with <c>add_generation_prompt=True</c>:
/// <c>{bos}[INST] {prompt} [/INST]</c> (v0.1/v0.2 templates) or <c>{bos}[INST] {prompt}[/INST]</c> (v0.3 and later);
/// a system message is written before the last user message, <c>[INST] {system}\n\n{prompt}</c>, as the v0.3 template
/// does. Mistral has no separate assistant header: generation starts right after <c>[/INST]</c>.
/// </summary>
internal sealed partial class MistralChatFormatter : ChatFormatter
{
    /// <summary>Creates a formatter.</summary>
    /// <param name="bosToken">Text written first (Mistral: <c>&lt;s&gt;</c>); null writes nothing.</param>
    /// <param name="spaceBeforeClose">Whether <c>[/INST]</c> follows the prompt after a space (v0.1/v0.2 templates).</param>
    /// <param name="supportsSystem">Whether the template accepts a system message (v0.1's raises an error on one).</param>
    public MistralChatFormatter(string? bosToken = "<s>", bool spaceBeforeClose = true, bool supportsSystem = true)
    {
        BosToken = bosToken;
        SpaceBeforeClose = spaceBeforeClose;
        SupportsSystem = supportsSystem;
    }

    /// <summary>Text written before the first message.</summary>
    public string? BosToken { get; }

    /// <summary>Whether a space separates the prompt from <c>[/INST]</c>.</summary>
    public bool SpaceBeforeClose { get; }

    /// <summary>Whether a system message is accepted.</summary>
    public bool SupportsSystem { get; }

    /// <summary>A formatter when <paramref name="chatTemplate"/> writes <c>[INST]</c>; otherwise null.</summary>
    /// <param name="chatTemplate">The Jinja source, or null.</param>
    /// <param name="bosToken">The configuration's <c>bos_token</c>.</param>
    public static MistralChatFormatter? FromChatTemplate(string? chatTemplate, string? bosToken)
    {
        if (chatTemplate is null || !chatTemplate.Contains("[INST]", StringComparison.Ordinal))
        {
            return null;
        }

        return new MistralChatFormatter(bosToken, SpacedClose().IsMatch(chatTemplate), chatTemplate.Contains("system_message", StringComparison.Ordinal));
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A system prompt for a template without one (<paramref name="systemPrompt"/>).</exception>
    public override string FormatPrompt(string userPrompt, string? systemPrompt = null, bool enableThinking = true)
    {
        ArgumentNullException.ThrowIfNull(userPrompt);
        if (systemPrompt is not null && !SupportsSystem)
        {
            throw new ArgumentException("This Mistral chat template has no system role (it raises an error on one); pass the instruction inside the user prompt instead.", nameof(systemPrompt));
        }

        string content = systemPrompt is null ? userPrompt : systemPrompt + "\n\n" + userPrompt;
        return BosToken + "[INST] " + content + (SpaceBeforeClose ? " [/INST]" : "[/INST]");
    }

    /// <summary>A string literal that closes with a space before <c>[/INST]</c>: <c>' [/INST]'</c>.</summary>
    [GeneratedRegex(@"[""'] \[/INST\][""']", RegexOptions.CultureInvariant)]
    private static partial Regex SpacedClose();
}
