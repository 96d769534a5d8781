namespace Adrpo.Reproduction.Runs;

/// <summary>A row of the training data view: one prompt.</summary>
internal sealed class PromptRow
{
    public string Prompt { get; set; } = string.Empty;
}
