using System.Globalization;
using Adrpo.Imaging;
using Adrpo.Reproduction.Runs;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Reproduction.GenEval;

/// <summary>
/// The MiniGenEval study's pictures: the trajectories (partial credit against diversity, the paper's Figure 3 axes,
/// and the held-out scores per evaluation), and one picture of each method's final samples on the same held-out
/// prompts and noise, a row per prompt with the prompt written under it.
/// </summary>
internal static class GenEvalPictures
{
    private static int ImageSize => (int)(Bench.SampleShape[0] * Bench.SampleShape[1] * Bench.SampleShape[2]);

    /// <summary>Saves a run's final samples of the picture prompts as raw little-endian float32 (temporary file, then rename).</summary>
    public static void WriteSamples(string path, IReadOnlyList<float[]> images)
    {
        var bytes = new byte[images.Count * ImageSize * sizeof(float)];
        for (int i = 0; i < images.Count; i++)
        {
            Buffer.BlockCopy(images[i], 0, bytes, i * ImageSize * sizeof(float), ImageSize * sizeof(float));
        }

        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    private static List<float[]> ReadSamples(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length % (ImageSize * sizeof(float)) != 0)
        {
            throw new InvalidDataException($"'{path}' holds {bytes.Length} bytes; expected a whole number of {ImageSize}-value float32 images.");
        }

        return Enumerable.Range(0, bytes.Length / (ImageSize * sizeof(float))).Select(i =>
        {
            var image = new float[ImageSize];
            Buffer.BlockCopy(bytes, i * ImageSize * sizeof(float), image, 0, ImageSize * sizeof(float));
            return image;
        }).ToList();
    }

    /// <summary>
    /// One row per picture prompt: the pre-trained model's samples, then each method's at its chosen learning rate,
    /// all of one seed (so the same noise), 96 px tiles.
    /// </summary>
    public static string? WriteComparison(string folder, IReadOnlyList<string> methods, Func<string, string> samplesOf, int seed)
    {
        var columns = new[] { RunSpec.PreTrained }.Concat(methods).Where(m => File.Exists(samplesOf(m))).ToList();
        if (columns.Count < 2)
        {
            return null;
        }

        var samples = columns.Select(m => ReadSamples(samplesOf(m))).ToList();
        int perPrompt = GenEvalStudyRun.EvalSamplesPerPrompt;
        var prompts = GenEvalStudyRun.EvaluationPrompts();
        var tiles = new List<float[]>();
        var captions = new List<string>();
        for (int row = 0; row < GenEvalStudyRun.PicturePrompts.Length; row++)
        {
            foreach (var method in samples)
            {
                tiles.AddRange(method.Skip(row * perPrompt).Take(perPrompt));
            }

            captions.Add($"{prompts[GenEvalStudyRun.PicturePrompts[row]]}   ({string.Join(" | ", columns)}, {perPrompt} each)");
        }

        string path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"samples-seed{seed}.png"));
        var shape = Bench.SampleShape;
        PngWriter.WriteBytes(path, CaptionedGrid.Render(tiles, (int)shape[0], (int)shape[1], (int)shape[2], columns.Count * perPrompt, captions));
        return path;
    }

    /// <summary>Mean over seeds per evaluation of each method: partial credit against diversity, and the scores per iteration.</summary>
    public static IReadOnlyList<string> WriteTrajectories(string folder, IReadOnlyList<string> methods, IReadOnlyList<GenEvalPoint> points)
    {
        List<(double Iteration, double X, double Y)> Mean(string method, Func<GenEvalPoint, double> x, Func<GenEvalPoint, double> y)
        {
            var own = points.Where(p => p.Method == method).ToList();
            var seeds = own.Select(p => p.Seed).ToHashSet();
            return points.Where(p => p.Method == RunSpec.PreTrained && seeds.Contains(p.Seed)).Concat(own)
                .GroupBy(p => p.Iteration).OrderBy(g => g.Key)
                .Select(g => ((double)g.Key, g.Average(x), g.Average(y))).ToList();
        }

        var files = new List<string>();
        var versus = new LineChart(900, 560) { Title = "MiniGenEval study: held-out partial credit vs diversity (mean of seeds per evaluation; start = pre-trained)", XLabel = "diversity (ResNet-18 pairwise distance)", YLabel = "held-out partial credit", ShowMarkers = true };
        foreach (string method in methods)
        {
            var m = Mean(method, p => p.Diversity, p => p.PartialCredit);
            versus.Add(method, m.Select(p => p.X).ToList(), m.Select(p => p.Y).ToList());
        }

        files.Add(Path.Combine(folder, "partial-credit-vs-diversity.png"));
        versus.Write(files[^1]);
        foreach (var (name, title, metric) in new (string, string, Func<GenEvalPoint, double>)[]
        {
            ("overall-by-iteration.png", "held-out MiniGenEval overall", p => p.Overall),
            ("partial-credit-by-iteration.png", "held-out partial credit", p => p.PartialCredit),
            ("w2-by-iteration.png", "W2 to the reference", p => p.W2),
        })
        {
            var chart = new LineChart(900, 560) { Title = $"MiniGenEval study: {title} (mean of seeds)", XLabel = "training iteration", YLabel = title, ShowMarkers = true };
            foreach (string method in methods)
            {
                var m = Mean(method, p => p.Iteration, metric);
                chart.Add(method, m.Select(p => p.X).ToList(), m.Select(p => p.Y).ToList());
            }

            files.Add(Path.Combine(folder, name));
            chart.Write(files[^1]);
        }

        return files;
    }
}
