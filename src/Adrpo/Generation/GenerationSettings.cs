using System.Text.Json.Serialization;
using Adrpo.Sampling;
using Adrpo.Training.FlowMatching;

namespace Adrpo.Generation;

/// <summary>How a <see cref="FlowMatchingGeneratorTransformer"/> generates; saved as <c>generation_config.json</c>.</summary>
public sealed record GenerationSettings
{
    /// <summary>Input column holding the prompts.</summary>
    [JsonPropertyName("prompt_column")]
    public string PromptColumnName { get; init; } = "Prompt";

    /// <summary>Output column of the generated samples.</summary>
    [JsonPropertyName("output_column")]
    public string OutputColumnName { get; init; } = "Image";

    /// <summary>ODE solver.</summary>
    [JsonPropertyName("solver")]
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public OdeSolver Solver { get; init; } = OdeSolver.Euler;

    /// <summary>ODE steps.</summary>
    [JsonPropertyName("ode_steps")]
    public int OdeSteps { get; init; } = 20;

    /// <summary>Classifier-free guidance scale (1 = none).</summary>
    [JsonPropertyName("guidance_scale")]
    public double GuidanceScale { get; init; } = 1.0;

    /// <summary>Rows generated per batch.</summary>
    [JsonPropertyName("batch_size")]
    public int BatchSize { get; init; } = 16;

    /// <summary>Seed of the starting noise; row i of every Transform uses the same noise, so output is reproducible.</summary>
    [JsonPropertyName("seed")]
    public int Seed { get; init; }

    /// <summary>Checks every field; the exception's parameter name is the field's JSON key.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it and what is expected.</exception>
    internal void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(PromptColumnName), "prompt_column", $"is '{PromptColumnName}'; expected the name of the input column holding the prompts");
        Require(!string.IsNullOrWhiteSpace(OutputColumnName), "output_column", $"is '{OutputColumnName}'; expected the name of the generated column");
        Require(Enum.IsDefined(Solver), "solver", $"is {Solver}; expected one of {string.Join(", ", Enum.GetNames<OdeSolver>())}");
        Require(OdeSteps >= 1, "ode_steps", $"is {OdeSteps}; expected at least 1");
        Require(GuidanceScale >= 0 && double.IsFinite(GuidanceScale), "guidance_scale", $"is {GuidanceScale}; expected zero or a positive finite number (1 = no guidance)");
        Require(BatchSize >= 1, "batch_size", $"is {BatchSize}; expected at least 1");
    }

    private static void Require(bool condition, string field, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Generation setting '{field}' {problem}.", field);
        }
    }

    internal static GenerationSettings From(AdrpoFlowMatchingTrainer.Options options, int seed) => new()
    {
        PromptColumnName = options.PromptColumnName,
        OutputColumnName = options.OutputColumnName,
        Solver = options.Solver,
        OdeSteps = options.OdeSteps,
        GuidanceScale = options.GuidanceScale,
        BatchSize = options.GenerationBatchSize,
        Seed = seed,
    };
}
