using System.Text.Json.Serialization;
using Adrpo.Training.Language;

namespace Adrpo.Generation;

/// <summary>How a <see cref="CausalLanguageModelTransformer"/> generates; saved as <c>adrpo_generation.json</c>.</summary>
public sealed record LanguageGenerationSettings
{
    /// <summary>Input column holding the prompts.</summary>
    [JsonPropertyName("prompt_column")]
    public string PromptColumnName { get; init; } = "Prompt";

    /// <summary>Output column of the completions.</summary>
    [JsonPropertyName("output_column")]
    public string OutputColumnName { get; init; } = "Completion";

    /// <summary>Wrap prompts in the tokenizer's ChatML template when it has one.</summary>
    [JsonPropertyName("use_chat_template")]
    public bool UseChatTemplate { get; init; } = true;

    /// <summary>Qwen3's thinking switch.</summary>
    [JsonPropertyName("enable_thinking")]
    public bool EnableThinking { get; init; }

    /// <summary>Maximum completion tokens.</summary>
    [JsonPropertyName("max_new_tokens")]
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Longest prompt accepted (tokens).</summary>
    [JsonPropertyName("max_prompt_tokens")]
    public int MaxPromptTokens { get; init; } = 256;

    /// <summary>Sampling temperature (0 = greedy).</summary>
    [JsonPropertyName("temperature")]
    public double Temperature { get; init; } = 1.0;

    /// <summary>Top-k (0 = off).</summary>
    [JsonPropertyName("top_k")]
    public int TopK { get; init; }

    /// <summary>Top-p (1 = off).</summary>
    [JsonPropertyName("top_p")]
    public double TopP { get; init; } = 1.0;

    /// <summary>Rows generated per batch.</summary>
    [JsonPropertyName("batch_size")]
    public int BatchSize { get; init; } = 8;

    /// <summary>Seed; each batch's sampler is seeded from it and the batch's first row, so output is reproducible.</summary>
    [JsonPropertyName("seed")]
    public int Seed { get; init; }

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
    };
}
