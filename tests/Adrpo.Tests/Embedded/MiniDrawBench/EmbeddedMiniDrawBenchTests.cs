using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Tests.Infrastructure;
using Adrpo.Text;
using Microsoft.ML;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Embedded.MiniDrawBench;

/// <summary>The shipped default of the flow-matching track: a learned reward that discriminates, and a reference
/// generator with reward headroom.</summary>
[TestClass]
public sealed class EmbeddedMiniDrawBenchTests
{
    private static readonly Lazy<MiniLmTextEncoder> Encoder = new(() => EmbeddedMiniDrawBench.CreateTextEncoder());

    [TestMethod]
    [TestCategory(LearningTest.Category)]
    public void TheLearnedRewardPrefersImagesThatMatchTheirHeldOutPrompt() => LearningTest.WithThreads(() =>
    {
        using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(Encoder.Value);
        var (_, test) = Bench.Split(seed: 2026);
        var random = new Random(LearningTest.Seed(5));
        var prompts = test.Select(p => p.Text).ToList();
        var matching = scorer.Score(prompts, test.Select(p => Bench.Render(p.Scene, random)).ToList()).Average();
        var mismatching = scorer.Score(prompts, test.Select(p => Bench.RenderMismatch(p, random)).ToList()).Average();
        LearningTest.Record("learned match score: matching minus one-attribute-wrong renders", matching - mismatching, 0.1);
        Assert.IsTrue(matching > mismatching + 0.1, $"match score: rendered as asked {matching:F3}, one attribute wrong {mismatching:F3}");
        return 0;
    });

    [TestMethod]
    [TestCategory(LearningTest.Category)]
    public void TheReferenceGeneratorLeavesRewardHeadroomAndTheRewardIsAnMlNetTransformer() => LearningTest.WithThreads(() =>
    {
        var context = new MLContext(seed: 1);
        using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(Encoder.Value);
        var generator = new FlowMatchingGeneratorTransformer(EmbeddedMiniDrawBench.LoadGenerator(), Encoder.Value, new GenerationSettings { Seed = LearningTest.Seed(1), OdeSteps = 10, ComputeThreads = LearningTest.Threads });
        CollectionAssert.AreEqual(Bench.SampleShape, generator.Generator.SampleShape);
        var (_, test) = Bench.Split(seed: 2026);
        var prompts = test.Take(24).Select(p => p.Text).ToList();
        var images = generator.Generate(prompts);
        var rewards = new RewardScorer(context, new[] { MatchRewardMapping.Create(context, scorer) }, RewardSampleColumn.Image(3, 32, 32));
        rewards.ValidateSchema();
        var truthImages = test.Take(24).Select(p => Bench.Render(p.Scene, new Random(2))).ToList();
        double generated = rewards.Score(prompts, images).Total.Average();
        double truth = rewards.Score(prompts, truthImages).Total.Average();
        Assert.IsTrue(generated <= truth, $"match score of reference samples {generated:F3} vs rendered ground truth {truth:F3}");

        // The headroom fine-tuning works in is MiniGenEval's: the committed generator meets about 0.57 of a held-out
        // scene's requirements (partial credit, samples of 4 seeds), rendered ground truth all of them. Spread of the
        // headroom (benchmarks/learning-spread.sh 5 "native:1 default:1 default:2", 15 runs, 27,000-step generator):
        // min 0.374, mean 0.427, sd 0.034, so the 0.2 threshold sits 5 sd below the worst run.
        double credit = prompts.Select((p, i) => (double)MiniGenEval.Score(p, images[i])).Average();
        double truthCredit = prompts.Select((p, i) => (double)MiniGenEval.Score(p, truthImages[i])).Average();
        LearningTest.Record("embedded DiT MiniGenEval headroom (truth - generated partial credit)", truthCredit - credit, 0.2);
        Assert.IsTrue(credit < truthCredit - 0.2, $"MiniGenEval partial credit of reference samples {credit:F3} vs rendered ground truth {truthCredit:F3}: fine-tuning needs headroom");
        Assert.IsTrue(credit > 0.1, $"MiniGenEval partial credit of reference samples {credit:F3}: the base generator should draw some of each scene");
        Assert.IsTrue(images.All(i => i.Length == 3 * 32 * 32 && i.All(float.IsFinite)));
        return 0;
    });
}
