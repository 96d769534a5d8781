using System.Text;
using System.Text.RegularExpressions;

namespace Adrpo.Text.Tokenization;

/// <summary>
/// Formats a single-turn prompt in the Llama 3 chat format, as its <c>chat_template</c> renders one (optional) system
/// message and one user message with <c>add_generation_prompt=True</c>:
/// <code>
/// {bos}&lt;|start_header_id|&gt;system&lt;|end_header_id|&gt;\n\n{system}&lt;|eot_id|&gt;      (Llama 3.0: only with a system prompt)
/// &lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\n{prompt}&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n
/// </code>
/// Messages are trimmed, as the template's <c>| trim</c> does. Llama 3.1 and later templates always write the system
/// block, opened by <c>Cutting Knowledge Date: December 2023\nToday Date: {date}\n\n</c>.
/// </summary>
/// <remarks>
/// The date is the literal default the template sets for <c>date_string</c> ("26 Jul 2024"). Llama 3.2's template
/// prefers <c>strftime_now</c>, which transformers supplies, so Python renders the current date there; this class keeps
/// the literal default so that a prompt is the same on every day (pass a system prompt to say more). Tools and
/// multi-turn conversations are out of scope.
/// </remarks>
internal sealed partial class Llama3ChatFormatter : ChatFormatter
{
    /// <summary>The token that opens a message header.</summary>
    public const string StartHeader = "<|start_header_id|>";

    /// <summary>The token that closes a message header.</summary>
    public const string EndHeader = "<|end_header_id|>";

    /// <summary>The token that ends a message (and a turn).</summary>
    public const string EndOfTurn = "<|eot_id|>";

    /// <summary>Creates a formatter.</summary>
    /// <param name="bosToken">Text written first (Llama 3: <c>&lt;|begin_of_text|&gt;</c>); null writes nothing, as Jinja renders a missing bos_token.</param>
    /// <param name="knowledgeDate">The system preamble's date (Llama 3.1+: "26 Jul 2024"); null for Llama 3.0's template, which has no preamble.</param>
    public Llama3ChatFormatter(string? bosToken = "<|begin_of_text|>", string? knowledgeDate = null)
    {
        BosToken = bosToken;
        KnowledgeDate = knowledgeDate;
    }

    /// <summary>Text written before the first message.</summary>
    public string? BosToken { get; }

    /// <summary>The "Today Date" of Llama 3.1+'s system preamble; null when the template has no preamble.</summary>
    public string? KnowledgeDate { get; }

    /// <summary>A formatter when <paramref name="chatTemplate"/> writes Llama 3 headers (<c>&lt;|start_header_id|&gt;</c>); otherwise null.</summary>
    /// <param name="chatTemplate">The Jinja source, or null.</param>
    /// <param name="bosToken">The configuration's <c>bos_token</c>.</param>
    public static Llama3ChatFormatter? FromChatTemplate(string? chatTemplate, string? bosToken)
    {
        if (chatTemplate is null || !chatTemplate.Contains(StartHeader, StringComparison.Ordinal))
        {
            return null;
        }

        string? date = null;
        if (chatTemplate.Contains("Cutting Knowledge Date", StringComparison.Ordinal))
        {
            var match = DefaultDate().Match(chatTemplate);
            date = match.Success ? match.Groups["date"].Value : "26 Jul 2024";
        }

        return new Llama3ChatFormatter(bosToken, date);
    }

    /// <inheritdoc/>
    public override string FormatPrompt(string userPrompt, string? systemPrompt = null, bool enableThinking = true)
    {
        ArgumentNullException.ThrowIfNull(userPrompt);
        var text = new StringBuilder(BosToken);
        if (KnowledgeDate is not null || systemPrompt is not null)
        {
            string preamble = KnowledgeDate is null ? "" : $"Cutting Knowledge Date: December 2023\nToday Date: {KnowledgeDate}\n\n";
            Message(text, "system", preamble + (systemPrompt ?? "").Trim());
        }

        Message(text, "user", userPrompt.Trim());
        return text.Append(StartHeader).Append("assistant").Append(EndHeader).Append("\n\n").ToString();
    }

    private static void Message(StringBuilder text, string role, string content) =>
        text.Append(StartHeader).Append(role).Append(EndHeader).Append("\n\n").Append(content).Append(EndOfTurn);

    /// <summary>The template's fallback <c>{%- set date_string = "26 Jul 2024" %}</c>.</summary>
    [GeneratedRegex(@"set\s+date_string\s*=\s*[""'](?<date>[^""']+)[""']", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultDate();
}
