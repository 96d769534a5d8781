namespace Adrpo.Rewards;

// Row types of the CustomMapping behind RewardModel.FromFunction / FromImageFunction. ML.NET binds CustomMapping
// members by name, so the member names are the columns the reward reads (Prompt and Completion, or Prompt and Image) and
// writes (Score): the trainers' default column names.

/// <summary>A prompt and a text completion, as the language-model trainer's reward view holds them.</summary>
internal sealed class PromptCompletionRow
{
    public string Prompt { get; set; } = string.Empty;

    public string Completion { get; set; } = string.Empty;
}

/// <summary>A prompt and an image (row-major CHW values), as the flow-matching trainer's reward view holds them.</summary>
internal sealed class PromptImageRow
{
    public string Prompt { get; set; } = string.Empty;

    /// <summary>No VectorType attribute: a variable-size vector, so images of any shape bind.</summary>
    public float[] Image { get; set; } = Array.Empty<float>();
}

/// <summary>The score a function reward writes.</summary>
internal sealed class FunctionScoreRow
{
    public float Score { get; set; }
}
