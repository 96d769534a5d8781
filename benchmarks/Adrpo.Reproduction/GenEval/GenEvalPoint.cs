using System.Globalization;
using System.Text;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Persistence;

namespace Adrpo.Reproduction.GenEval;

/// <summary>
/// One held-out MiniGenEval evaluation of one run: GenEval's six category accuracies, their mean (overall), the mean
/// partial credit (the training reward's quantity), ResNet-18 diversity and W2 to the reference, with the training
/// reward of the iterations since the previous evaluation (NaN at iteration 0) and the training time so far.
/// </summary>
internal sealed record GenEvalPoint(
    string Method,
    double LearningRate,
    int Seed,
    int Iteration,
    double Overall,
    double PartialCredit,
    double SingleObject,
    double TwoObjects,
    double Counting,
    double Colors,
    double Position,
    double ColorAttribution,
    double Diversity,
    double W2,
    double TrainingReward,
    double TrainingSeconds)
{
    /// <summary>The categories in GenEval's order, with the column names of the CSV and the report.</summary>
    public static readonly (string Name, Func<GenEvalPoint, double> Value)[] Categories =
    [
        ("single_object", p => p.SingleObject),
        ("two_object", p => p.TwoObjects),
        ("counting", p => p.Counting),
        ("colors", p => p.Colors),
        ("position", p => p.Position),
        ("color_attr", p => p.ColorAttribution),
    ];

    private static readonly string[] Header =
        ["method", "learning_rate", "seed", "iteration", "overall", "partial_credit", .. Categories.Select(c => c.Name), "diversity", "w2", "training_reward", "training_seconds"];

    public static GenEvalPoint Of(string method, double learningRate, int seed, int iteration, MiniGenEvalReport report, double diversity, double w2, double trainingReward, double trainingSeconds) =>
        new(method, learningRate, seed, iteration, report.Overall, report.MeanScore, report.SingleObject, report.TwoObjects, report.Counting, report.Colors, report.Position, report.ColorAttribution, diversity, w2, trainingReward, trainingSeconds);

    /// <summary>Writes the points atomically (a temporary file in the same folder, then a rename).</summary>
    public static void Write(string path, IEnumerable<GenEvalPoint> points)
    {
        var text = new StringBuilder().AppendLine(string.Join(',', Header));
        foreach (var p in points)
        {
            text.AppendLine(string.Join(',', new[] { p.Method, Num(p.LearningRate), p.Seed.ToString(CultureInfo.InvariantCulture), p.Iteration.ToString(CultureInfo.InvariantCulture) }
                .Concat(new[] { p.Overall, p.PartialCredit, p.SingleObject, p.TwoObjects, p.Counting, p.Colors, p.Position, p.ColorAttribution, p.Diversity, p.W2, p.TrainingReward, p.TrainingSeconds }.Select(Num))));
        }

        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>Reads a file written by <see cref="Write"/>; a malformed line is an error naming the file and line.</summary>
    public static List<GenEvalPoint> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != string.Join(',', Header))
        {
            throw new InvalidDataException($"'{path}' is not a MiniGenEval study CSV: expected the header '{string.Join(',', Header)}'.");
        }

        var points = new List<GenEvalPoint>();
        for (int i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != Header.Length)
            {
                throw new InvalidDataException($"'{path}' line {i + 1} has {f.Length} fields; expected {Header.Length}.");
            }

            var v = f.Skip(4).Select(x => double.Parse(x, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            points.Add(new GenEvalPoint(f[0], double.Parse(f[1], NumberStyles.Float, CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]));
        }

        return points;
    }

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
