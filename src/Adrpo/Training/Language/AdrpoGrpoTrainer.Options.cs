using Adrpo.Advantages;
using Adrpo.Losses.Language;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Text.Tokenization;

namespace Adrpo.Training.Language;

public sealed partial class AdrpoGrpoTrainer
{
    /// <summary>
    /// Options of <see cref="AdrpoGrpoTrainer"/>. Defaults follow the paper's LLM setting (section 4.1: beta0 = 0.04,
    /// advantages clipped to [-0.04, 0.04] for the coefficient, full fine-tuning) and GRPO (group-scaled advantages,
    /// epsilon 0.2); sizes are CPU-friendly.
    /// </summary>
    public sealed class Options
    {
        /// <summary>Input column holding the prompt text (String). Default "Prompt".</summary>
        public string PromptColumnName { get; set; } = "Prompt";

        /// <summary>Output column of the generated completion (String). Default "Completion".</summary>
        public string OutputColumnName { get; set; } = "Completion";

        /// <summary>The pre-trained causal LM to fine-tune (required; default null); changed in place.</summary>
        public QwenForCausalLM? Model { get; set; }

        /// <summary>Its tokenizer (required; default null); every token id must be below the model's vocabulary size.</summary>
        public HuggingFaceTokenizer? Tokenizer { get; set; }

        /// <summary>Wrap prompts in the tokenizer's ChatML template when it has one. Default true.</summary>
        public bool UseChatTemplate { get; set; } = true;

        /// <summary>Qwen3's thinking switch for the chat template. Default false (short answers).</summary>
        public bool EnableThinking { get; set; }

        /// <summary>Reward models and weights; at least one (the list starts empty). Each reads the prompt and completion columns.</summary>
        public IList<RewardModel> RewardModels { get; } = new List<RewardModel>();

        /// <summary>Completions per prompt (GRPO's group size G). Default 8; at least 2.</summary>
        public int GroupSize { get; set; } = 8;

        /// <summary>Prompts per iteration, drawn uniformly. Default 4.</summary>
        public int PromptsPerIteration { get; set; } = 4;

        /// <summary>Training iterations. Default 100.</summary>
        public int Iterations { get; set; } = 100;

        /// <summary>Policy updates per generated batch (GRPO's mu); above 1 the clipped ratio matters. Default 1.</summary>
        public int UpdatesPerBatch { get; set; } = 1;

        /// <summary>AdamW learning rate. Default 1e-5.</summary>
        public double LearningRate { get; set; } = 1e-5;

        /// <summary>Linear warm-up iterations. Default 0.</summary>
        public int WarmupIterations { get; set; }

        /// <summary>Learning-rate schedule after warm-up. Default constant.</summary>
        public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

        /// <summary>AdamW weight decay. Default 0.</summary>
        public double WeightDecay { get; set; }

        /// <summary>Global gradient-norm clip; 0 disables. Default 1.</summary>
        public double GradientClipNorm { get; set; } = 1.0;

        /// <summary>True: ADRPO-GRPO, beta_i = beta0 - clip(A_i) (eq. 7). False: GRPO with beta = <see cref="Beta0"/> (eq. 3).</summary>
        public bool Adaptive { get; set; } = true;

        /// <summary>Baseline KL coefficient beta0 (also the fixed beta of the GRPO baseline). Default 0.04.</summary>
        public double Beta0 { get; set; } = 0.04;

        /// <summary>Lower clip of the advantage used in the coefficient, in advantage units (after <see cref="AdvantageScaling"/>). Default -0.04.</summary>
        public double MinAdvantage { get; set; } = -0.04;

        /// <summary>Upper clip of the advantage used in the coefficient, in advantage units (at most Beta0). Default 0.04.</summary>
        public double MaxAdvantage { get; set; } = 0.04;

        /// <summary>Advantage scaling. Default group standard deviation (GRPO).</summary>
        public AdvantageScaling AdvantageScaling { get; set; } = AdvantageScaling.Group;

        /// <summary>Lower ratio clip epsilon: ratios below 1 - epsilon are clipped. Default 0.2.</summary>
        public double EpsilonLow { get; set; } = 0.2;

        /// <summary>Upper ratio clip epsilon: ratios above 1 + epsilon are clipped. Default 0.2.</summary>
        public double EpsilonHigh { get; set; } = 0.2;

        /// <summary>Per-token loss aggregation. Default grpo.</summary>
        public LossAggregation LossAggregation { get; set; } = LossAggregation.Grpo;

        /// <summary>Maximum completion length in tokens. Default 32.</summary>
        public int MaxNewTokens { get; set; } = 32;

        /// <summary>
        /// Longest prompt accepted, in tokens after templating; longer prompts are an error, not truncated. Default 0 =
        /// automatic: what the model's context leaves after <see cref="MaxNewTokens"/> (224 for the embedded tiny
        /// model's 256 positions with the default 32 new tokens). An explicit value plus MaxNewTokens must fit the context.
        /// </summary>
        public int MaxPromptTokens { get; set; }

        /// <summary>Sampling temperature (log-probabilities use the same temperature). Default 1.</summary>
        public double Temperature { get; set; } = 1.0;

        /// <summary>Top-k filter; 0 disables. Default 0.</summary>
        public int TopK { get; set; }

        /// <summary>Nucleus (top-p) filter; 1 disables. Default 1.</summary>
        public double TopP { get; set; } = 1.0;

        /// <summary>Seed of every random stream of the run. Null uses the MLContext's seed.</summary>
        public int? Seed { get; set; }

        /// <summary>Rows generated per batch by the output transformer. Default 8.</summary>
        public int GenerationBatchSize { get; set; } = 8;

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
        public IProgress<GrpoIterationMetrics>? Progress { get; set; }

        /// <summary>When set, the metrics are rewritten to this CSV after every iteration (atomically). Default null (no file).</summary>
        public string? MetricsCsvPath { get; set; }

        /// <summary>Stops training within one step; Fit then throws <see cref="OperationCanceledException"/>. Default none.</summary>
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

        internal void Validate()
        {
            Require(!string.IsNullOrWhiteSpace(PromptColumnName), nameof(PromptColumnName), "must name the prompt column");
            Require(!string.IsNullOrWhiteSpace(OutputColumnName), nameof(OutputColumnName), "must name the output column");
            if (Model is null)
            {
                throw new ArgumentNullException(nameof(Model), "Options.Model is required: the pre-trained QwenForCausalLM to fine-tune.");
            }

            if (Tokenizer is null)
            {
                throw new ArgumentNullException(nameof(Tokenizer), "Options.Tokenizer is required.");
            }

            Require(Tokenizer.VocabularySize <= Model.Config.VocabSize && Tokenizer.MaxTokenId < Model.Config.VocabSize, nameof(Tokenizer), $"has {Tokenizer.VocabularySize} tokens with ids up to {Tokenizer.MaxTokenId}, but the model's vocabulary has {Model.Config.VocabSize} rows; expected every token id below {Model.Config.VocabSize}");
            Require(RewardModels.Count > 0, nameof(RewardModels), "needs at least one reward model");
            Require(GroupSize >= 2, nameof(GroupSize), $"is {GroupSize}; GRPO needs at least 2 completions per prompt");
            Require(PromptsPerIteration >= 1, nameof(PromptsPerIteration), $"is {PromptsPerIteration}; expected at least 1");
            Require(Iterations >= 1, nameof(Iterations), $"is {Iterations}; expected at least 1");
            Require(UpdatesPerBatch >= 1, nameof(UpdatesPerBatch), $"is {UpdatesPerBatch}; expected at least 1");
            Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"is {LearningRate}; expected a positive number");
            Require(WarmupIterations >= 0, nameof(WarmupIterations), $"is {WarmupIterations}; expected zero or positive");
            Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"is {WeightDecay}; expected zero or positive");
            Require(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), $"is {GradientClipNorm}; expected zero (off) or positive");
            Require(MinAdvantage <= 0 && double.IsFinite(MinAdvantage), nameof(MinAdvantage), $"is {MinAdvantage}; expected at most 0");
            Require(MaxAdvantage >= 0 && double.IsFinite(MaxAdvantage), nameof(MaxAdvantage), $"is {MaxAdvantage}; expected at least 0");
            Require(Beta0 >= 0 && double.IsFinite(Beta0), nameof(Beta0), $"is {Beta0}; expected zero or positive");
            Require(!Adaptive || Beta0 >= MaxAdvantage, nameof(Beta0), $"is {Beta0}; with Adaptive it must be at least MaxAdvantage ({MaxAdvantage}) so beta0 - A never turns negative");
            Require(EpsilonLow >= 0 && EpsilonLow < 1, nameof(EpsilonLow), $"is {EpsilonLow}; expected a clip width in [0, 1)");
            Require(EpsilonHigh >= 0 && double.IsFinite(EpsilonHigh), nameof(EpsilonHigh), $"is {EpsilonHigh}; expected zero or positive");
            Require(MaxNewTokens >= 1, nameof(MaxNewTokens), $"is {MaxNewTokens}; expected at least 1");
            Require(MaxNewTokens < Model.Config.MaxPositionEmbeddings, nameof(MaxNewTokens), $"is {MaxNewTokens}; the model's context of {Model.Config.MaxPositionEmbeddings} positions must leave room for at least one prompt token");
            Require(MaxPromptTokens >= 0, nameof(MaxPromptTokens), $"is {MaxPromptTokens}; expected 0 (automatic: the context left after MaxNewTokens) or at least 1");
            Require(ResolvedMaxPromptTokens + MaxNewTokens <= Model.Config.MaxPositionEmbeddings, nameof(MaxNewTokens), $"plus MaxPromptTokens ({ResolvedMaxPromptTokens + MaxNewTokens}) exceeds the model's context of {Model.Config.MaxPositionEmbeddings} positions");
            Require(Temperature >= 0 && double.IsFinite(Temperature), nameof(Temperature), $"is {Temperature}; expected zero (greedy) or positive");
            Require(TopK >= 0, nameof(TopK), $"is {TopK}; expected zero (off) or positive");
            Require(TopP > 0 && TopP <= 1, nameof(TopP), $"is {TopP}; expected a value in (0, 1]");
            Require(GenerationBatchSize >= 1, nameof(GenerationBatchSize), $"is {GenerationBatchSize}; expected at least 1");
            Require(CheckpointInterval >= 1, nameof(CheckpointInterval), $"is {CheckpointInterval}; expected at least 1 iteration");
            Require(CheckpointPath is null || !string.IsNullOrWhiteSpace(CheckpointPath), nameof(CheckpointPath), "is blank; expected a file path or null (no checkpoints)");
            Require(CheckpointPath is null || !Directory.Exists(CheckpointPath), nameof(CheckpointPath), $"is the folder '{CheckpointPath}'; expected a file path such as '{Path.Combine(CheckpointPath ?? ".", "checkpoint.safetensors")}'");
            Require(ComputeThreads >= 0, nameof(ComputeThreads), $"is {ComputeThreads}; expected 0 (automatic) or a positive number of threads");
            Require(MaxConsecutiveSkippedSteps >= 1, nameof(MaxConsecutiveSkippedSteps), $"is {MaxConsecutiveSkippedSteps}; expected at least 1");
            Require(Enum.IsDefined(AdvantageScaling), nameof(AdvantageScaling), $"is {AdvantageScaling}; expected one of {string.Join(", ", Enum.GetNames<AdvantageScaling>())}");
            Require(Enum.IsDefined(LossAggregation), nameof(LossAggregation), $"is {LossAggregation}; expected one of {string.Join(", ", Enum.GetNames<LossAggregation>())}");
            Require(Enum.IsDefined(Schedule), nameof(Schedule), $"is {Schedule}; expected one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}");
            Require(MetricsCsvPath is null || (!string.IsNullOrWhiteSpace(MetricsCsvPath) && !Directory.Exists(MetricsCsvPath)), nameof(MetricsCsvPath), $"is '{MetricsCsvPath}'; expected null or the path of a CSV file (not a folder)");
        }

        /// <summary>
        /// <see cref="MaxPromptTokens"/>, or for 0 the model's context minus <see cref="MaxNewTokens"/>; valid after
        /// <see cref="Validate"/> has passed.
        /// </summary>
        internal int ResolvedMaxPromptTokens => MaxPromptTokens > 0 ? MaxPromptTokens : (int)Math.Min(int.MaxValue, Model!.Config.MaxPositionEmbeddings - MaxNewTokens);

        private static void Require(bool condition, string option, string problem)
        {
            if (!condition)
            {
                throw new ArgumentOutOfRangeException(option, $"Option {option} {problem}.");
            }
        }
    }
}
