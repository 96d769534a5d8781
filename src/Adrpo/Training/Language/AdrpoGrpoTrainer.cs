using Adrpo.Generation;
using Adrpo.Native;
using Adrpo.Rewards;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Adrpo.Training.Language;

/// <summary>
/// ADRPO-GRPO (eq. 7) — or GRPO with a fixed KL coefficient (eq. 3) when <see cref="Options.Method"/> is <see cref="GrpoMethod.Grpo"/> —
/// for causal language models as an ML.NET estimator: <c>Fit</c> reads the prompts of its input, fine-tunes
/// <see cref="Options.Model"/> against the reward models and returns a <see cref="CausalLanguageModelTransformer"/>
/// that adds a completion column.
/// </summary>
public sealed partial class AdrpoGrpoTrainer : IEstimator<CausalLanguageModelTransformer>
{
    private readonly MLContext _context;
    private readonly Options _options;
    private readonly IHost _host;

    /// <summary>Creates the trainer; prefer <c>mlContext.FineTuning().AdrpoGrpo(options)</c>.</summary>
    public AdrpoGrpoTrainer(MLContext context, Options options)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        TorchRuntime.EnsureAvailable();
        _options.Validate();
        _host = ((IHostEnvironment)context).Register(nameof(AdrpoGrpoTrainer));
    }

    /// <summary>Metrics of the last <see cref="Fit"/>, one row per iteration.</summary>
    public DataFrame? Metrics { get; private set; }

    /// <summary>Fine-tunes the model on the prompts of <paramref name="input"/>.</summary>
    public CausalLanguageModelTransformer Fit(IDataView input)
    {
        var (transformer, metrics) = FineTuningRun.Fit(
            _context,
            _host,
            input,
            _options,
            RewardSampleColumn.Text(_options.OutputColumnName),
            (prompts, seed) => $"{(_options.Method == GrpoMethod.Adrpo ? "ADRPO-GRPO" : "GRPO")}: {prompts.Count} prompts, {_options.Iterations} iterations x {_options.PromptsPerIteration} prompts x {_options.SamplesPerPrompt} completions, seed {seed}.",
            m => $"iteration {m.Iteration}/{_options.Iterations}: reward {m.RewardMean:F4} (+-{m.RewardStd:F4}), KL {m.Kl:F5}, beta {m.BetaMean:F4} [{m.BetaMin:F4}, {m.BetaMax:F4}], entropy {m.Entropy:F3}, length {m.CompletionLength:F1}, {m.TokensPerSecond:F0} tokens/s{(m.SkippedSteps > 0 ? $", {m.SkippedSteps} non-finite step(s) skipped" : string.Empty)}",
            run => new GrpoTrainingLoop(_options, run.Prompts, run.Rewards, run.Seed, run.Device, run.Warn),
            (seed, device) =>
            {
                _options.Model!.eval();
                return new CausalLanguageModelTransformer(_options.Model, _options.Tokenizer!, LanguageGenerationSettings.From(_options, seed), device.Device);
            });
        Metrics = metrics;
        return transformer;
    }

    /// <summary>The input schema plus the completion column (String).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var prompt = inputSchema.FirstOrDefault(c => c.Name == _options.PromptColumnName);
        if (prompt.Name is null || prompt.ItemType is not TextDataViewType || prompt.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_options.PromptColumnName}' must exist and be a String scalar.");
        }

        var added = SchemaShapeColumns.Text(_context, _options.OutputColumnName);
        return new SchemaShape(inputSchema.Where(c => c.Name != _options.OutputColumnName).Append(added));
    }
}
