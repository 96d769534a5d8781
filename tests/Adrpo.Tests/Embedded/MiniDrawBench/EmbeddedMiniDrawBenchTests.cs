using Adrpo.Advantages;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Rewards;
using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Text;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Embedded.MiniDrawBench;

/// <summary>The shipped default of the flow-matching track: a learned reward that discriminates, a reference generator
/// with reward headroom, and ADRPO raising its held-out MiniGenEval score.</summary>
[TestClass]
public sealed class EmbeddedMiniDrawBenchTests
{
    // The ADRPO learning test: the MiniGenEval study's ADRPO rate and budget; its threshold is set from the spread (see the test).
    private const int Iterations = 30, EvalSamples = 12;
    private const double LearningRate = 1e-3, Threshold = 0.0;

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

    /// <summary>
    /// The "Done when" learning test of issue 16: ADRPO (eq. 6) against MiniGenEval's partial credit raises the
    /// held-out score. The study's ADRPO setting (benchmarks/Adrpo.Reproduction minigeneval, lr 1e-3, 30 iterations of
    /// 4 prompts x 8 samples), trained on the split's training prompts and evaluated on the study's 123 held-out
    /// prompts x 12 samples (1,476 images), from the same noise before and after.
    /// </summary>
    /// <remarks>
    /// Spread of the rise on the 27,000-step generator (2026-12-06, seed offsets, one libtorch thread):
    /// this test, native kernels, offsets 0-5: +0.013, +0.018, +0.012, +0.008, +0.012, +0.004
    /// (mean 0.0113, sd 0.0046, z 2.4 above 0; worst +0.0045).
    /// The same with 6 samples per prompt: native offsets 0-6 +0.006, +0.018, +0.011, +0.012, +0.009, +0.002, +0.007;
    /// <c>default</c> kernels offsets 0-1 +0.012, +0.020 (9 runs: mean 0.0106, sd 0.0055, z 1.9 above 0); doubling the
    /// evaluation's samples narrowed the spread that comes from which images flip. On the 12,000-step generator the same
    /// test rose by +0.0059 (sd 0.0077; 2 of 8 runs below 0, with 6 samples): it needed a generator that draws the shapes
    /// (benchmarks/README.md, the MiniGenEval section). The threshold is 0: the test asserts that the score rises.
    /// </remarks>
    [TestMethod]
    [TestCategory(LearningTest.Category)]
    public void AdrpoRaisesHeldOutMiniGenEvalPartialCredit() => LearningTest.WithThreads(() =>
    {
        var context = new MLContext(seed: 1);
        var (train, test) = Bench.GenEvalSplit(seed: 2026);
        var heldOut = test.Select(p => p.Text).ToList();
        var training = FlowMatchingTestFixtures.Prompts(context, train.Select(p => p.Text));
        using var generator = EmbeddedMiniDrawBench.LoadGenerator();
        var sampler = new FlowMatchingGeneratorTransformer(generator, Encoder.Value, new GenerationSettings { Seed = LearningTest.Seed(31), OdeSteps = 20, BatchSize = 41, ComputeThreads = LearningTest.Threads });
        double Credit() => sampler.GenerateSamples(heldOut, EvalSamples).SelectMany((samples, i) => samples.Select(image => (double)MiniGenEval.Score(heldOut[i], image))).Average();

        double before = Credit();
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = generator,
            TextEncoder = Encoder.Value,
            RewardModels = { MiniGenEval.Reward() },
            Method = FineTuningMethod.Adrpo,
            Iterations = Iterations,
            PromptsPerIteration = 4,
            SamplesPerPrompt = 8,
            UpdatesPerIteration = 4,
            LearningRate = LearningRate,
            AdvantageScaling = AdvantageScaling.Group,
            LoraRank = 8,
            LoraAlpha = 16,
            OdeSteps = 20,
            Seed = LearningTest.Seed(7),
            ComputeThreads = LearningTest.Threads,
        };
        context.FineTuning().AdrpoFlowMatching(options).Fit(training);
        double after = Credit();

        Console.WriteLine($"held-out MiniGenEval partial credit {before:F4} -> {after:F4}");
        LearningTest.Record("ADRPO held-out MiniGenEval partial-credit rise", after - before, Threshold);
        Assert.IsTrue(after - before > Threshold, $"held-out MiniGenEval partial credit {before:F4} -> {after:F4}");
        return 0;
    });
}
