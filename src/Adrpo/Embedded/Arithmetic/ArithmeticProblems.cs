using System.Globalization;
using System.Text;

namespace Adrpo.Embedded.Arithmetic;

/// <summary>
/// The procedural generator of the arithmetic task: two- and three-number sums and differences told as short word
/// problems ("Tom has 17 apples and buys 5 more, then gives away 8. How many apples does he have?"), with 12 names,
/// 12 objects, 4 sentence templates and 4 gain and 4 loss phrasings. Every number is 1-20 and every running total is
/// non-negative, so the answers lie in 0-60. Deterministic given a seed.
/// </summary>
/// <remarks>
/// The train / held-out split is keyed on the arithmetic (<see cref="ArithmeticProblem.Expression"/>), not on the
/// wording: about one expression in eight is held out (<see cref="IsHeldOut"/>), so a held-out problem's sum never
/// appears in training in any wording, and the two sides can never share a prompt.
/// </remarks>
internal static class ArithmeticProblems
{
    /// <summary>The largest starting amount and the largest change.</summary>
    public const int MaxOperand = 20;

    /// <summary>Seed of the fixed training problems of <see cref="EmbeddedArithmetic.LoadTrainData"/>.</summary>
    public const int TrainSeed = 1;

    /// <summary>Seed of the fixed held-out problems of <see cref="EmbeddedArithmetic.LoadTestData"/>.</summary>
    public const int TestSeed = 2;

    /// <summary>How many fixed training problems there are.</summary>
    public const int TrainCount = 2000;

    /// <summary>How many fixed held-out problems there are.</summary>
    public const int TestCount = 500;

    /// <summary>Names and their subject pronouns.</summary>
    public static readonly (string Name, string Pronoun)[] Names =
    {
        ("Tom", "he"), ("Anna", "she"), ("Ben", "he"), ("Mia", "she"), ("Sam", "he"), ("Lily", "she"),
        ("Max", "he"), ("Zoe", "she"), ("Leo", "he"), ("Emma", "she"), ("Omar", "he"), ("Nina", "she"),
    };

    /// <summary>Countable objects, plural.</summary>
    public static readonly string[] Items = { "apples", "pens", "stamps", "marbles", "cookies", "books", "coins", "stickers", "shells", "cards", "balloons", "eggs" };

    /// <summary>Sentence templates: {0} name, {1} pronoun, {2} start, {3} object, {4} the changes, {5} capitalised pronoun.</summary>
    public static readonly string[] Templates =
    {
        "{0} has {2} {3} and {4}. How many {3} does {1} have?",
        "{0} has {2} {3}. {5} {4}. How many {3} does {1} have now?",
        "{0} starts with {2} {3}, {4}. How many {3} does {0} have in the end?",
        "If {0} has {2} {3} and {4}, how many {3} does {1} have?",
    };

    /// <summary>Phrasings of a gain of {0}.</summary>
    public static readonly string[] GainVerbs = { "buys {0} more", "finds {0} more", "gets {0} more", "is given {0} more" };

    /// <summary>Phrasings of a loss of {0}.</summary>
    public static readonly string[] LossVerbs = { "gives away {0}", "loses {0}", "sells {0}", "gives {0} to a friend" };

    /// <summary>Whether a problem is on the held-out side: a fixed hash (FNV-1a, not the process-randomised
    /// <c>string.GetHashCode</c>) of its expression, one in eight.</summary>
    public static bool IsHeldOut(ArithmeticProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        uint hash = 2166136261;
        foreach (char c in problem.Expression)
        {
            hash = unchecked((hash ^ c) * 16777619);
        }

        return hash % 8 == 3;
    }

    /// <summary>One random problem (either side of the split): half have two numbers, half three.</summary>
    public static ArithmeticProblem Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int start = random.Next(1, MaxOperand + 1);
        int count = random.Next(1, 3);
        var changes = new int[count];
        var gain = new int[count];
        var loss = new int[count];
        int total = start;
        for (int i = 0; i < count; i++)
        {
            bool subtract = total > 0 && random.Next(2) == 0;
            changes[i] = subtract ? -random.Next(1, Math.Min(MaxOperand, total) + 1) : random.Next(1, MaxOperand + 1);
            total += changes[i];
            gain[i] = random.Next(GainVerbs.Length);
            loss[i] = random.Next(LossVerbs.Length);
        }

        return new ArithmeticProblem(start, changes, random.Next(Names.Length), random.Next(Items.Length), random.Next(Templates.Length), gain, loss);
    }

    /// <summary><paramref name="count"/> problems with distinct prompts from one side of the split, in a fixed order for a seed.</summary>
    /// <param name="count">How many.</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <param name="heldOut">True for the held-out side, false for the training side.</param>
    public static IReadOnlyList<ArithmeticProblem> Generate(int count, int seed, bool heldOut)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<ArithmeticProblem>(count);
        while (problems.Count < count)
        {
            var problem = Next(random);
            if (IsHeldOut(problem) == heldOut && seen.Add(problem.Prompt))
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    /// <summary>The fixed training problems (<see cref="TrainCount"/>, seed <see cref="TrainSeed"/>).</summary>
    public static IReadOnlyList<ArithmeticProblem> Train => s_train.Value;

    /// <summary>The fixed held-out problems (<see cref="TestCount"/>, seed <see cref="TestSeed"/>).</summary>
    public static IReadOnlyList<ArithmeticProblem> Test => s_test.Value;

    private static readonly Lazy<IReadOnlyList<ArithmeticProblem>> s_train = new(() => Generate(TrainCount, TrainSeed, heldOut: false));
    private static readonly Lazy<IReadOnlyList<ArithmeticProblem>> s_test = new(() => Generate(TestCount, TestSeed, heldOut: true));

    /// <summary>The problem in words (see <see cref="Templates"/>).</summary>
    public static string Tell(ArithmeticProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var (name, pronoun) = Names[problem.Name];
        var changes = new StringBuilder();
        for (int i = 0; i < problem.Changes.Count; i++)
        {
            int change = problem.Changes[i];
            string verb = change >= 0 ? GainVerbs[problem.Gain[i]] : LossVerbs[problem.Loss[i]];
            changes.Append(i == 0 ? string.Empty : ", then ").Append(string.Format(CultureInfo.InvariantCulture, verb, Math.Abs(change)));
        }

        return string.Format(CultureInfo.InvariantCulture, Templates[problem.Template], name, pronoun, problem.Start, Items[problem.Item], changes,
            char.ToUpperInvariant(pronoun[0]) + pronoun[1..]);
    }
}
