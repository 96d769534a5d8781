namespace Adrpo.Rewards;

// Row types behind the scorer's IDataView. The column names and the vector shape come from the scorer's
// SchemaDefinition, not from these member names, so users choose the names their transformers expect.

/// <summary>A prompt and a text completion.</summary>
internal sealed class TextRewardRow
{
    public string Prompt { get; set; } = string.Empty;

    public string Sample { get; set; } = string.Empty;
}

/// <summary>A prompt and a float32 sample (row-major).</summary>
internal sealed class VectorRewardRow
{
    public string Prompt { get; set; } = string.Empty;

    public float[] Sample { get; set; } = Array.Empty<float>();
}
