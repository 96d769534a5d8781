using Adrpo.Generation;
using Adrpo.Models;
using Adrpo.Native;
using Adrpo.Rewards;
using Adrpo.Training.Checkpoints;
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

    /// <summary>Metrics of the last <see cref="Fit"/>, one row per iteration (also written to <see cref="Options.MetricsCsvPath"/>).</summary>
    public DataFrame? Metrics { get; private set; }

    /// <summary>Fine-tunes the generator on the prompts of <paramref name="input"/>.</summary>
    public FlowMatchingGeneratorTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var threads = ComputeThreadScope.Enter(_options.ComputeThreads);   // put back when Fit returns or throws
        var prompts = PromptReader.ReadDistinct(input, _options.PromptColumnName);
        var sampleColumn = RewardSampleColumn.Vector(_options.OutputColumnName, _options.Generator!.SampleShape.Select(d => (int)d).ToArray());
        var rewards = new RewardScorer(_context, _options.RewardModels, sampleColumn, _options.PromptColumnName);
        rewards.ValidateSchema();

        int seed = _options.Seed ?? _host.Rand.Next();
        using var channel = _host.Start("Fit");
        using var progress = new OrderedProgress<FlowMatchingIterationMetrics>(_options.Progress, message => channel.Warning(MessageSensitivity.None, message));
        Log(channel, $"ADRPO flow matching: {_options.Method}, {prompts.Count} prompts, {_options.Iterations} iterations x {_options.PromptsPerIteration} prompts x {_options.SamplesPerPrompt} samples, seed {seed}.");

        var device = TrainingDevice.Select(_context);   // the one choice of device for the run and the returned transformer
        var loop = new FlowMatchingTrainingLoop(_options, prompts, rewards, seed, device, message => channel.Warning(MessageSensitivity.None, message));
        CheckpointedTraining.Run(
            loop,
            _options.Iterations,
            new CheckpointSettings(_options.CheckpointPath, _options.CheckpointInterval, _options.ResumeFromCheckpoint),
            _options.CancellationToken,
            message => Log(channel, message),
            metrics =>
            {
                Log(channel, $"iteration {metrics.Iteration}/{_options.Iterations}: reward {metrics.RewardMean:F4} (+-{metrics.RewardStd:F4}), beta {metrics.BetaMean:F3} [{metrics.BetaMin:F3}, {metrics.BetaMax:F3}], W2 {metrics.W2:F5}, diversity {metrics.Diversity:F3}, loss {metrics.Loss:F5}{(metrics.SkippedSteps > 0 ? $", {metrics.SkippedSteps} non-finite step(s) skipped" : string.Empty)}");
                progress.Report(metrics);
                if (_options.MetricsCsvPath is not null)
                {
                    MetricsTable.WriteCsv(MetricsTable.ToDataFrame(loop.Metrics), _options.MetricsCsvPath);
                }
            });

        Metrics = MetricsTable.ToDataFrame(loop.Metrics);
        _options.Generator.SetTraining(false);
        return new FlowMatchingGeneratorTransformer(_options.Generator, _options.TextEncoder!, GenerationSettings.From(_options, seed), device.Device);
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

    private static void Log(IChannel channel, string message) =>
        channel.Info(MessageSensitivity.None, message);
}
