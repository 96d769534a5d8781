using Adrpo.Data.MiniDrawBench;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Rewards;
using Adrpo.Tests.Data.MiniDrawBench.Detection;
using Microsoft.ML;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Embedded.MiniDrawBench;

/// <summary>
/// MiniGenEval's validation: right on clean renders of every prompt, wrong on renders that break one attribute, and
/// both still at the damage levels the embedded base generator's samples show (<see cref="ImagePerturbation"/>).
/// </summary>
[TestClass]
public sealed class MiniGenEvalTests
{
    [TestMethod]
    public void CleanRendersOfEveryPromptAreCorrect()
    {
        var random = new Random(11);
        var rates = Bench.AllPrompts()
            .GroupBy(p => p.Category)
            .ToDictionary(g => g.Key, g => g.Average(p => MiniGenEval.Score(p.Text, Bench.Render(p.Scene, random), partialCredit: false)));
        Console.WriteLine("clean renders correct: " + string.Join(", ", rates.Select(kv => $"{kv.Key} {kv.Value:P1}")));
        foreach (var (category, rate) in rates)
        {
            Assert.IsGreaterThanOrEqualTo(0.95, rate, $"{category}: {rate:P1} of clean renders scored correct");
        }
    }

    [TestMethod]
    public void OneAttributeMismatchesAreAlmostNeverCorrect() => AssertMismatchRates(new ImagePerturbation(), seed: 12);

    [TestMethod]
    public void AtTheGeneratorsNoiseLevelGroundTruthStaysCorrect()
    {
        var level = ImagePerturbation.GeneratorLevel;
        var random = new Random(13);
        var prompts = Bench.AllPrompts();
        double rate = prompts.Average(p => MiniGenEval.Score(p.Text, level.Apply(Bench.Render(p.Scene, random), random), partialCredit: false));
        Console.WriteLine($"ground truth at the generator's noise level ({level}): {rate:P1} correct");
        Assert.IsGreaterThanOrEqualTo(0.95, rate);
    }

    [TestMethod]
    public void AtTheGeneratorsNoiseLevelMismatchesStayWrong() => AssertMismatchRates(ImagePerturbation.GeneratorLevel, seed: 14);

    [TestMethod]
    public void BeyondTheGeneratorsLevelItFailsSafe()
    {
        // Every damage 1.5 times the generator's: ground truth may fail more often, but mismatches must not pass.
        var g = ImagePerturbation.GeneratorLevel;
        var level = new ImagePerturbation(1.5 * g.PixelNoise, 1.5 * g.ColorShift, 1.5 * g.Blur, 1.5 * g.EdgeFlip, 1.5 * g.BackgroundNoise);
        var random = new Random(17);
        double rate = Bench.AllPrompts().Average(p => MiniGenEval.Score(p.Text, level.Apply(Bench.Render(p.Scene, random), random), partialCredit: false));
        Console.WriteLine($"ground truth at 1.5 x the generator's level: {rate:P1} correct");
        Assert.IsGreaterThan(0.5, rate, "the detector still reads most ground truth");
        AssertMismatchRates(level, seed: 18);
    }

    [TestMethod]
    public void ThePerturbationHasTheStatedNoiseLevel()
    {
        var scene = Bench.AllPrompts().Single(p => p.Text == "four white squares").Scene;
        var clean = Bench.Render(scene, new Random(1));
        CollectionAssert.AreEqual(clean, new ImagePerturbation().Apply(clean, new Random(2)), "no damage: a copy");

        // Object pixels get the stated noise, less what [-1, 1] clips off white's 0.88 (about 0.2 remains); the
        // background gets its own, mostly clipped at -1.
        var noisy = new ImagePerturbation(PixelNoise: 0.26, BackgroundNoise: 0.04).Apply(clean, new Random(3));
        var objectPixel = Enumerable.Range(0, 1024).Select(i => clean[i] > 0).ToArray();
        double Rms(bool objects) => Math.Sqrt(Enumerable.Range(0, 3 * 1024)
            .Where(i => objectPixel[i % 1024] == objects && (objects || clean[i] > -0.97f))
            .Average(i => (noisy[i] - clean[i]) * (noisy[i] - clean[i])));
        Assert.AreEqual(0.2, Rms(objects: true), 0.06);
        Assert.IsLessThan(0.04, Rms(objects: false), "background noise is clipped at -1 from below");
    }

    [TestMethod]
    public void TheRewardIsAnImageRewardModelThroughTheScorer()
    {
        var context = new MLContext(seed: 1);
        var random = new Random(15);
        var prompts = Bench.Split(seed: 2026).Test.Take(12).ToList();
        var texts = prompts.Select(p => p.Text).ToList();
        var truth = prompts.Select(p => Bench.Render(p.Scene, random)).ToList();
        var wrong = prompts.Select(p => Bench.RenderMismatch(p, random)).ToList();
        var partial = new RewardScorer(context, [MiniGenEval.Reward()], RewardSampleColumn.Image(3, 32, 32));
        var binary = new RewardScorer(context, [MiniGenEval.Reward(partialCredit: false, name: "binary")], RewardSampleColumn.Image(3, 32, 32));
        partial.ValidateSchema();
        Assert.IsTrue(partial.Score(texts, truth).Total.All(s => s == 1f));
        var partialWrong = partial.Score(texts, wrong).Total;
        Assert.IsTrue(partialWrong.All(s => s is > 0f and < 1f), string.Join(", ", partialWrong));
        Assert.IsTrue(binary.Score(texts, wrong).Total.All(s => s == 0f));
        Assert.AreEqual("minigeneval", MiniGenEval.Reward().Name);
        Assert.AreEqual(0.5, MiniGenEval.Reward(weight: 0.5).Weight);
    }

    [TestMethod]
    public void EvaluateCountsEachCategoryAsGenEvalDoes()
    {
        var random = new Random(16);
        var redCircle = Bench.AllPrompts().Single(p => p.Text == "one red circle");
        var pair = Bench.AllPrompts().Single(p => p.Text == "a red circle and a green square");
        var greenCircle = Bench.AllPrompts().Single(p => p.Text == "one green circle");
        var report = MiniGenEval.Evaluate(
            [redCircle.Text, redCircle.Text, pair.Text],
            [Bench.Render(redCircle.Scene, random), Bench.Render(greenCircle.Scene, random), Bench.Render(pair.Scene, random)]);
        // A green circle for "one red circle": single object passes, colours fails.
        Assert.AreEqual(1.0, report.SingleObject);
        Assert.AreEqual(0.5, report.Colors);
        Assert.AreEqual(1.0, report.TwoObjects);
        Assert.AreEqual(1.0, report.ColorAttribution);
        Assert.IsTrue(double.IsNaN(report.Counting) && double.IsNaN(report.Position));
        Assert.AreEqual((1 + 0.5 + 1 + 1) / 4.0, report.Overall, 1e-12);
        Assert.AreEqual(2 / 3.0, report.Correct, 1e-12);
        // Partial credit: 1, then 2 of 4 (one object, a circle; not red, not a red circle), then 1.
        Assert.AreEqual((1 + 0.5 + 1) / 3.0, report.MeanScore, 1e-12);
        Assert.AreEqual(3, report.Images);
        Assert.AreEqual(2, report.ImagesPerCategory["single_object"]);
        Assert.AreEqual(0, report.ImagesPerCategory["position"]);
        StringAssert.Contains(report.ToString(), "colors         0.500  (2 images)");
    }

    [TestMethod]
    public void BadInputIsNamed()
    {
        var image = Bench.Render(Bench.AllPrompts()[0].Scene, new Random(1));
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => MiniGenEval.Score("a cat on a mat", image));
        Assert.AreEqual("prompt", unknown.ParamName);
        StringAssert.Contains(unknown.Message, "a cat on a mat");
        Assert.AreEqual(1f, MiniGenEval.Score("  A RED circle and a green square ", image), "case and outer spaces are ignored");
        Assert.AreEqual("image", Assert.ThrowsExactly<ArgumentException>(() => MiniGenEval.Score(Bench.AllPrompts()[0].Text, new float[10])).ParamName);
        Assert.AreEqual("images", Assert.ThrowsExactly<ArgumentException>(() => MiniGenEval.Evaluate(["one red circle"], [])).ParamName);
        Assert.AreEqual("images[1]", Assert.ThrowsExactly<ArgumentException>(() => MiniGenEval.Evaluate(["one red circle", "one red circle"], [image, new float[3]])).ParamName);

        // A diverged sample: NaN for the reward (the trainer leaves it out), incorrect for the evaluation.
        var broken = (float[])image.Clone();
        broken[5] = float.NaN;
        Assert.IsTrue(float.IsNaN(MiniGenEval.Score(Bench.AllPrompts()[0].Text, broken)));
        Assert.AreEqual(0.0, MiniGenEval.Evaluate([Bench.AllPrompts()[0].Text], [broken]).MeanScore);
    }

    // For every prompt and every kind of one-attribute edit that applies to it, one render of the edited scene:
    // at most 5% of each kind's renders may be scored correct for the original prompt.
    private static void AssertMismatchRates(ImagePerturbation level, int seed)
    {
        var random = new Random(seed);
        var rates = Bench.AllPrompts()
            .SelectMany(p => Bench.MismatchKinds(p.Category).Select(kind => (Prompt: p, Kind: kind)))
            .GroupBy(t => t.Kind)
            .ToDictionary(g => g.Key, g => g.Average(t =>
                MiniGenEval.Score(t.Prompt.Text, level.Apply(Bench.Render(Bench.MismatchScene(t.Prompt.Scene, t.Kind, random), random), random), partialCredit: false)));
        Console.WriteLine($"mismatches scored correct ({level}): " + string.Join(", ", rates.Select(kv => $"{kv.Key} {kv.Value:P1}")));
        Assert.HasCount(Enum.GetValues<MismatchKind>().Length, rates);
        foreach (var (kind, rate) in rates)
        {
            Assert.IsLessThanOrEqualTo(0.05, rate, $"{kind}: {rate:P1} of mismatched renders scored correct");
        }
    }
}
