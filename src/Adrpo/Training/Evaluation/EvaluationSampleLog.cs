using System.Text;
using System.Text.Json;
using Adrpo.Imaging;
using Adrpo.Persistence;

namespace Adrpo.Training.Evaluation;

/// <summary>
/// Writes one held-out evaluation's samples to <see cref="FineTuningOptions{TMetrics}.EvaluationSamplesFolder"/>:
/// completions as JSON Lines, images as a captioned PNG grid; each file atomically (temp file, then rename).
/// </summary>
internal static class EvaluationSampleLog
{
    /// <summary>Most prompts (grid rows) in one image grid, so the picture stays readable.</summary>
    public const int MaxGridRows = 16;

    /// <summary>Writes the samples of the evaluation after <paramref name="iteration"/> iterations; returns the file written.</summary>
    public static string Write(string folder, int iteration, HeldOutSamples samples, int samplesPerPrompt)
    {
        Directory.CreateDirectory(folder);
        string stem = Path.Combine(folder, $"heldout-{iteration:D4}");
        if (samples.Completions is not null)
        {
            string path = stem + ".jsonl";
            AtomicFile.WriteAllText(path, JsonLines(iteration, samples));
            return path;
        }

        var images = samples.Images ?? throw new InvalidOperationException("Held-out samples hold neither completions nor images.");
        int rows = Math.Min(MaxGridRows, samples.Prompts.Count / samplesPerPrompt);
        long[] shape = images.shape;   // [N, C, H, W]
        int channels = (int)shape[1], height = (int)shape[2], width = (int)shape[3];
        float[] all = images.contiguous().data<float>().ToArray();
        int size = channels * height * width;
        var tiles = Enumerable.Range(0, rows * samplesPerPrompt).Select(i => all.AsSpan(i * size, size).ToArray()).ToList();
        var captions = Enumerable.Range(0, rows).Select(r => samples.Prompts[r * samplesPerPrompt]).ToList();
        string png = stem + ".png";
        PngWriter.WriteBytes(png, CaptionedGrid.Render(tiles, channels, height, width, samplesPerPrompt, captions));
        return png;
    }

    private static string JsonLines(int iteration, HeldOutSamples samples)
    {
        var text = new StringBuilder();
        for (int i = 0; i < samples.Prompts.Count; i++)
        {
            var scores = samples.Rewards.PerModel.ToDictionary(kv => kv.Key, kv => Finite(kv.Value[i]));
            text.AppendLine(JsonSerializer.Serialize(new
            {
                iteration,
                prompt = samples.Prompts[i],
                completion = samples.Completions![i],
                reward = Finite(samples.Rewards.Total[i]),
                scores,
            }));
        }

        return text.ToString();
    }

    // JSON has no NaN: a score that is not finite (not applicable, or invalid) is written as null.
    private static float? Finite(float value) => float.IsFinite(value) ? value : null;
}
