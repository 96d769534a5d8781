using System.Text;
using Adrpo.Persistence;
using System.Globalization;

namespace Adrpo.Reproduction.Results;

/// <summary>Evaluation points as CSV: one header, invariant culture, NaN written as "NaN".</summary>
internal static class EvaluationCsv
{
    private static readonly string[] Header =
        ["task", "method", "seed", "iteration", "reward", "diversity", "w2", "entropy", "kl", "training_reward", "training_seconds"];

    /// <summary>Writes the points atomically (a temporary file in the same folder, then a rename).</summary>
    public static void Write(string path, IEnumerable<EvaluationPoint> points)
    {
        var text = new StringBuilder().AppendLine(string.Join(',', Header));
        foreach (var p in points)
        {
            text.AppendLine(string.Join(',', p.Task, p.Method, Int(p.Seed), Int(p.Iteration), Num(p.Reward), Num(p.Diversity), Num(p.W2), Num(p.Entropy), Num(p.Kl), Num(p.TrainingReward), Num(p.TrainingSeconds)));
        }

        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>Reads a file written by <see cref="Write"/>; a malformed line is an error naming the file and line.</summary>
    public static List<EvaluationPoint> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != string.Join(',', Header))
        {
            throw new InvalidDataException($"'{path}' is not an evaluation-points CSV: expected the header '{string.Join(',', Header)}'.");
        }

        var points = new List<EvaluationPoint>();
        for (int i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != Header.Length)
            {
                throw new InvalidDataException($"'{path}' line {i + 1} has {f.Length} fields; expected {Header.Length}.");
            }

            points.Add(new EvaluationPoint(f[0], f[1], ParseInt(f[2]), ParseInt(f[3]), Parse(f[4]), Parse(f[5]), Parse(f[6]), Parse(f[7]), Parse(f[8]), Parse(f[9]), Parse(f[10])));
        }

        return points;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static int ParseInt(string text) => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
