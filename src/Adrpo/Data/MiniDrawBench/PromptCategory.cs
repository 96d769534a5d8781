namespace Adrpo.Data.MiniDrawBench;

/// <summary>What a prompt tests, after the DrawBench categories of the ADRPO paper.</summary>
public enum PromptCategory
{
    /// <summary>Two objects whose colours must bind to the right shapes: "a red circle and a blue square".</summary>
    ColorBinding,

    /// <summary>One object repeated 1 to 4 times: "three green triangles".</summary>
    Counting,

    /// <summary>Two objects in a given arrangement: "a yellow star left of a red square".</summary>
    Spatial,
}
