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
    /// (beta0 = 1, advantages clipped to [-1, 1], LoRA) and are sized for CPU otherwise.
    /// </summary>
    public sealed class Options
    {
        /// <summary>Input column holding the prompt text (String). Default "Prompt".</summary>
        public string PromptColumnName { get; set; } = "Prompt";

        /// <summary>Output column of the generated sample, a Single vector shaped like the generator's sample. Default "Image".</summary>
        public string OutputColumnName { get; set; } = "Image";

        /// <summary>The pre-trained generator to fine-tune (required; default null). Its weights are changed in place.</summary>
        public IConditionalVelocityModel? Generator { get; set; }

        /// <summary>Frozen prompt encoder; its dimension must equal the generator's condition dimension (required; default null).</summary>
        public ITextEncoder? TextEncoder { get; set; }

        /// <summary>Reward models and weights; at least one (the list starts empty). Each reads the prompt column and the output column.</summary>
        public IList<RewardModel> RewardModels { get; } = new List<RewardModel>();

        /// <summary>Objective. Default <see cref="FineTuningMethod.Adrpo"/>.</summary>
        public FineTuningMethod Method { get; set; } = FineTuningMethod.Adrpo;

        /// <summary>Samples drawn per prompt each iteration (the group for the advantage baseline). Default 8; at least 2.</summary>
        public int SamplesPerPrompt { get; set; } = 8;

        /// <summary>Prompts per iteration, drawn uniformly from the training prompts (paper: uniform p(c)). Default 4.</summary>
        public int PromptsPerIteration { get; set; } = 4;

        /// <summary>Training iterations (Algorithm 1's outer loop). Default 100.</summary>
        public int Iterations { get; set; } = 100;

        /// <summary>Gradient steps on each iteration's samples (each with fresh t and x0). Default 1.</summary>
        public int UpdatesPerIteration { get; set; } = 1;

        /// <summary>AdamW learning rate. Default 1e-4 (LoRA).</summary>
        public double LearningRate { get; set; } = 1e-4;

        /// <summary>AdamW weight decay. Default 0.</summary>
        public double WeightDecay { get; set; }

        /// <summary>Linear warm-up of the learning rate over this many iterations. Default 0.</summary>
        public int WarmupIterations { get; set; }

        /// <summary>Global gradient-norm clip; 0 disables. Default 1.</summary>
        public double GradientClipNorm { get; set; } = 1.0;

        /// <summary>ADRPO's baseline coefficient beta0 (eq. 4). Default 1 (paper).</summary>
        public double Beta0 { get; set; } = 1.0;

        /// <summary>Lower advantage clip Amin, in reward units (advantage = reward minus its prompt group's mean). Default -1 (paper).</summary>
        public double MinAdvantage { get; set; } = -1.0;

        /// <summary>Upper advantage clip Amax, in reward units (at most <see cref="Beta0"/>). Default 1 (paper).</summary>
        public double MaxAdvantage { get; set; } = 1.0;

        /// <summary>Advantage scaling after the group mean is subtracted. Default none (paper).</summary>
        public AdvantageScaling AdvantageScaling { get; set; } = AdvantageScaling.None;

        /// <summary>ORW-CFM-W2's reward temperature tau, an inverse temperature in 1/reward units: sample weights are <c>exp(tau * r)</c>, normalised over the batch to mean 1 (see <see cref="OrwCfmW2Loss.Weights"/>); 0 gives uniform weights. Default 0.5 (its published default).</summary>
        public double OrwTau { get; set; } = OrwCfmW2Loss.DefaultTau;

        /// <summary>ORW-CFM-W2's fixed W2 coefficient alpha. Default 1 (its published default).</summary>
        public double OrwAlpha { get; set; } = OrwCfmW2Loss.DefaultAlpha;

        /// <summary>RAFT's kept fraction of each prompt's samples. Default 0.25.</summary>
        public double RaftTopFraction { get; set; } = 0.25;

        /// <summary>Flow-matching DPO's inverse temperature. Default 500.</summary>
        public double DpoBeta { get; set; } = FlowMatchingDpoLoss.DefaultBeta;

        /// <summary>
        /// Distinct prompts, drawn at random, whose <see cref="SamplesPerPrompt"/> reference samples form DPO's offline
        /// preference pairs (best versus worst by reward). Default 0: <see cref="Iterations"/> x
        /// <see cref="PromptsPerIteration"/>, at most the number of prompts, so DPO generates as many samples as the
        /// online methods do over the run (the same budget).
        /// </summary>
        public int DpoPairPrompts { get; set; }

        /// <summary>ODE solver used for sampling. Default Euler.</summary>
        public OdeSolver Solver { get; set; } = OdeSolver.Euler;

        /// <summary>ODE steps used for sampling. Default 20.</summary>
        public int OdeSteps { get; set; } = 20;

        /// <summary>Classifier-free guidance scale (1 = no guidance; an unconditional pass uses a zero condition). Default 1.</summary>
        public double GuidanceScale { get; set; } = 1.0;

        /// <summary>LoRA rank; 0 means full fine-tuning of the generator's parameters. Default 8.</summary>
        public int LoraRank { get; set; } = 8;

        /// <summary>LoRA alpha (update scale alpha / rank). Default 16.</summary>
        public double LoraAlpha { get; set; } = 16;

        /// <summary>Seed of every random stream of the run (sampling, noise, times, prompt choice). Null uses the MLContext's seed.</summary>
        public int? Seed { get; set; }

        /// <summary>Samples generated per batch by the output transformer. Default 16.</summary>
        public int GenerationBatchSize { get; set; } = 16;

        /// <summary>
        /// Samples the fine-tuned transformer generates per input row. Default 1: only <see cref="OutputColumnName"/>.
        /// Above 1, <see cref="GenerationSamplesColumnName"/> is added too, a Single vector [N, C, H, W].
        /// </summary>
        public int GenerationSamplesPerPrompt { get; set; } = 1;

        /// <summary>Output column of all samples of a row when <see cref="GenerationSamplesPerPrompt"/> is above 1. Default "Images".</summary>
        public string GenerationSamplesColumnName { get; set; } = "Images";

        /// <summary>
        /// libtorch intra-op threads used while <c>Fit</c> runs (the process-wide <c>torch.set_num_threads</c>, set
        /// when Fit starts and put back to its previous value when Fit returns or throws). 0 (default) = automatic:
        /// half the processors, at least one (1 on a 2-core machine, where two threads were measured up to 24% faster
        /// when the machine was idle and 1.5-6x slower when anything else ran; see PACKAGE.md, "Threads"). At least 0.
        /// The fine-tuned transformer generates with the same setting.
        /// </summary>
        public int ComputeThreads { get; set; }

        /// <summary>
        /// Receives each iteration's metrics, in order. Default null (none). A <see cref="System.Progress{T}"/> runs its
        /// handler on its synchronization context; when Fit is called on a thread without a custom context (console,
        /// service, test), Fit waits after each report until the handler has finished (up to 30 s, then a warning), so
        /// every report has been handled, in order, before the next iteration starts and before Fit returns. On a UI
        /// thread (a custom context) Fit does not wait, since that would deadlock; reports then arrive as the UI thread
        /// processes them. Any other <see cref="IProgress{T}"/> is called directly on the training thread.
        /// </summary>
        public IProgress<FlowMatchingIterationMetrics>? Progress { get; set; }

        /// <summary>When set, the metrics are (re)written to this CSV file after every iteration (atomically). Default null (no file).</summary>
        public string? MetricsCsvPath { get; set; }

        /// <summary>Stops training within one iteration; the trained-so-far model is discarded and Fit throws. Default none.</summary>
        public CancellationToken CancellationToken { get; set; }

        /// <summary>
        /// File that holds the whole training state (weights or LoRA adapters, optimizer moments, random generators,
        /// iteration, metrics): one safetensors file, replaced atomically every <see cref="CheckpointInterval"/>
        /// iterations and after the last one. Null (default) writes no checkpoints.
        /// </summary>
        public string? CheckpointPath { get; set; }

        /// <summary>Iterations between checkpoints when <see cref="CheckpointPath"/> is set. Default 10.</summary>
        public int CheckpointInterval { get; set; } = 10;

        /// <summary>
        /// When <see cref="CheckpointPath"/> exists, continue from it (default true): the run picks up at the saved
        /// iteration and, on the CPU, produces exactly the metrics an uninterrupted run would. The checkpoint must come
        /// from the same settings (method, seed, group sizes, prompts); a mismatch is an error naming the setting.
        /// </summary>
        public bool ResumeFromCheckpoint { get; set; } = true;

        /// <summary>
        /// A step whose loss or gradient norm is NaN or infinite is skipped and counted; after this many such steps in a
        /// row, Fit throws <see cref="TrainingDivergedException"/> with the last checkpoint intact. Default 5.
        /// </summary>
        public int MaxConsecutiveSkippedSteps { get; set; } = 5;

        /// <summary>Checks every option and throws an exception naming the first invalid one.</summary>
        internal void Validate()
        {
            Require(!string.IsNullOrWhiteSpace(PromptColumnName), nameof(PromptColumnName), "must name the input column holding the prompts");
            Require(!string.IsNullOrWhiteSpace(OutputColumnName), nameof(OutputColumnName), "must name the output column");
            if (Generator is null)
            {
                throw new ArgumentNullException(nameof(Generator), "Options.Generator is required: the pre-trained IConditionalVelocityModel to fine-tune.");
            }

            if (TextEncoder is null)
            {
                throw new ArgumentNullException(nameof(TextEncoder), "Options.TextEncoder is required: the frozen prompt encoder.");
            }

            Require(TextEncoder.Dimension == Generator.ConditionDimension, nameof(TextEncoder), $"produces {TextEncoder.Dimension}-d embeddings but the generator expects {Generator.ConditionDimension}-d conditions");
            Require(RewardModels.Count > 0, nameof(RewardModels), "needs at least one reward model");
            Require(SamplesPerPrompt >= 2, nameof(SamplesPerPrompt), $"is {SamplesPerPrompt}; at least 2 samples per prompt are needed for a group baseline");
            Require(PromptsPerIteration >= 1, nameof(PromptsPerIteration), $"is {PromptsPerIteration}; expected at least 1");
            Require(Iterations >= 1, nameof(Iterations), $"is {Iterations}; expected at least 1");
            Require(UpdatesPerIteration >= 1, nameof(UpdatesPerIteration), $"is {UpdatesPerIteration}; expected at least 1");
            Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"is {LearningRate}; expected a positive number");
            Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"is {WeightDecay}; expected zero or positive");
            Require(WarmupIterations >= 0, nameof(WarmupIterations), $"is {WarmupIterations}; expected zero or positive");
            Require(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), $"is {GradientClipNorm}; expected zero (off) or positive");
            Require(MinAdvantage <= 0 && double.IsFinite(MinAdvantage), nameof(MinAdvantage), $"is {MinAdvantage}; expected at most 0");
            Require(MaxAdvantage >= 0 && double.IsFinite(MaxAdvantage), nameof(MaxAdvantage), $"is {MaxAdvantage}; expected at least 0");
            Require(Beta0 >= MaxAdvantage && double.IsFinite(Beta0), nameof(Beta0), $"is {Beta0}; it must be at least MaxAdvantage ({MaxAdvantage}) so beta0 - A never turns negative");
            Require(OrwTau >= 0 && double.IsFinite(OrwTau), nameof(OrwTau), $"is {OrwTau}; expected zero or positive");
            Require(OrwAlpha >= 0 && double.IsFinite(OrwAlpha), nameof(OrwAlpha), $"is {OrwAlpha}; expected zero or positive");
            Require(RaftTopFraction > 0 && RaftTopFraction <= 1, nameof(RaftTopFraction), $"is {RaftTopFraction}; expected a fraction in (0, 1]");
            Require(DpoBeta > 0 && double.IsFinite(DpoBeta), nameof(DpoBeta), $"is {DpoBeta}; expected a positive number");
            Require(DpoPairPrompts >= 0, nameof(DpoPairPrompts), $"is {DpoPairPrompts}; expected 0 (the online methods' sample budget) or a positive number of prompts");
            Require(OdeSteps >= 1, nameof(OdeSteps), $"is {OdeSteps}; expected at least 1");
            Require(GuidanceScale >= 0 && double.IsFinite(GuidanceScale), nameof(GuidanceScale), $"is {GuidanceScale}; expected zero or positive");
            Require(LoraRank >= 0, nameof(LoraRank), $"is {LoraRank}; expected 0 (full fine-tuning) or a positive rank");
            Require(LoraAlpha > 0 && double.IsFinite(LoraAlpha), nameof(LoraAlpha), $"is {LoraAlpha}; expected a positive number");
            Require(GenerationBatchSize >= 1, nameof(GenerationBatchSize), $"is {GenerationBatchSize}; expected at least 1");
            Require(GenerationSamplesPerPrompt >= 1, nameof(GenerationSamplesPerPrompt), $"is {GenerationSamplesPerPrompt}; expected at least 1");
            Require(GenerationSamplesPerPrompt == 1 || (!string.IsNullOrWhiteSpace(GenerationSamplesColumnName) && GenerationSamplesColumnName != OutputColumnName), nameof(GenerationSamplesColumnName), $"is '{GenerationSamplesColumnName}'; expected a column name other than OutputColumnName ('{OutputColumnName}')");
            Require(CheckpointInterval >= 1, nameof(CheckpointInterval), $"is {CheckpointInterval}; expected at least 1 iteration");
            Require(CheckpointPath is null || !string.IsNullOrWhiteSpace(CheckpointPath), nameof(CheckpointPath), "is blank; expected a file path or null (no checkpoints)");
            Require(CheckpointPath is null || !Directory.Exists(CheckpointPath), nameof(CheckpointPath), $"is the folder '{CheckpointPath}'; expected a file path such as '{Path.Combine(CheckpointPath ?? ".", "checkpoint.safetensors")}'");
            Require(ComputeThreads >= 0, nameof(ComputeThreads), $"is {ComputeThreads}; expected 0 (automatic) or a positive number of threads");
            Require(MaxConsecutiveSkippedSteps >= 1, nameof(MaxConsecutiveSkippedSteps), $"is {MaxConsecutiveSkippedSteps}; expected at least 1");
            Require(Enum.IsDefined(Method), nameof(Method), $"is {Method}; expected one of {string.Join(", ", Enum.GetNames<FineTuningMethod>())}");
            Require(Enum.IsDefined(Solver), nameof(Solver), $"is {Solver}; expected one of {string.Join(", ", Enum.GetNames<OdeSolver>())}");
            Require(Enum.IsDefined(AdvantageScaling), nameof(AdvantageScaling), $"is {AdvantageScaling}; expected one of {string.Join(", ", Enum.GetNames<AdvantageScaling>())}");
            Require(LoraRank > 0 || Method == FineTuningMethod.Raft, nameof(LoraRank), $"is 0 (full fine-tuning), but {Method} takes its reference velocity from the base model with LoRA adapters disabled; expected LoraRank > 0, or Method = Raft");
            Require(LoraRank == 0 || Generator is ILoraAdaptable, nameof(LoraRank), $"is {LoraRank}, but the generator ({Generator.GetType().Name}) does not implement ILoraAdaptable; expected LoraRank = 0 with Method = Raft, or a generator that supports LoRA");
            Require(MetricsCsvPath is null || (!string.IsNullOrWhiteSpace(MetricsCsvPath) && !Directory.Exists(MetricsCsvPath)), nameof(MetricsCsvPath), $"is '{MetricsCsvPath}'; expected null or the path of a CSV file (not a folder)");
        }

        /// <summary>The number of prompts DPO's pairs come from, for <paramref name="promptCount"/> training prompts.</summary>
        internal int ResolvedDpoPairPrompts(int promptCount) =>
            Math.Min(promptCount, DpoPairPrompts > 0 ? DpoPairPrompts : (int)Math.Min(int.MaxValue, (long)Iterations * PromptsPerIteration));

        private static void Require(bool condition, string option, string problem)
        {
            if (!condition)
            {
                throw new ArgumentOutOfRangeException(option, $"Option {option} {problem}.");
            }
        }
    }
}
