using Adrpo.Generation;
using Adrpo.Models;
using Adrpo.Native;
using Adrpo.Rewards;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Adrpo.Training.FlowMatching;

/// <summary>
/// Online RL fine-tuning of a conditional flow-matching generator (ADRPO's Algorithm 1) as an ML.NET estimator:
/// <c>Fit</c> reads the prompts of its input, fine-tunes <see cref="Options.Generator"/> against the reward models
/// and returns a <see cref="FlowMatchingGeneratorTransformer"/> that adds a generated sample column.
/// Baselines (ORW-CFM-W2, RAFT, DPO) run in the same loop with the same budget; see <see cref="FineTuningMethod"/>.
/// </summary>
public sealed partial class AdrpoFlowMatchingTrainer : IEstimator<FlowMatchingGeneratorTransformer>
{
    private readonly MLContext _context;
    private readonly Options _options;
    private readonly IHost _host;

    /// <summary>Creates the trainer; prefer <c>mlContext.FineTuning().AdrpoFlowMatching(options)</c>.</summary>
    public AdrpoFlowMatchingTrainer(MLContext context, Options options)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        TorchRuntime.EnsureAvailable();
        _options.Validate();
        _host = ((IHostEnvironment)context).Register(nameof(AdrpoFlowMatchingTrainer));
    }

    /// <summary>Metrics of the last <see cref="Fit"/>, one row per iteration (also written to <see cref="FineTuningOptions{TMetrics}.MetricsCsvPath"/>).</summary>
    public DataFrame? Metrics { get; private set; }

    /// <summary>Fine-tunes the generator on the prompts of <paramref name="input"/>.</summary>
    public FlowMatchingGeneratorTransformer Fit(IDataView input)
    {
        var (transformer, metrics) = FineTuningRun.Fit(
            _context,
            _host,
            input,
            _options,
            RewardSampleColumn.Vector(_options.OutputColumnName, _options.Generator!.SampleShape.Select(d => (int)d).ToArray()),
            (prompts, seed) => $"ADRPO flow matching: {_options.Method}, {prompts.Count} prompts, {_options.Iterations} iterations x {_options.PromptsPerIteration} prompts x {_options.SamplesPerPrompt} samples, seed {seed}.",
            m => $"iteration {m.Iteration}/{_options.Iterations}: reward {m.RewardMean:F4} (+-{m.RewardStd:F4}), beta {m.BetaMean:F3} [{m.BetaMin:F3}, {m.BetaMax:F3}], W2 {m.W2:F5}, diversity {m.Diversity:F3}, loss {m.Loss:F5}{(m.SkippedSteps > 0 ? $", {m.SkippedSteps} non-finite step(s) skipped" : string.Empty)}",
            run => new FlowMatchingTrainingLoop(_options, run.Prompts, run.Rewards, run.Seed, run.Device, run.Warn),
            (seed, device) =>
            {
                _options.Generator.SetTraining(false);
                return new FlowMatchingGeneratorTransformer(_options.Generator, _options.TextEncoder!, GenerationSettings.From(_options, seed), device.Device);
            });
        Metrics = metrics;
        return transformer;
    }

    /// <summary>The input schema plus the generated sample column (a Single vector).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var prompt = inputSchema.FirstOrDefault(c => c.Name == _options.PromptColumnName);
        if (prompt.Name is null)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_options.PromptColumnName}' (the prompt column) was not found.");
        }

        if (prompt.ItemType is not TextDataViewType || prompt.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_options.PromptColumnName}' must be a String scalar, but is {prompt.ItemType}.");
        }

        var added = new List<SchemaShape.Column> { SchemaShapeColumns.Vector(_context, _options.OutputColumnName, _options.Generator!.SampleShape) };
        if (_options.GenerationSamplesPerPrompt > 1)
        {
            added.Add(SchemaShapeColumns.Vector(_context, _options.GenerationSamplesColumnName, _options.Generator.SampleShape.Prepend(_options.GenerationSamplesPerPrompt).ToArray()));
        }

        return new SchemaShape(inputSchema.Where(c => added.All(a => a.Name != c.Name)).Concat(added));
    }
}
