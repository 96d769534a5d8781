using Adrpo.Generation;
using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace Adrpo.Training.FlowMatching;

/// <summary>
/// Online RL fine-tuning of a conditional flow-matching generator (ADRPO's Algorithm 1) as an ML.NET estimator:
/// <c>Fit</c> reads the prompts of its input, fine-tunes <see cref="Options.Generator"/> against the reward models
/// and returns a <see cref="FlowMatchingGeneratorTransformer"/> that adds a generated sample column.
/// Baselines (ORW-CFM-W2, RAFT, DPO) run in the same loop with the same budget; see <see cref="FineTuningMethod"/>.
/// </summary>
/// <remarks>The data flow of one iteration (prompts, samples, rewards, advantages, coefficients, loss, step) reads top
/// to bottom in <c>FlowMatchingTrainingLoop.RunIteration</c>; the Fit path it shares with the language-model trainer
/// is <c>TrainerCore</c>.</remarks>
public sealed partial class AdrpoFlowMatchingTrainer : IEstimator<FlowMatchingGeneratorTransformer>
{
    private readonly TrainerCore<Options, FlowMatchingIterationMetrics> _core;

    /// <summary>Creates the trainer; prefer <c>mlContext.FineTuning().AdrpoFlowMatching(options)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid (the message names it).</exception>
    public AdrpoFlowMatchingTrainer(MLContext context, Options options) => _core = new(context, options, nameof(AdrpoFlowMatchingTrainer));

    /// <summary>Metrics of the last <see cref="Fit"/>, one row per iteration (also written to <see cref="FineTuningOptions{TMetrics}.MetricsCsvPath"/>).</summary>
    public DataFrame? Metrics => _core.Metrics;

    /// <summary>Fine-tunes the generator on the prompts of <paramref name="input"/>.</summary>
    public FlowMatchingGeneratorTransformer Fit(IDataView input)
    {
        var options = _core.Options;
        return _core.Fit(input, (seed, device) =>
        {
            options.Generator!.SetTraining(false);
            return new FlowMatchingGeneratorTransformer(options.Generator, options.TextEncoder!, GenerationSettings.From(options, seed), device.Device);
        });
    }

    /// <summary>The input schema plus the generated sample column (a Single vector), and the column of several samples per prompt when <see cref="Options.GenerationSamplesPerPrompt"/> is above 1.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var options = _core.Options;
        var sample = SchemaShapeColumns.Vector(_core.Context, options.OutputColumnName, options.Generator!.SampleShape);
        return options.GenerationSamplesPerPrompt > 1
            ? _core.OutputSchema(inputSchema, sample, SchemaShapeColumns.Vector(_core.Context, options.GenerationSamplesColumnName, options.Generator.SampleShape.Prepend(options.GenerationSamplesPerPrompt).ToArray()))
            : _core.OutputSchema(inputSchema, sample);
    }
}
