using Adrpo.Generation;
using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace Adrpo.Training.Language;

/// <summary>
/// ADRPO-GRPO (eq. 7) — or GRPO with a fixed KL coefficient (eq. 3) when <see cref="Options.Method"/> is <see cref="GrpoMethod.Grpo"/> —
/// for causal language models as an ML.NET estimator: <c>Fit</c> reads the prompts of its input, fine-tunes
/// <see cref="Options.Model"/> against the reward models and returns a <see cref="CausalLanguageModelTransformer"/>
/// that adds a completion column.
/// </summary>
/// <remarks>The data flow of one iteration (prompts, completions, rewards, advantages, coefficients, loss, step) reads
/// top to bottom in <c>GrpoTrainingLoop.RunIteration</c>; the Fit path it shares with the flow-matching trainer is
/// <c>TrainerCore</c>.</remarks>
public sealed partial class AdrpoGrpoTrainer : IEstimator<CausalLanguageModelTransformer>
{
    private readonly TrainerCore<Options, GrpoIterationMetrics> _core;

    /// <summary>Creates the trainer; prefer <c>mlContext.FineTuning().AdrpoGrpo(options)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid (the message names it).</exception>
    public AdrpoGrpoTrainer(MLContext context, Options options) => _core = new(context, options, nameof(AdrpoGrpoTrainer));

    /// <summary>Metrics of the last <see cref="Fit"/>, one row per iteration.</summary>
    public DataFrame? Metrics => _core.Metrics;

    /// <summary>Fine-tunes the model on the prompts of <paramref name="input"/>.</summary>
    public CausalLanguageModelTransformer Fit(IDataView input)
    {
        var options = _core.Options;
        return _core.Fit(input, (seed, device) =>
        {
            options.Model!.eval();
            return new CausalLanguageModelTransformer(options.Model, options.Tokenizer!, LanguageGenerationSettings.From(options, seed), device.Device);
        });
    }

    /// <summary>The input schema plus the completion column (String).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        _core.OutputSchema(inputSchema, SchemaShapeColumns.Text(_core.Context, _core.Options.OutputColumnName));
}
