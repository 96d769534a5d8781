using System.Globalization;
using System.Text.RegularExpressions;

namespace Adrpo.Embedded.Arithmetic;

/// <summary>
/// Reads the answer of a completion of the arithmetic task, shared by the rewards and the evaluation so that both
/// judge the same thing. The format is one or more equations then <c>Answer: N</c> as the last thing said, e.g.
/// <c>17 + 5 = 22, 22 - 8 = 14. Answer: 14</c>.
/// </summary>
internal static partial class ArithmeticAnswer
{
    /// <summary>The words before the final number.</summary>
    public const string Marker = "Answer:";

    /// <summary>The answer of a completion: the integer after the only <c>Answer:</c>, which must end the completion
    /// (surrounding white space aside); null when there is none, more than one, or anything follows the number.</summary>
    public static int? Extract(string? completion)
    {
        if (completion is null)
        {
            return null;
        }

        var match = AnswerLine().Match(completion);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value : null;
    }

    /// <summary>Whether the completion has the whole format: equations <c>a ± b = c</c> separated by ", " and closed by
    /// ". ", then <c>Answer: N</c> (the arithmetic itself is not checked: that is the accuracy reward's job).</summary>
    public static bool IsWellFormed(string? completion) => completion is not null && WholeFormat().IsMatch(completion.Trim()) && Extract(completion) is not null;

    /// <summary>1 when the completion's answer equals <paramref name="expected"/>, else 0.</summary>
    public static float Score(string? completion, int expected) => Extract(completion) == expected ? 1f : 0f;

    // Exactly one marker: a second "Answer:" anywhere earlier makes the completion ambiguous, so it has no answer.
    [GeneratedRegex(@"^(?:(?!Answer:)[\s\S])*Answer:[ ]?(-?\d{1,9})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex AnswerLine();

    [GeneratedRegex(@"^\d+ [+-] \d+ = -?\d+(?:, \d+ [+-] \d+ = -?\d+)*\. Answer: -?\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex WholeFormat();
}
