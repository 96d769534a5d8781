using System.Globalization;
using Adrpo.Data.MiniDrawBench.Verification;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// The result of <see cref="MiniGenEval.Evaluate"/>: per GenEval category, the share of images that show everything
/// the category checks (NaN for a category with no images), and summaries over all images.
/// </summary>
public sealed class MiniGenEvalReport
{
    private readonly IReadOnlyDictionary<GenEvalCategory, (int Passed, int Images)> _categories;

    private MiniGenEvalReport(IReadOnlyDictionary<GenEvalCategory, (int Passed, int Images)> categories, double meanScore, double correct, int images)
    {
        _categories = categories;
        MeanScore = meanScore;
        Correct = correct;
        Images = images;
        ImagesPerCategory = Enum.GetValues<GenEvalCategory>().ToDictionary(Name, c => categories.TryGetValue(c, out var n) ? n.Images : 0);
        var scored = Enum.GetValues<GenEvalCategory>().Where(c => ImagesPerCategory[Name(c)] > 0).ToList();
        Overall = scored.Average(Accuracy);
    }

    /// <summary>GenEval "single_object": count-1 prompts showing exactly one object of the named shape (any colour).</summary>
    public double SingleObject => Accuracy(GenEvalCategory.SingleObject);

    /// <summary>GenEval "two_object": colour-binding prompts showing exactly the two named shapes (any colours).</summary>
    public double TwoObjects => Accuracy(GenEvalCategory.TwoObjects);

    /// <summary>GenEval "counting": counting prompts for 2-4 copies, shown exactly.</summary>
    public double Counting => Accuracy(GenEvalCategory.Counting);

    /// <summary>GenEval "colors": count-1 prompts showing exactly the one named object in its colour.</summary>
    public double Colors => Accuracy(GenEvalCategory.Colors);

    /// <summary>GenEval "position": spatial prompts shown exactly, on the named sides.</summary>
    public double Position => Accuracy(GenEvalCategory.Position);

    /// <summary>GenEval "color_attr": colour-binding prompts, each shape in its own named colour.</summary>
    public double ColorAttribution => Accuracy(GenEvalCategory.ColorAttribution);

    /// <summary>GenEval's overall score: the mean of the category scores above, over the categories that have images.</summary>
    public double Overall { get; }

    /// <summary>The share of all images that show exactly their prompt's scene (GenEval's per-image verdict, pooled).</summary>
    public double Correct { get; }

    /// <summary>The mean partial credit over all images: what <see cref="MiniGenEval.Reward"/> pays on average.</summary>
    public double MeanScore { get; }

    /// <summary>Images evaluated.</summary>
    public int Images { get; }

    /// <summary>Images per category, keyed by GenEval's names: single_object, two_object, counting, colors, position, color_attr. A count-1 prompt's image counts in single_object and colors, a colour-binding prompt's in two_object and color_attr.</summary>
    public IReadOnlyDictionary<string, int> ImagesPerCategory { get; }

    /// <summary>One line per category and the summaries, e.g. for a console.</summary>
    public override string ToString()
    {
        var lines = Enum.GetValues<GenEvalCategory>().Select(c =>
            string.Create(CultureInfo.InvariantCulture, $"{Name(c),-14}{Accuracy(c),6:F3}  ({ImagesPerCategory[Name(c)]} images)"));
        return string.Join(Environment.NewLine, lines.Append(string.Create(
            CultureInfo.InvariantCulture,
            $"overall       {Overall,6:F3}  (mean of categories); exactly right {Correct:F3}, mean partial credit {MeanScore:F3} over {Images} images")));
    }

    internal static MiniGenEvalReport From(IReadOnlyList<SceneVerdict> verdicts)
    {
        var categories = verdicts
            .SelectMany(v => v.Categories)
            .GroupBy(c => c.Category)
            .ToDictionary(g => g.Key, g => (g.Count(c => c.Passed), g.Count()));
        return new MiniGenEvalReport(categories, verdicts.Average(v => v.Score), verdicts.Count(v => v.Correct) / (double)verdicts.Count, verdicts.Count);
    }

    /// <summary>GenEval's own name of a category.</summary>
    internal static string Name(GenEvalCategory category) => category switch
    {
        GenEvalCategory.SingleObject => "single_object",
        GenEvalCategory.TwoObjects => "two_object",
        GenEvalCategory.Counting => "counting",
        GenEvalCategory.Colors => "colors",
        GenEvalCategory.Position => "position",
        _ => "color_attr",
    };

    private double Accuracy(GenEvalCategory category) =>
        _categories.TryGetValue(category, out var n) && n.Images > 0 ? n.Passed / (double)n.Images : double.NaN;
}
