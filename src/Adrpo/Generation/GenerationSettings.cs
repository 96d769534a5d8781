using System.Text.Json.Serialization;
using Adrpo.Sampling;
using Adrpo.Training.FlowMatching;

namespace Adrpo.Generation;

/// <summary>How a <see cref="FlowMatchingGeneratorTransformer"/> generates; saved as <c>generation_config.json</c>.</summary>
public sealed record GenerationSettings
{
    /// <summary>Input column holding the prompts (String). Default "Prompt".</summary>
    [JsonPropertyName("prompt_column")]
    public string PromptColumnName { get; init; } = "Prompt";

    /// <summary>Output column of the generated sample (sample 0 when <see cref="SamplesPerPrompt"/> &gt; 1), a Single vector [C, H, W] with pixels in [-1, 1]. Default "Image".</summary>
    [JsonPropertyName("output_column")]
    public string OutputColumnName { get; init; } = "Image";

    /// <summary>ODE solver. Default <see cref="OdeSolver.Euler"/>.</summary>
    [JsonPropertyName("solver")]
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public OdeSolver Solver { get; init; } = OdeSolver.Euler;

    /// <summary>ODE steps from noise (t = 0) to sample (t = 1), equally spaced; Heun evaluates the model twice per step. Default 20.</summary>
    [JsonPropertyName("ode_steps")]
    public int OdeSteps { get; init; } = 20;

    /// <summary>Classifier-free guidance scale (1 = none; an unconditional pass uses a zero condition). Default 1.</summary>
    [JsonPropertyName("guidance_scale")]
    public double GuidanceScale { get; init; } = 1.0;

    /// <summary>
    /// Samples generated per forward pass (at least 1). With one sample per prompt this is the number of rows per
    /// batch; with <see cref="SamplesPerPrompt"/> = N, a batch holds max(1, BatchSize / N) prompts, and a prompt's
    /// N samples are split over several passes when N exceeds BatchSize. The batch size never changes the samples.
    /// Default 16.
    /// </summary>
    /// <remarks>Checked (at least 1) when a transformer is built or loaded.</remarks>
    [JsonPropertyName("batch_size")]
    public int BatchSize { get; init; } = 16;

    /// <summary>Seed of the starting noise; row i of every Transform uses the same noise, so output is reproducible. Default 0.</summary>
    [JsonPropertyName("seed")]
    public int Seed { get; init; }

    /// <summary>
    /// Samples generated per prompt (input row), N; at least 1, default 1. Sample j of row i starts from the
    /// (j + 1)-th noise draw of row i's own random stream (seeded by <see cref="Seed"/> and i), so it depends only
    /// on (seed, i, j): not on the batch size, the cursor, or N itself. Sample 0 is therefore the sample a
    /// one-sample generator produces for the row, and the first M samples of an N-sample generator are those of an
    /// M-sample one.
    /// </summary>
    /// <remarks>
    /// The row count never changes. <see cref="OutputColumnName"/> always holds sample 0 as a [C, H, W] vector, so
    /// reward models and other consumers of one image per row work for any N; when N &gt; 1 the transformer also
    /// adds <see cref="SamplesColumnName"/>, a [N, C, H, W] vector holding all N samples (sample j at offset
    /// j * C * H * W). Files saved before this setting existed load with N = 1. A fine-tuned transformer
    /// <c>t</c> generates N samples as
    /// <c>new FlowMatchingGeneratorTransformer(t.Generator, t.TextEncoder, t.Settings with { SamplesPerPrompt = N })</c>.
    /// Checked (at least 1) when a transformer is built or loaded.
    /// </remarks>
    [JsonPropertyName("samples_per_prompt")]
    public int SamplesPerPrompt { get; init; } = 1;

    /// <summary>
    /// Output column of all samples of a row, a Single vector with dimensions [N, C, H, W]; added only when
    /// <see cref="SamplesPerPrompt"/> is above 1, and then it must differ from <see cref="OutputColumnName"/>.
    /// Default "Images".
    /// </summary>
    [JsonPropertyName("samples_column")]
    public string SamplesColumnName { get; init; } = "Images";

    /// <summary>
    /// libtorch intra-op threads while a batch is generated (process-wide; set for the batch and put back after it).
    /// Default 0 = automatic: half the processors, at least one. Files saved before this setting existed load with 0.
    /// </summary>
    [JsonPropertyName("compute_threads")]
    public int ComputeThreads { get; init; }

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
        Require(SamplesPerPrompt >= 1, "samples_per_prompt", $"is {SamplesPerPrompt}; expected at least 1");
        Require(ComputeThreads >= 0, "compute_threads", $"is {ComputeThreads}; expected 0 (automatic) or a positive number of threads");
        Require(SamplesPerPrompt == 1 || (!string.IsNullOrWhiteSpace(SamplesColumnName) && SamplesColumnName != OutputColumnName), "samples_column", $"is '{SamplesColumnName}'; expected a column name other than output_column ('{OutputColumnName}')");
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
        SamplesPerPrompt = options.GenerationSamplesPerPrompt,
        SamplesColumnName = options.GenerationSamplesColumnName,
        ComputeThreads = options.ComputeThreads,
    };
}
