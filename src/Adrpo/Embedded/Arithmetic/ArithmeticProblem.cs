using System.Globalization;
using System.Text;

namespace Adrpo.Embedded.Arithmetic;

/// <summary>
/// One arithmetic word problem in structured form: a starting amount and one or two changes (a positive change is
/// a gain, a negative one a loss), told with a name, an object and a template. <see cref="Prompt"/>,
/// <see cref="Solution"/> and <see cref="Answer"/> are all derived from these fields, so a test can recompute them.
/// </summary>
/// <param name="Start">The amount the person starts with (1-20).</param>
/// <param name="Changes">One or two signed changes applied in order; every running total stays non-negative.</param>
/// <param name="Name">Index into <see cref="ArithmeticProblems.Names"/>.</param>
/// <param name="Item">Index into <see cref="ArithmeticProblems.Items"/>.</param>
/// <param name="Template">Index into <see cref="ArithmeticProblems.Templates"/>.</param>
/// <param name="Gain">Index of the gain phrasing (<see cref="ArithmeticProblems.GainVerbs"/>), one per change.</param>
/// <param name="Loss">Index of the loss phrasing (<see cref="ArithmeticProblems.LossVerbs"/>), one per change.</param>
internal sealed record ArithmeticProblem(int Start, IReadOnlyList<int> Changes, int Name, int Item, int Template, IReadOnlyList<int> Gain, IReadOnlyList<int> Loss)
{
    /// <summary>The final amount: <see cref="Start"/> plus every change.</summary>
    public int Answer => Start + Changes.Sum();

    /// <summary>The arithmetic alone, e.g. <c>17 + 25 - 8</c>: what the train / held-out split is keyed on.</summary>
    public string Expression
    {
        get
        {
            var text = new StringBuilder(Start.ToString(CultureInfo.InvariantCulture));
            foreach (int change in Changes)
            {
                text.Append(change >= 0 ? " + " : " - ").Append(Math.Abs(change).ToString(CultureInfo.InvariantCulture));
            }

            return text.ToString();
        }
    }

    /// <summary>The question in English, e.g. "Tom has 17 apples and buys 5 more, then gives away 8. How many apples does he have now?".</summary>
    public string Prompt => ArithmeticProblems.Tell(this);

    /// <summary>The target completion: one equation per change, then the answer line that
    /// <see cref="ArithmeticAnswer"/> reads, e.g. <c>17 + 5 = 22, 22 - 8 = 14. Answer: 14</c>.</summary>
    public string Solution
    {
        get
        {
            var text = new StringBuilder();
            int total = Start;
            for (int i = 0; i < Changes.Count; i++)
            {
                int next = total + Changes[i];
                text.Append(CultureInfo.InvariantCulture, $"{total} {(Changes[i] >= 0 ? '+' : '-')} {Math.Abs(Changes[i])} = {next}")
                    .Append(i + 1 < Changes.Count ? ", " : ". ");
                total = next;
            }

            return text.Append(CultureInfo.InvariantCulture, $"{ArithmeticAnswer.Marker} {total}").ToString();
        }
    }
}
