using System.Globalization;
using Adrpo.Advantages;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Metrics;
using Adrpo.Reproduction.Results;
using Adrpo.Reproduction.Runs;
using Adrpo.Text;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Reproduction.FlowMatching;

/// <summary>
/// One text-to-image run: the embedded reference generator fine-tuned by one method with one seed, evaluated on
/// held-out prompts before training and every evaluation interval (the points of Figure 3's trajectories).
/// </summary>
internal static class FlowMatchingStudyRun
{
    // The same settings for every method; those of the quick-start main job. The paper's own values where it gives
    // them: beta0 = 1, A clipped to [-1, 1], ORW-CFM-W2's alpha = beta0 ("for fairness", section 4.1), LoRA.
    private const int SplitSeed = 2026, PromptsPerIteration = 4, SamplesPerPrompt = 8, OdeSteps = 20, UpdatesPerIteration = 4, LoraRank = 8;
    private const double LearningRate = 3e-3, LoraAlpha = 16;

    // Rewards are match probabilities in [0, 1] whose within-prompt spread is a few hundredths; dividing each group by
    // its standard deviation puts advantages on the scale the clip range [-1, 1] and beta0 = 1 were chosen for.
    private const AdvantageScaling Scaling = AdvantageScaling.Group;

    public static string Settings =>
        $"{PromptsPerIteration} prompts x {SamplesPerPrompt} samples per iteration, {UpdatesPerIteration} updates per iteration, AdamW lr {LearningRate.ToString(CultureInfo.InvariantCulture)}, " +
        $"LoRA rank {LoraRank} alpha {LoraAlpha}, Euler {OdeSteps} steps, advantages {Scaling}-scaled and clipped to [-1, 1], beta0 = 1, ORW tau 0.5 alpha 1, RAFT top 25%, DPO beta 500 on reference pairs";

    public static List<EvaluationPoint> Run(ReproductionProfile profile, RunSpec run)
    {
        var context = new MLContext(seed: run.Seed);
        using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();
        using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(encoder);
        using var embedder = new ResNetImageEmbedder(intraOpThreads: 1);
        var (train, test) = Bench.Split(seed: SplitSeed);
        var evalPrompts = Enumerable.Range(0, profile.FlowEvalPrompts).Select(i => test[i * test.Count / profile.FlowEvalPrompts].Text).ToList();
        var evaluator = new FlowMatchingEvaluator(encoder, evalPrompts, profile.FlowEvalSamplesPerPrompt, 1000 + run.Seed, OdeSteps);
        var diversityOf = new ImageDiversity(embedder);
        using var generator = EmbeddedMiniDrawBench.LoadGenerator();

        var points = new List<EvaluationPoint>();
        var schedule = new EvaluationSchedule<FlowMatchingIterationMetrics>(profile.FlowEvalInterval, profile.FlowIterations, m => m.Iteration, m => m.Seconds, (iteration, window, trainingSeconds) =>
        {
            var images = evaluator.Sample(generator);
            double reward = scorer.Score(evaluator.RepeatedPrompts, images).Average(s => (double)s);
            var shape = generator.SampleShape;
            double diversity = diversityOf.MeanOverGroups(images, evaluator.SamplesPerPrompt, (int)shape[0], (int)shape[1], (int)shape[2]);
            double w2 = evaluator.W2(generator, images);
            double trainingReward = window.Count > 0 ? window.Average(m => m.RewardMean) : double.NaN;
            points.Add(new EvaluationPoint(run.Task, run.Method, run.Seed, iteration, reward, diversity, w2, double.NaN, double.NaN, trainingReward, trainingSeconds));
            Console.WriteLine(FormattableString.Invariant($"{run.Name} iteration {iteration}: held-out reward {reward:F4}, diversity {diversity:F3}, W2 {w2:E2}, training reward {trainingReward:F4}, {trainingSeconds:F0} s training"));
        });
        if (run.IsPreTrained)
        {
            schedule.EvaluateNow(0);
            return points;
        }

        var method = FlowMethods.Parse(run.Method);
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = generator,
            TextEncoder = encoder,
            RewardModels = { MatchRewardMapping.Create(context, scorer) },
            Method = method,
            Iterations = profile.FlowIterations,
            PromptsPerIteration = PromptsPerIteration,
            SamplesPerPrompt = SamplesPerPrompt,
            UpdatesPerIteration = UpdatesPerIteration,
            LearningRate = LearningRate,
            AdvantageScaling = Scaling,
            LoraRank = LoraRank,
            LoraAlpha = LoraAlpha,
            OdeSteps = OdeSteps,
            Seed = run.Seed,
            Progress = schedule.Progress,
        };
        var prompts = context.Data.LoadFromEnumerable(train.Select(p => new PromptRow { Prompt = p.Text }));
        context.FineTuning().AdrpoFlowMatching(options).Fit(prompts);
        return points;
    }
}
