using System.Globalization;
using Adrpo.Advantages;
using Adrpo.Data.MiniDrawBench;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Metrics;
using Adrpo.Reproduction.FlowMatching;
using Adrpo.Reproduction.Runs;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Reproduction.GenEval;

/// <summary>
/// One run of the MiniGenEval study: the embedded reference generator fine-tuned by one method at one learning rate
/// with one seed, against MiniGenEval's partial credit, evaluated on all held-out prompts before training (the
/// pre-trained run) or every evaluation interval.
/// </summary>
internal static class GenEvalStudyRun
{
    // The quick start's settings, for every method: 4 prompts x 8 samples, 4 updates per iteration, LoRA rank 8 on the
    // DiT's attention, cross-attention and MLP, Euler 20 steps, group-scaled advantages clipped to [-1, 1], beta0 = 1
    // (the paper's; ORW-CFM-W2's alpha = 1 likewise, "for fairness"). Flow-GRPO keeps its own KL coefficient 0.04,
    // noise level 0.7 and clip 1e-4, and trains TrainedSteps of each sample's 20 SDE steps per update.
    public const int SplitSeed = 2026, PromptsPerIteration = 4, SamplesPerPrompt = 8, OdeSteps = 20, UpdatesPerIteration = 4, LoraRank = 8;
    public const int FlowGrpoTrainedSteps = 4, EvalSamplesPerPrompt = 2;
    public const double LoraAlpha = 16, FlowGrpoBeta = 0.04;

    /// <summary>Prompts (by their index in the evaluation) whose final samples each run saves for the method-comparison picture.</summary>
    public static readonly int[] PicturePrompts = [0, 20, 40, 60, 80, 100, 110];

    public static string Settings => string.Create(CultureInfo.InvariantCulture,
        $"{PromptsPerIteration} prompts x {SamplesPerPrompt} samples per iteration, {UpdatesPerIteration} updates per iteration (AdamW), LoRA rank {LoraRank} alpha {LoraAlpha} (attention, cross-attention, MLP), Euler {OdeSteps} steps, " +
        $"group-scaled advantages clipped to [-1, 1], beta0 = 1, ORW-CFM-W2 tau 0.5 alpha 1, RAFT top 25%, DPO beta 500 on best/worst reference pairs, Flow-GRPO KL {FlowGrpoBeta} noise level 0.7 clip 1e-4 with {FlowGrpoTrainedSteps} of the {OdeSteps} SDE steps trained per update");

    /// <summary>
    /// The held-out prompts: MiniDrawBench's test split (100), then every single-object prompt ("one red circle").
    /// The split holds only one of the 24 single-object prompts, so GenEval's single_object and colors categories
    /// would rest on one prompt; the study holds all 24 out of training instead.
    /// </summary>
    public static IReadOnlyList<string> EvaluationPrompts()
    {
        var heldOut = Bench.GenEvalSplit(seed: SplitSeed).HeldOut;   // the split's test prompts, then the other single-object ones
        return heldOut.Where(p => !p.Scene.IsSingleObject).Concat(heldOut.Where(p => p.Scene.IsSingleObject)).Select(p => p.Text).ToList();
    }

    /// <summary>The training prompts: the split's training prompts less the single-object ones.</summary>
    public static IReadOnlyList<string> TrainingPrompts() => Bench.GenEvalSplit(seed: SplitSeed).Train.Select(p => p.Text).ToList();

    /// <summary>Trains one run (or only evaluates, for <see cref="RunSpec.PreTrained"/>) and writes its points, and the picture prompts' final samples to <paramref name="imagesPath"/>.</summary>
    public static void Run(string method, double learningRate, int seed, int iterations, int interval, string csv, string imagesPath)
    {
        var context = new MLContext(seed: seed);
        using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();
        using var embedder = new ResNetImageEmbedder(intraOpThreads: 1);
        var diversity = new ImageDiversity(embedder);
        var evaluator = new FlowMatchingEvaluator(encoder, EvaluationPrompts(), EvalSamplesPerPrompt, 1000 + seed, OdeSteps);
        using var generator = EmbeddedMiniDrawBench.LoadGenerator();
        var shape = generator.SampleShape;

        var points = new List<GenEvalPoint>();
        IReadOnlyList<float[]> last = [];
        var schedule = new EvaluationSchedule<FlowMatchingIterationMetrics>(interval, iterations, m => m.Iteration, m => m.Seconds, (iteration, window, trainingSeconds) =>
        {
            last = evaluator.Sample(generator);
            var report = MiniGenEval.Evaluate(evaluator.RepeatedPrompts, last);
            double spread = diversity.MeanOverGroups(last, EvalSamplesPerPrompt, (int)shape[0], (int)shape[1], (int)shape[2]);
            double w2 = iteration == 0 ? 0 : evaluator.W2(generator, last);
            double trainingReward = window.Count > 0 ? window.Average(m => m.RewardMean) : double.NaN;
            points.Add(GenEvalPoint.Of(method, learningRate, seed, iteration, report, spread, w2, trainingReward, trainingSeconds));
            Console.WriteLine(FormattableString.Invariant($"{method} lr {learningRate} seed {seed} iteration {iteration}: MiniGenEval overall {report.Overall:F4}, partial credit {report.MeanScore:F4}, diversity {spread:F3}, W2 {w2:E2}, training reward {trainingReward:F4}, {trainingSeconds:F0} s training"));
        });

        if (method == RunSpec.PreTrained)
        {
            schedule.EvaluateNow(0);
        }
        else
        {
            var chosen = FlowMethods.Parse(method);
            var options = new AdrpoFlowMatchingTrainer.Options
            {
                Generator = generator,
                TextEncoder = encoder,
                RewardModels = { MiniGenEval.Reward() },
                Method = chosen,
                Iterations = iterations,
                PromptsPerIteration = PromptsPerIteration,
                SamplesPerPrompt = SamplesPerPrompt,
                UpdatesPerIteration = UpdatesPerIteration,
                LearningRate = learningRate,
                AdvantageScaling = AdvantageScaling.Group,
                LoraRank = LoraRank,
                LoraAlpha = LoraAlpha,
                OdeSteps = OdeSteps,
                Seed = seed,
                ComputeThreads = 1,
                Progress = schedule.Progress,
            };
            if (chosen == FineTuningMethod.FlowGrpo)
            {
                options.Beta0 = FlowGrpoBeta;
                options.FlowGrpoTrainedSteps = FlowGrpoTrainedSteps;
            }

            var prompts = context.Data.LoadFromEnumerable(TrainingPrompts().Select(p => new PromptRow { Prompt = p }));
            context.FineTuning().AdrpoFlowMatching(options).Fit(prompts);
        }

        GenEvalPoint.Write(csv, points);
        GenEvalPictures.WriteSamples(imagesPath, PicturePrompts.SelectMany(p => last.Skip(p * EvalSamplesPerPrompt).Take(EvalSamplesPerPrompt)).ToList());
    }
}
