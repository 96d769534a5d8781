using System.Text.Json.Serialization;
using Adrpo.Training.Language;

namespace Adrpo.Generation;

/// <summary>How a <see cref="CausalLanguageModelTransformer"/> generates; saved as <c>adrpo_generation.json</c>.</summary>
public sealed record LanguageGenerationSettings
{
    /// <summary>Input column holding the prompts (String). Default "Prompt".</summary>
    [JsonPropertyName("prompt_column")]
    public string PromptColumnName { get; init; } = "Prompt";

    /// <summary>Output column of the completions (String, special tokens removed). Default "Completion".</summary>
    [JsonPropertyName("output_column")]
    public string OutputColumnName { get; init; } = "Completion";

    /// <summary>Wrap prompts in the tokenizer's ChatML template when it has one. Default true.</summary>
    [JsonPropertyName("use_chat_template")]
    public bool UseChatTemplate { get; init; } = true;

    /// <summary>Qwen3's thinking switch for the chat template. Default false (short answers).</summary>
    [JsonPropertyName("enable_thinking")]
    public bool EnableThinking { get; init; }

    /// <summary>Most tokens generated per completion (EOS included), at least 1. Default 32.</summary>
    [JsonPropertyName("max_new_tokens")]
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>
    /// Longest prompt accepted, in tokens after templating; longer prompts are an error, not truncated. Default 0 =
    /// automatic: the model's context (<c>max_position_embeddings</c>) minus <see cref="MaxNewTokens"/>, at least 1.
    /// </summary>
    [JsonPropertyName("max_prompt_tokens")]
    public int MaxPromptTokens { get; init; }

    /// <summary>Sampling temperature (0 = greedy). Default 1.</summary>
    [JsonPropertyName("temperature")]
    public double Temperature { get; init; } = 1.0;

    /// <summary>Top-k filter: sample among the k most likely tokens (0 = off). Default 0.</summary>
    [JsonPropertyName("top_k")]
    public int TopK { get; init; }

    /// <summary>Nucleus (top-p) filter, a probability in (0, 1] (1 = off). Default 1.</summary>
    [JsonPropertyName("top_p")]
    public double TopP { get; init; } = 1.0;

    /// <summary>Rows (prompts) generated per batch. Default 8.</summary>
    [JsonPropertyName("batch_size")]
    public int BatchSize { get; init; } = 8;

    /// <summary>Seed; each batch's sampler is seeded from it and the batch's first row, so output is reproducible. Default 0.</summary>
    [JsonPropertyName("seed")]
    public int Seed { get; init; }

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
        Require(!string.IsNullOrWhiteSpace(OutputColumnName), "output_column", $"is '{OutputColumnName}'; expected the name of the completion column");
        Require(MaxNewTokens >= 1, "max_new_tokens", $"is {MaxNewTokens}; expected at least 1");
        Require(MaxPromptTokens >= 0, "max_prompt_tokens", $"is {MaxPromptTokens}; expected 0 (automatic: the context left after max_new_tokens) or at least 1");
        Require(Temperature >= 0 && double.IsFinite(Temperature), "temperature", $"is {Temperature}; expected zero (greedy) or a positive finite number");
        Require(TopK >= 0, "top_k", $"is {TopK}; expected zero (off) or positive");
        Require(TopP > 0 && TopP <= 1, "top_p", $"is {TopP}; expected a value in (0, 1]");
        Require(BatchSize >= 1, "batch_size", $"is {BatchSize}; expected at least 1");
        Require(ComputeThreads >= 0, "compute_threads", $"is {ComputeThreads}; expected 0 (automatic) or a positive number of threads");
    }

    /// <summary><see cref="MaxPromptTokens"/>, or for 0 what a context of <paramref name="contextLength"/> positions leaves after <see cref="MaxNewTokens"/> (at least 1).</summary>
    internal int ResolvedMaxPromptTokens(long contextLength) =>
        MaxPromptTokens > 0 ? MaxPromptTokens : (int)Math.Max(1, Math.Min(int.MaxValue, contextLength - MaxNewTokens));

    private static void Require(bool condition, string field, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Generation setting '{field}' {problem}.", field);
        }
    }

    internal static LanguageGenerationSettings From(AdrpoGrpoTrainer.Options o, int seed) => new()
    {
        PromptColumnName = o.PromptColumnName,
        OutputColumnName = o.OutputColumnName,
        UseChatTemplate = o.UseChatTemplate,
        EnableThinking = o.EnableThinking,
        MaxNewTokens = o.MaxNewTokens,
        MaxPromptTokens = o.MaxPromptTokens,
        Temperature = o.Temperature,
        TopK = o.TopK,
        TopP = o.TopP,
        BatchSize = o.GenerationBatchSize,
        Seed = seed,
        ComputeThreads = o.ComputeThreads,
    };
}
