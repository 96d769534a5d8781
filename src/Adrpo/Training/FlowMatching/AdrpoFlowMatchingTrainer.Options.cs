using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Models;
using Adrpo.Rewards;
using Adrpo.Sampling;
using Adrpo.Text;

namespace Adrpo.Training.FlowMatching;

public sealed partial class AdrpoFlowMatchingTrainer
{
    /// <summary>
    /// Options of <see cref="AdrpoFlowMatchingTrainer"/>. Defaults follow the ADRPO paper where it gives one
    /// (beta0 = 1, advantages clipped to [-1, 1], LoRA of rank 8) and are sized for CPU otherwise. The options both trainers share
    /// are documented on <see cref="FineTuningOptions{TMetrics}"/>.
    /// </summary>
    public sealed class Options : FineTuningOptions<FlowMatchingIterationMetrics>
    {
        /// <summary>Creates the options with the paper's flow-matching defaults: output column "Image", learning rate 1e-4 with LoRA rank 8, beta0 1, advantages clipped to [-1, 1] in reward units (no scaling), 16 samples per generation batch.</summary>
        public Options()
            : base(outputColumnName: "Image", learningRate: 1e-4, beta0: 1.0, advantageClip: 1.0, AdvantageScaling.None, generationBatchSize: 16)
        {
            LoraRank = 8;
        }

        /// <summary>The pre-trained generator to fine-tune (required; default null). Its weights are changed in place.</summary>
        public IConditionalVelocityModel? Generator { get; set; }

        /// <summary>Frozen prompt encoder; its dimension must equal the generator's condition dimension (required; default null).</summary>
        public ITextEncoder? TextEncoder { get; set; }

        /// <summary>Objective. Default <see cref="FineTuningMethod.Adrpo"/>.</summary>
        public FineTuningMethod Method { get; set; } = FineTuningMethod.Adrpo;

        /// <summary>ORW-CFM-W2's reward temperature tau, an inverse temperature in 1/reward units: sample weights are <c>exp(tau * r)</c>, normalised over the batch to mean 1 (see <see cref="OrwCfmW2Loss.Weights"/>); 0 gives uniform weights. Default 0.5 (its published default).</summary>
        public double OrwTau { get; set; } = OrwCfmW2Loss.DefaultTau;

        /// <summary>ORW-CFM-W2's fixed W2 coefficient alpha. Default 1 (its published default).</summary>
        public double OrwAlpha { get; set; } = OrwCfmW2Loss.DefaultAlpha;

        /// <summary>RAFT's kept fraction of each prompt's samples. Default 0.25.</summary>
        public double RaftTopFraction { get; set; } = 0.25;

        /// <summary>Flow-matching DPO's inverse temperature. Default 500.</summary>
        public double DpoBeta { get; set; } = FlowMatchingDpoLoss.DefaultBeta;

        /// <summary>
        /// Distinct prompts, drawn at random, whose <see cref="FineTuningOptions{TMetrics}.SamplesPerPrompt"/> reference samples form DPO's offline
        /// preference pairs (best versus worst by reward). Default 0: <see cref="FineTuningOptions{TMetrics}.Iterations"/> x
        /// <see cref="FineTuningOptions{TMetrics}.PromptsPerIteration"/>, at most the number of prompts, so DPO generates as many samples as the
        /// online methods do over the run (the same budget).
        /// </summary>
        public int DpoPairPrompts { get; set; }

        /// <summary>
        /// Flow-GRPO's noise level a: its training samples come from the SDE with the ODE's marginals and step standard
        /// deviation a sqrt(h (1 - t) / t) (<see cref="FineTuningMethod.FlowGrpo"/> only; held-out samples use the ODE).
        /// Default 0.7 (Flow-GRPO's). The fixed KL coefficient is <see cref="FineTuningOptions{TMetrics}.Beta0"/>
        /// (Flow-GRPO uses 0.04; Beta0 need not exceed MaxAdvantage for this method).
        /// </summary>
        public double FlowGrpoNoiseLevel { get; set; } = FlowSdeStep.DefaultNoiseLevel;

        /// <summary>Flow-GRPO's number of SDE steps trained per sample and update, drawn at random (seeded) from the
        /// <see cref="OdeSteps"/> steps of each sample's trajectory. Default 0: all steps.</summary>
        public int FlowGrpoTrainedSteps { get; set; }

        /// <summary>Flow-GRPO's clip range eps of the per-step ratio, clipped to [1 - eps, 1 + eps]. Default 1e-4 (Flow-GRPO's).</summary>
        public double FlowGrpoClipRange { get; set; } = FlowGrpoLoss.DefaultClipRange;

        /// <summary>ODE solver used for sampling. Default Euler.</summary>
        public OdeSolver Solver { get; set; } = OdeSolver.Euler;

        /// <summary>ODE steps used for sampling. Default 20.</summary>
        public int OdeSteps { get; set; } = 20;

        /// <summary>Classifier-free guidance scale (1 = no guidance; an unconditional pass uses a zero condition). Default 1.</summary>
        public double GuidanceScale { get; set; } = 1.0;

        /// <summary>
        /// Samples the fine-tuned transformer generates per input row. Default 1: only <see cref="FineTuningOptions{TMetrics}.OutputColumnName"/>.
        /// Above 1, <see cref="GenerationSamplesColumnName"/> is added too, a Single vector [N, C, H, W].
        /// </summary>
        public int GenerationSamplesPerPrompt { get; set; } = 1;

        /// <summary>Output column of all samples of a row when <see cref="GenerationSamplesPerPrompt"/> is above 1. Default "Images".</summary>
        public string GenerationSamplesColumnName { get; set; } = "Images";

        internal override RewardSampleColumn SampleColumn => RewardSampleColumn.Vector(OutputColumnName, Generator!.SampleShape.Select(d => (int)d).ToArray());

        internal override string DescribeRun(int prompts, int seed) =>
            $"ADRPO flow matching: {Method}, {prompts} prompts, {Iterations} iterations x {PromptsPerIteration} prompts x {SamplesPerPrompt} samples, seed {seed}.";

        internal override string DescribeIteration(FlowMatchingIterationMetrics m) =>
            $"iteration {m.Iteration}/{Iterations}: reward {m.RewardMean:F4} (+-{m.RewardStd:F4}), beta {m.BetaMean:F3} [{m.BetaMin:F3}, {m.BetaMax:F3}], W2 {m.W2:F5}, diversity {m.Diversity:F3}, loss {m.Loss:F5}{(m.SkippedSteps > 0 ? $", {m.SkippedSteps} non-finite step(s) skipped" : string.Empty)}";

        internal override Checkpoints.IResumableTrainingLoop<FlowMatchingIterationMetrics> CreateLoop(LoopInputs run) =>
            new FlowMatchingTrainingLoop(this, run.Prompts, run.Rewards, run.Seed, run.Device, run.Warn);

        internal override string DivergenceName => "W2";

        internal override double DivergenceOf(FlowMatchingIterationMetrics m) => m.W2;

        private protected override string SampleNoun => "samples";

        // The flow-matching trainer has always required beta0 >= Amax, except for Flow-GRPO, where Beta0 is the fixed KL
        // coefficient (0.04 in Flow-GRPO) and no advantage is subtracted from it.
        private protected override bool NeedsBeta0AboveMaxAdvantage => Method != FineTuningMethod.FlowGrpo;

        private protected override void ValidateModel()
        {
            if (Generator is null)
            {
                throw new ArgumentNullException(nameof(Generator), "Options.Generator is required: the pre-trained IConditionalVelocityModel to fine-tune.");
            }

            if (TextEncoder is null)
            {
                throw new ArgumentNullException(nameof(TextEncoder), "Options.TextEncoder is required: the frozen prompt encoder.");
            }

            Require(TextEncoder.Dimension == Generator.ConditionDimension, nameof(TextEncoder), $"produces {TextEncoder.Dimension}-d embeddings but the generator expects {Generator.ConditionDimension}-d conditions");
        }

        private protected override void ValidateTrackOptions()
        {
            Require(OrwTau >= 0 && double.IsFinite(OrwTau), nameof(OrwTau), $"is {OrwTau}; expected zero or positive");
            Require(OrwAlpha >= 0 && double.IsFinite(OrwAlpha), nameof(OrwAlpha), $"is {OrwAlpha}; expected zero or positive");
            Require(RaftTopFraction > 0 && RaftTopFraction <= 1, nameof(RaftTopFraction), $"is {RaftTopFraction}; expected a fraction in (0, 1]");
            Require(DpoBeta > 0 && double.IsFinite(DpoBeta), nameof(DpoBeta), $"is {DpoBeta}; expected a positive number");
            Require(DpoPairPrompts >= 0, nameof(DpoPairPrompts), $"is {DpoPairPrompts}; expected 0 (the online methods' sample budget) or a positive number of prompts");
            Require(FlowGrpoNoiseLevel > 0 && double.IsFinite(FlowGrpoNoiseLevel), nameof(FlowGrpoNoiseLevel), $"is {FlowGrpoNoiseLevel}; expected a positive number (Flow-GRPO's a, e.g. 0.7)");
            Require(FlowGrpoTrainedSteps >= 0 && FlowGrpoTrainedSteps <= OdeSteps, nameof(FlowGrpoTrainedSteps), $"is {FlowGrpoTrainedSteps}; expected 0 (all steps) or a number of steps up to OdeSteps ({OdeSteps})");
            Require(FlowGrpoClipRange > 0 && double.IsFinite(FlowGrpoClipRange), nameof(FlowGrpoClipRange), $"is {FlowGrpoClipRange}; expected a positive number (e.g. 1e-4)");
            Require(OdeSteps >= 1, nameof(OdeSteps), $"is {OdeSteps}; expected at least 1");
            Require(GuidanceScale >= 0 && double.IsFinite(GuidanceScale), nameof(GuidanceScale), $"is {GuidanceScale}; expected zero or positive");
            Require(LoraDropout == 0, nameof(LoraDropout), $"is {LoraDropout}; the flow-matching trainer applies no LoRA dropout, expected 0");
            Require(GenerationSamplesPerPrompt >= 1, nameof(GenerationSamplesPerPrompt), $"is {GenerationSamplesPerPrompt}; expected at least 1");
            Require(GenerationSamplesPerPrompt == 1 || (!string.IsNullOrWhiteSpace(GenerationSamplesColumnName) && GenerationSamplesColumnName != OutputColumnName), nameof(GenerationSamplesColumnName), $"is '{GenerationSamplesColumnName}'; expected a column name other than OutputColumnName ('{OutputColumnName}')");
            Require(Enum.IsDefined(Method), nameof(Method), $"is {Method}; expected one of {string.Join(", ", Enum.GetNames<FineTuningMethod>())}");
            Require(Enum.IsDefined(Solver), nameof(Solver), $"is {Solver}; expected one of {string.Join(", ", Enum.GetNames<OdeSolver>())}");
            Require(LoraRank > 0 || Method == FineTuningMethod.Raft, nameof(LoraRank), $"is 0 (full fine-tuning), but {Method} takes its reference velocity from the base model with LoRA adapters disabled; expected LoraRank > 0, or Method = Raft");
            Require(LoraRank == 0 || Generator is ILoraAdaptable, nameof(LoraRank), $"is {LoraRank}, but the generator ({Generator!.GetType().Name}) does not implement ILoraAdaptable; expected LoraRank = 0 with Method = Raft, or a generator that supports LoRA");
        }

        /// <summary>The number of SDE steps Flow-GRPO trains per sample and update.</summary>
        internal int ResolvedFlowGrpoTrainedSteps => FlowGrpoTrainedSteps > 0 ? FlowGrpoTrainedSteps : OdeSteps;

        /// <summary>The number of prompts DPO's pairs come from, for <paramref name="promptCount"/> training prompts.</summary>
        internal int ResolvedDpoPairPrompts(int promptCount) =>
            Math.Min(promptCount, DpoPairPrompts > 0 ? DpoPairPrompts : (int)Math.Min(int.MaxValue, (long)Iterations * PromptsPerIteration));
    }
}
