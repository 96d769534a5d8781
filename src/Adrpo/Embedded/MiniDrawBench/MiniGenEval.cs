using Adrpo.Data.MiniDrawBench.Detection;
using Adrpo.Data.MiniDrawBench.Verification;
using Adrpo.Rewards;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;
using BenchPrompt = Adrpo.Data.MiniDrawBench.MiniDrawBenchPrompt;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// MiniGenEval: a verifiable reward and evaluation for MiniDrawBench images, after GenEval (Ghosh et al., 2023). It
/// reads the objects off the image (palette colour by hue, connected components, shape by matching the renderer's
/// own masks, bounding-box centres for positions) and checks them against the prompt's scene: the kinds, colours,
/// counts and sides it asks for. Nothing is learned, so a high score means the image shows the scene, which the
/// learned <see cref="MatchScorer"/> (74% held-out accuracy) cannot promise.
/// </summary>
/// <remarks>
/// <para><b>Categories.</b> Scores break down by GenEval's six categories, mapped onto MiniDrawBench's prompts
/// without changing them: single object and colours on the count-1 prompts ("one red circle"; single object ignores
/// the colour), counting on the counts 2-4, two objects and colour attribution on the colour-binding prompts (two
/// objects ignores the colours), position on the spatial prompts. Unlike GenEval's, every MiniDrawBench prompt names
/// colours, and counting and position check them too.</para>
/// <para><b>Partial credit.</b> GenEval is binary per image. As a reward that is sparse: when every sample of a prompt
/// fails, group-relative advantages are all zero and the prompt teaches nothing. <see cref="Reward"/> therefore
/// defaults to partial credit, the share of the scene's requirements met (the number of objects; per object kind its
/// shape, its colour, and the two bound together the asked number of times; for spatial prompts the side), which is 1
/// exactly when the binary verdict is; <c>partialCredit: false</c> gives GenEval's 0/1. <see cref="Evaluate"/> reports
/// both.</para>
/// <para><b>Validation</b> (tests in <c>tests/Adrpo.Tests/Embedded/MiniDrawBench/MiniGenEvalTests.cs</c>): clean
/// renders of all 996 prompts are all correct; renders that break the prompt in one attribute (wrong colour, shape,
/// count or missing object, swapped colours, swapped sides) are scored correct at most 0.1% of the time per kind;
/// with noise, tint, blur and ragged edges at the levels the embedded base generator's samples show, 98% of
/// ground-truth renders stay correct and mismatches stay at or below 0.1% per kind.</para>
/// <para>Prompts are looked up by their text among <see cref="Bench.AllPrompts"/> (case and surrounding spaces
/// ignored); images are <see cref="Bench.SampleShape"/> CHW values in [-1, 1], like the generator's samples.</para>
/// </remarks>
public static class MiniGenEval
{
    private static readonly Lazy<Dictionary<string, BenchPrompt>> ByText = new(() =>
        Bench.AllPrompts().ToDictionary(p => p.Text, StringComparer.OrdinalIgnoreCase));

    /// <summary>The reward as a <see cref="RewardModel"/> for the text-to-image trainer: reads the columns <c>Prompt</c> and <c>Image</c>, writes <c>Score</c> in [0, 1].</summary>
    /// <param name="partialCredit">True (default): the share of the prompt's requirements met; false: 1 when all are met, else 0 (GenEval's verdict).</param>
    /// <param name="weight">Multiplier of the score in the total reward.</param>
    /// <param name="name">Name in metrics and messages.</param>
    public static RewardModel Reward(bool partialCredit = true, double weight = 1.0, string name = "minigeneval") =>
        RewardModel.FromImageFunction((prompt, image) => Score(prompt, image, partialCredit), weight, name);

    /// <summary>The score of one image for one prompt, in [0, 1]; NaN when the image holds a NaN or infinite value (the trainers leave such samples out).</summary>
    /// <param name="prompt">A prompt of <see cref="Bench.AllPrompts"/>.</param>
    /// <param name="image">[3 * 32 * 32] CHW values in [-1, 1].</param>
    /// <param name="partialCredit">See <see cref="Reward"/>.</param>
    /// <exception cref="ArgumentException">The prompt is not a MiniDrawBench prompt, or the image has the wrong size.</exception>
    public static float Score(string prompt, float[] image, bool partialCredit = true)
    {
        var scene = Find(prompt).Scene;
        CheckImage(image, nameof(image));
        if (!image.All(float.IsFinite))
        {
            return float.NaN;
        }

        var verdict = SceneVerifier.Verify(scene, SceneDetector.Detect(image));
        return partialCredit ? (float)verdict.Score : verdict.Correct ? 1f : 0f;
    }

    /// <summary>
    /// GenEval's evaluation of a set of images: the share of correct images per category, their mean (GenEval's
    /// overall score) and the mean partial credit. Images with a NaN or infinite value count as incorrect.
    /// </summary>
    /// <param name="prompts">The prompt of each image: prompts of <see cref="Bench.AllPrompts"/>, repeats allowed (several samples per prompt).</param>
    /// <param name="images">The images, [3 * 32 * 32] CHW values in [-1, 1] each.</param>
    /// <exception cref="ArgumentException">The lists differ in length or are empty, a prompt is not a MiniDrawBench prompt, or an image has the wrong size.</exception>
    public static MiniGenEvalReport Evaluate(IReadOnlyList<string> prompts, IReadOnlyList<float[]> images)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(images);
        if (prompts.Count != images.Count || prompts.Count == 0)
        {
            throw new ArgumentException($"Expected one prompt per image and at least one image; got {prompts.Count} prompts and {images.Count} images.", nameof(images));
        }

        var verdicts = new List<SceneVerdict>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            var scene = Find(prompts[i]).Scene;
            CheckImage(images[i], $"{nameof(images)}[{i}]");
            verdicts.Add(images[i].All(float.IsFinite)
                ? SceneVerifier.Verify(scene, SceneDetector.Detect(images[i]))
                : Failed(scene));
        }

        return MiniGenEvalReport.From(verdicts);
    }

    /// <summary>The prompt with this text; throws naming it when there is none.</summary>
    internal static BenchPrompt Find(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return ByText.Value.TryGetValue(prompt.Trim(), out var found)
            ? found
            : throw new ArgumentException(
                $"MiniGenEval scores MiniDrawBench prompts only; \"{prompt}\" is not one of MiniDrawBench.AllPrompts() (e.g. \"{Bench.AllPrompts()[0].Text}\").",
                nameof(prompt));
    }

    private static void CheckImage(float[] image, string name)
    {
        int expected = Bench.Channels * Bench.ImageSize * Bench.ImageSize;
        if (image is null || image.Length != expected)
        {
            throw new ArgumentException($"{name} has {image?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} values; expected {expected} (3 x 32 x 32 CHW, values in [-1, 1]).", name);
        }
    }

    // A non-finite image: every requirement of the scene unmet.
    private static SceneVerdict Failed(Data.MiniDrawBench.Scene scene)
    {
        var empty = SceneVerifier.Verify(scene, Array.Empty<DetectedObject>());
        return new SceneVerdict(
            empty.Requirements.Select(r => r with { Met = false }).ToList(),
            empty.Categories.Select(c => (c.Category, false)).ToList());
    }
}
