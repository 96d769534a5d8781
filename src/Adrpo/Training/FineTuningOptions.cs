using Adrpo.Advantages;
using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Training;

/// <summary>
/// The options both trainers share: columns, reward models, the iteration budget, the optimizer, the divergence
/// coefficient's clip (ADRPO's beta0 - clip(A), eq. 4/7), seed, threads, progress, metrics file, cancellation and
/// checkpoints. Each trainer's <c>Options</c> derives from this, sets its own defaults in its constructor (e.g.
/// <see cref="LearningRate"/> 1e-5 for full fine-tuning of a language model, 1e-4 for LoRA on a flow-matching
/// generator) and adds only what is specific to it.
/// </summary>
/// <typeparam name="TMetrics">The per-iteration metrics record the trainer reports.</typeparam>
public abstract class FineTuningOptions<TMetrics>
    where TMetrics : IterationMetrics
{
    // Only the library's two trainers derive from this: the shared Fit path relies on their loops.
    private protected FineTuningOptions(string outputColumnName, double learningRate, double beta0, double advantageClip, AdvantageScaling advantageScaling, int generationBatchSize)
    {
        OutputColumnName = outputColumnName;
        LearningRate = learningRate;
        Beta0 = beta0;
        MinAdvantage = -advantageClip;
        MaxAdvantage = advantageClip;
        AdvantageScaling = advantageScaling;
        GenerationBatchSize = generationBatchSize;
    }

    /// <summary>Input column holding the prompt text (String). Default "Prompt".</summary>
    public string PromptColumnName { get; set; } = "Prompt";

    /// <summary>Output column the fine-tuned transformer adds (the completion text, or the generated sample); the default is the trainer's.</summary>
    public string OutputColumnName { get; set; } = string.Empty;

    /// <summary>Reward models and weights; at least one (the list starts empty). Each reads the prompt column and the output column.</summary>
    public IList<RewardModel> RewardModels { get; } = new List<RewardModel>();

    /// <summary>Samples (completions) drawn per prompt each iteration: the group of the advantage baseline (GRPO's group size G). Default 8; at least 2.</summary>
    public int SamplesPerPrompt { get; set; } = 8;

    /// <summary>Prompts per iteration, drawn uniformly from the training prompts (paper: uniform p(c)). Default 4.</summary>
    public int PromptsPerIteration { get; set; } = 4;

    /// <summary>Training iterations (Algorithm 1's outer loop). Default 100.</summary>
    public int Iterations { get; set; } = 100;

    /// <summary>
    /// Gradient steps on each iteration's samples (GRPO's mu: above 1 its clipped ratio matters; for flow matching
    /// each step draws fresh t and x0). Default 1.
    /// </summary>
    public int UpdatesPerIteration { get; set; } = 1;

    /// <summary>AdamW learning rate; the default is the trainer's (1e-5 for the language model, 1e-4 for flow matching).</summary>
    public double LearningRate { get; set; }

    /// <summary>Learning-rate schedule after warm-up. Default constant.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Linear warm-up of the learning rate over this many iterations. Default 0.</summary>
    public int WarmupIterations { get; set; }

    /// <summary>AdamW weight decay. Default 0.</summary>
    public double WeightDecay { get; set; }

    /// <summary>
    /// LoRA rank r: above 0 only low-rank adapters on <see cref="LoraTargetModules"/> train (the base weights stay
    /// frozen and the reference model is the base, computed by switching the adapters off: no second copy); 0 trains
    /// every weight. The default is the trainer's (0, full fine-tuning, for the language model; 8 for flow matching).
    /// A model that already has adapters (for example from <c>LoadAdapter</c>) trains those, and the reference is its
    /// base without them.
    /// </summary>
    public int LoraRank { get; set; }

    /// <summary>LoRA alpha: the adapter update is scaled by alpha / <see cref="LoraRank"/>. Default 16.</summary>
    public double LoraAlpha { get; set; } = 16;

    /// <summary>Dropout probability on the adapters' input during the gradient steps (as PEFT's <c>lora_dropout</c>), in [0, 1). Default 0.</summary>
    public double LoraDropout { get; set; }

    /// <summary>
    /// Modules that get adapters, as PEFT's <c>target_modules</c> list: a linear is adapted when its name equals an
    /// entry or ends with "." + it (e.g. "q_proj", "v_proj" for a language model's attention). Empty (default) = the
    /// model's defaults (every attention and MLP projection).
    /// </summary>
    public IList<string> LoraTargetModules { get; } = new List<string>();

    /// <summary>Global gradient-norm clip; 0 disables. Default 1.</summary>
    public double GradientClipNorm { get; set; } = 1.0;

    /// <summary>ADRPO's baseline divergence coefficient beta0 (eq. 4 and 7; also the fixed beta of GRPO, eq. 3); the default is the trainer's (0.04 for the language model, 1 for flow matching).</summary>
    public double Beta0 { get; set; }

    /// <summary>Lower clip of the advantage used in the coefficient, in advantage units (after <see cref="AdvantageScaling"/>); at most 0. The default is the trainer's.</summary>
    public double MinAdvantage { get; set; }

    /// <summary>Upper clip of the advantage used in the coefficient, in advantage units (at most <see cref="Beta0"/>); at least 0. The default is the trainer's.</summary>
    public double MaxAdvantage { get; set; }

    /// <summary>Advantage scaling after the group mean is subtracted; the default is the trainer's (group standard deviation for GRPO, none for flow matching).</summary>
    public AdvantageScaling AdvantageScaling { get; set; }

    /// <summary>Seed of every random stream of the run. Null uses the MLContext's seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Rows generated per batch by the output transformer; the default is the trainer's.</summary>
    public int GenerationBatchSize { get; set; }

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
    public IProgress<TMetrics>? Progress { get; set; }

    /// <summary>When set, the metrics are rewritten to this CSV file after every iteration (atomically). Default null (no file).</summary>
    public string? MetricsCsvPath { get; set; }

    /// <summary>Stops training within one step; the trained-so-far model is discarded and Fit throws <see cref="OperationCanceledException"/>. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// File that holds the whole training state (the trained weights: all of them, or the LoRA adapters where the
    /// trainer uses LoRA; optimizer moments, random generators, iteration, metrics): one safetensors file, replaced
    /// atomically every <see cref="CheckpointInterval"/> iterations and after the last one. Null (default) writes no checkpoints.
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

    /// <summary>
    /// Held-out data evaluated during training (null: no evaluation): its prompt column (<see cref="PromptColumnName"/>)
    /// and any other columns the rewards read. Every <see cref="EvaluationInterval"/> iterations, before training and
    /// after the last iteration, <see cref="EvaluationSamplesPerPrompt"/> samples of each row are drawn with a fixed
    /// seed (the same noise every time) and scored by every reward model; the means go to
    /// <see cref="IterationMetrics.HeldOutRewardMean"/> and <see cref="IterationMetrics.HeldOutRewardMeanPerModel"/>.
    /// Costs one sampling pass over the data per evaluation.
    /// </summary>
    public IDataView? EvaluationData { get; set; }

    /// <summary>Iterations between held-out evaluations (and after the last one). Default 10.</summary>
    public int EvaluationInterval { get; set; } = 10;

    /// <summary>Samples drawn per held-out row at each evaluation. Default 4.</summary>
    public int EvaluationSamplesPerPrompt { get; set; } = 4;

    /// <summary>
    /// Folder for the held-out samples of each evaluation (null: none): <c>heldout-0000.jsonl</c> (prompt,
    /// completion, total and per-model rewards, one JSON object per line) for language models, or
    /// <c>heldout-0000.png</c> (a grid: one row per prompt, the first 16 prompts, the prompt written under its row)
    /// for images, numbered by iteration.
    /// </summary>
    public string? EvaluationSamplesFolder { get; set; }

    /// <summary>
    /// Reward-hacking guard's divergence bound: a warning (and with <see cref="StopOnRewardHacking"/> a stop) when an
    /// iteration's divergence to the reference passes it: the KL estimate for the language model, W2 for flow
    /// matching. Default +infinity (off).
    /// </summary>
    public double MaxDivergence { get; set; } = double.PositiveInfinity;

    /// <summary>
    /// When the reward-hacking guard fires (the held-out reward fell at two evaluations in a row while the training
    /// reward rose, or the divergence passed <see cref="MaxDivergence"/>), stop training and put back the trainable
    /// weights of the evaluation with the best held-out reward (the model before training included). Default false:
    /// the guard only warns. The last checkpoint file keeps the state at the stop.
    /// </summary>
    public bool StopOnRewardHacking { get; set; }

    /// <summary>What one of <see cref="SamplesPerPrompt"/> is called in messages ("samples", "completions").</summary>
    private protected abstract string SampleNoun { get; }

    /// <summary>Whether the coefficient is ADRPO's beta0 - clip(A), which needs <see cref="Beta0"/> at least <see cref="MaxAdvantage"/>.</summary>
    private protected abstract bool NeedsBeta0AboveMaxAdvantage { get; }

    /// <summary>Checks every option and throws an exception naming the first invalid one.</summary>
    internal void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(PromptColumnName), nameof(PromptColumnName), "must name the input column holding the prompts");
        Require(!string.IsNullOrWhiteSpace(OutputColumnName), nameof(OutputColumnName), "must name the output column");
        ValidateModel();
        Require(RewardModels.Count > 0, nameof(RewardModels), "needs at least one reward model");
        Require(SamplesPerPrompt >= 2, nameof(SamplesPerPrompt), $"is {SamplesPerPrompt}; at least 2 {SampleNoun} per prompt are needed for a group baseline");
        Require(PromptsPerIteration >= 1, nameof(PromptsPerIteration), $"is {PromptsPerIteration}; expected at least 1");
        Require(Iterations >= 1, nameof(Iterations), $"is {Iterations}; expected at least 1");
        Require(UpdatesPerIteration >= 1, nameof(UpdatesPerIteration), $"is {UpdatesPerIteration}; expected at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"is {LearningRate}; expected a positive number");
        Require(WarmupIterations >= 0, nameof(WarmupIterations), $"is {WarmupIterations}; expected zero or positive");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"is {WeightDecay}; expected zero or positive");
        Require(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), $"is {GradientClipNorm}; expected zero (off) or positive");
        Require(MinAdvantage <= 0 && double.IsFinite(MinAdvantage), nameof(MinAdvantage), $"is {MinAdvantage}; expected at most 0");
        Require(MaxAdvantage >= 0 && double.IsFinite(MaxAdvantage), nameof(MaxAdvantage), $"is {MaxAdvantage}; expected at least 0");
        Require(Beta0 >= 0 && double.IsFinite(Beta0), nameof(Beta0), $"is {Beta0}; expected zero or positive");
        Require(!NeedsBeta0AboveMaxAdvantage || Beta0 >= MaxAdvantage, nameof(Beta0), $"is {Beta0}; with ADRPO's coefficient it must be at least MaxAdvantage ({MaxAdvantage}) so beta0 - A never turns negative");
        Require(LoraRank >= 0, nameof(LoraRank), $"is {LoraRank}; expected 0 (full fine-tuning) or a positive rank");
        Require(LoraAlpha > 0 && double.IsFinite(LoraAlpha), nameof(LoraAlpha), $"is {LoraAlpha}; expected a positive number");
        Require(LoraDropout >= 0 && LoraDropout < 1, nameof(LoraDropout), $"is {LoraDropout}; expected a probability in [0, 1)");
        Require(LoraTargetModules.All(t => !string.IsNullOrWhiteSpace(t)), nameof(LoraTargetModules), "holds a blank name; expected module names such as \"q_proj\", or an empty list for the model's defaults");
        Require(GenerationBatchSize >= 1, nameof(GenerationBatchSize), $"is {GenerationBatchSize}; expected at least 1");
        Require(CheckpointInterval >= 1, nameof(CheckpointInterval), $"is {CheckpointInterval}; expected at least 1 iteration");
        Require(CheckpointPath is null || !string.IsNullOrWhiteSpace(CheckpointPath), nameof(CheckpointPath), "is blank; expected a file path or null (no checkpoints)");
        Require(CheckpointPath is null || !Directory.Exists(CheckpointPath), nameof(CheckpointPath), $"is the folder '{CheckpointPath}'; expected a file path such as '{Path.Combine(CheckpointPath ?? ".", "checkpoint.safetensors")}'");
        Require(ComputeThreads >= 0, nameof(ComputeThreads), $"is {ComputeThreads}; expected 0 (automatic) or a positive number of threads");
        Require(MaxConsecutiveSkippedSteps >= 1, nameof(MaxConsecutiveSkippedSteps), $"is {MaxConsecutiveSkippedSteps}; expected at least 1");
        Require(Enum.IsDefined(AdvantageScaling), nameof(AdvantageScaling), $"is {AdvantageScaling}; expected one of {string.Join(", ", Enum.GetNames<AdvantageScaling>())}");
        Require(Enum.IsDefined(Schedule), nameof(Schedule), $"is {Schedule}; expected one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}");
        Require(MetricsCsvPath is null || (!string.IsNullOrWhiteSpace(MetricsCsvPath) && !Directory.Exists(MetricsCsvPath)), nameof(MetricsCsvPath), $"is '{MetricsCsvPath}'; expected null or the path of a CSV file (not a folder)");
        Require(EvaluationInterval >= 1, nameof(EvaluationInterval), $"is {EvaluationInterval}; expected at least 1 iteration");
        Require(EvaluationSamplesPerPrompt >= 1, nameof(EvaluationSamplesPerPrompt), $"is {EvaluationSamplesPerPrompt}; expected at least 1");
        Require(EvaluationSamplesFolder is null || (!string.IsNullOrWhiteSpace(EvaluationSamplesFolder) && !File.Exists(EvaluationSamplesFolder)), nameof(EvaluationSamplesFolder), $"is '{EvaluationSamplesFolder}'; expected null or a folder path (not a file)");
        Require(MaxDivergence > 0 && !double.IsNaN(MaxDivergence), nameof(MaxDivergence), $"is {MaxDivergence}; expected a positive bound, or +infinity (off)");
        Require(!StopOnRewardHacking || EvaluationData is not null || double.IsFinite(MaxDivergence), nameof(StopOnRewardHacking), "is true, but there is nothing to guard: set EvaluationData (held-out reward) or a finite MaxDivergence");
        ValidateTrackOptions();
    }

    /// <summary>The column the reward models read the generated samples from (the output column, typed for the track).</summary>
    internal abstract RewardSampleColumn SampleColumn { get; }

    /// <summary>The run's first log line.</summary>
    internal abstract string DescribeRun(int prompts, int seed);

    /// <summary>The log line of one iteration's metrics.</summary>
    internal abstract string DescribeIteration(TMetrics metrics);

    /// <summary>Builds the track's training loop (sampling, scoring, loss step); <see cref="TrainerCore{TOptions, TMetrics}"/> disposes it when Fit ends.</summary>
    internal abstract Checkpoints.IResumableTrainingLoop<TMetrics> CreateLoop(LoopInputs run);

    /// <summary>What the divergence of <see cref="MaxDivergence"/> is called in messages ("KL", "W2").</summary>
    internal abstract string DivergenceName { get; }

    /// <summary>The divergence to the reference that <see cref="MaxDivergence"/> bounds, from one iteration's metrics.</summary>
    internal abstract double DivergenceOf(TMetrics metrics);

    /// <summary>Checks the model parts (required, and compatible with each other); runs before the options that may depend on them.</summary>
    private protected abstract void ValidateModel();

    /// <summary>Checks the options only this trainer has.</summary>
    private protected abstract void ValidateTrackOptions();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> "Option {option} {problem}." unless <paramref name="condition"/> holds.</summary>
    private protected static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(option, $"Option {option} {problem}.");
        }
    }
}
