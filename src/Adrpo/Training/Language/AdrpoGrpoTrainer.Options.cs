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
    /// epsilon 0.2); sizes are CPU-friendly. The options both trainers share are documented on <see cref="FineTuningOptions{TMetrics}"/>.
    /// </summary>
    public sealed class Options : FineTuningOptions<GrpoIterationMetrics>
    {
        /// <summary>Creates the options with the language-model defaults: output column "Completion", learning rate 1e-5, beta0 0.04, advantages clipped to [-0.04, 0.04] after group scaling, 8 rows per generation batch.</summary>
        public Options()
            : base(outputColumnName: "Completion", learningRate: 1e-5, beta0: 0.04, advantageClip: 0.04, AdvantageScaling.Group, generationBatchSize: 8)
        {
        }

        /// <summary>Objective: ADRPO-GRPO, beta_i = beta0 - clip(A_i) (eq. 7), or GRPO with beta = Beta0 (eq. 3). Default <see cref="GrpoMethod.Adrpo"/>.</summary>
        public GrpoMethod Method { get; set; } = GrpoMethod.Adrpo;

        /// <summary>The pre-trained causal LM to fine-tune (required; default null); changed in place.</summary>
        public QwenForCausalLM? Model { get; set; }

        /// <summary>Its tokenizer (required; default null); every token id must be below the model's vocabulary size.</summary>
        public HuggingFaceTokenizer? Tokenizer { get; set; }

        /// <summary>Wrap prompts in the tokenizer's ChatML template when it has one. Default true.</summary>
        public bool UseChatTemplate { get; set; } = true;

        /// <summary>Qwen3's thinking switch for the chat template. Default false (short answers).</summary>
        public bool EnableThinking { get; set; }

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

        /// <summary>
        /// Rows (completions) per forward/backward pass in the reference pass, the old-policy pass and every update;
        /// 0 or at least the batch (PromptsPerIteration x SamplesPerPrompt) means the whole batch at once. Default 0.
        /// A memory setting only: gradients are accumulated over the micro-batches and each update is still one
        /// optimizer step, with every micro-batch's loss scaled so that the accumulated gradient (and the logged loss,
        /// KL, clip ratio and entropy) equal the one-batch values to float rounding, for every <see cref="LossAggregation"/>.
        /// It need not divide the batch: the last micro-batch may be smaller. Peak activation memory falls roughly in
        /// proportion; each micro-batch costs one device sync (its loss is checked for NaN/Inf).
        /// </summary>
        public int MicroBatchSize { get; set; }

        /// <summary>
        /// Activation checkpointing per decoder layer in every update: each layer keeps only its input for the backward
        /// pass and runs its forward pass again there, so the activations of one layer at a time are alive instead of
        /// all of them. Gradients are unchanged (to float rounding; LoRA dropout masks are replayed); an update costs
        /// about one more forward pass. A memory setting, like <see cref="MicroBatchSize"/> (the two combine).
        /// Default false.
        /// </summary>
        public bool GradientCheckpointing { get; set; }

        internal override RewardSampleColumn SampleColumn => RewardSampleColumn.Text(OutputColumnName);

        internal override string DescribeRun(int prompts, int seed) =>
            $"{(Method == GrpoMethod.Adrpo ? "ADRPO-GRPO" : "GRPO")}: {prompts} prompts, {Iterations} iterations x {PromptsPerIteration} prompts x {SamplesPerPrompt} completions, seed {seed}.";

        internal override string DescribeIteration(GrpoIterationMetrics m) =>
            $"iteration {m.Iteration}/{Iterations}: reward {m.RewardMean:F4} (+-{m.RewardStd:F4}), KL {m.Kl:F5}, beta {m.BetaMean:F4} [{m.BetaMin:F4}, {m.BetaMax:F4}], entropy {m.Entropy:F3}, length {m.CompletionLength:F1}, {m.TokensPerSecond:F0} tokens/s{(m.SkippedSteps > 0 ? $", {m.SkippedSteps} non-finite step(s) skipped" : string.Empty)}";

        internal override Checkpoints.IResumableTrainingLoop<GrpoIterationMetrics> CreateLoop(LoopInputs run) =>
            new GrpoTrainingLoop(this, run.Prompts, run.Rewards, run.Seed, run.Device, run.Warn);

        internal override string DivergenceName => "KL";

        internal override double DivergenceOf(GrpoIterationMetrics m) => m.Kl;

        private protected override string SampleNoun => "completions";

        private protected override bool NeedsBeta0AboveMaxAdvantage => Method == GrpoMethod.Adrpo;

        private protected override void ValidateModel()
        {
            if (Model is null)
            {
                throw new ArgumentNullException(nameof(Model), "Options.Model is required: the pre-trained QwenForCausalLM to fine-tune.");
            }

            if (Tokenizer is null)
            {
                throw new ArgumentNullException(nameof(Tokenizer), "Options.Tokenizer is required.");
            }

            Require(Tokenizer.VocabularySize <= Model.Config.VocabSize && Tokenizer.MaxTokenId < Model.Config.VocabSize, nameof(Tokenizer), $"has {Tokenizer.VocabularySize} tokens with ids up to {Tokenizer.MaxTokenId}, but the model's vocabulary has {Model.Config.VocabSize} rows; expected every token id below {Model.Config.VocabSize}");
        }

        private protected override void ValidateTrackOptions()
        {
            Require(Enum.IsDefined(Method), nameof(Method), $"is {Method}; expected one of {string.Join(", ", Enum.GetNames<GrpoMethod>())}");
            Require(EpsilonLow >= 0 && EpsilonLow < 1, nameof(EpsilonLow), $"is {EpsilonLow}; expected a clip width in [0, 1)");
            Require(EpsilonHigh >= 0 && double.IsFinite(EpsilonHigh), nameof(EpsilonHigh), $"is {EpsilonHigh}; expected zero or positive");
            Require(MaxNewTokens >= 1, nameof(MaxNewTokens), $"is {MaxNewTokens}; expected at least 1");
            Require(MaxNewTokens < Model!.Config.MaxPositionEmbeddings, nameof(MaxNewTokens), $"is {MaxNewTokens}; the model's context of {Model!.Config.MaxPositionEmbeddings} positions must leave room for at least one prompt token");
            Require(MaxPromptTokens >= 0, nameof(MaxPromptTokens), $"is {MaxPromptTokens}; expected 0 (automatic: the context left after MaxNewTokens) or at least 1");
            Require(ResolvedMaxPromptTokens + MaxNewTokens <= Model!.Config.MaxPositionEmbeddings, nameof(MaxNewTokens), $"plus MaxPromptTokens ({ResolvedMaxPromptTokens + MaxNewTokens}) exceeds the model's context of {Model!.Config.MaxPositionEmbeddings} positions");
            Require(Temperature >= 0 && double.IsFinite(Temperature), nameof(Temperature), $"is {Temperature}; expected zero (greedy) or positive");
            Require(TopK >= 0, nameof(TopK), $"is {TopK}; expected zero (off) or positive");
            Require(TopP > 0 && TopP <= 1, nameof(TopP), $"is {TopP}; expected a value in (0, 1]");
            Require(LoraRank > 0 || !Model!.HasAdapters, nameof(LoraRank), "is 0 (full fine-tuning), but the model has LoRA adapters; expected LoraRank > 0 to train them, or call Model.MergeAdapters() first");
            Require(LoraRank == 0 || Model!.HasAdapters || LoraTargetModules.Count == 0 || TargetsMatch(), nameof(LoraTargetModules), $"({string.Join(", ", LoraTargetModules)}) selects no projection of the model for at least one entry; expected names among {string.Join(", ", QwenForCausalLM.DefaultLoraTargets)}");
            Require(MicroBatchSize >= 0, nameof(MicroBatchSize), $"is {MicroBatchSize}; expected 0 (the whole batch at once) or a positive number of rows per micro-batch");
            Require(Enum.IsDefined(LossAggregation), nameof(LossAggregation), $"is {LossAggregation}; expected one of {string.Join(", ", Enum.GetNames<LossAggregation>())}");
        }

        private bool TargetsMatch()
        {
            try
            {
                Models.Lora.LoraInjection.Select(Model!, LoraTargetModules.ToList(), QwenForCausalLM.DefaultLoraTargets, nameof(LoraTargetModules));
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        /// <summary>
        /// <see cref="MaxPromptTokens"/>, or for 0 the model's context minus <see cref="MaxNewTokens"/>; valid after
        /// <see cref="FineTuningOptions{TMetrics}.Validate"/> has passed.
        /// </summary>
        internal int ResolvedMaxPromptTokens => MaxPromptTokens > 0 ? MaxPromptTokens : (int)Math.Min(int.MaxValue, Model!.Config.MaxPositionEmbeddings - MaxNewTokens);
    }
}
