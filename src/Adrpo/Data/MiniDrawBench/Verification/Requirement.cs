namespace Adrpo.Data.MiniDrawBench.Verification;

/// <summary>One thing a prompt asks of an image, and whether the image does it.</summary>
/// <param name="Description">What is asked, e.g. "exactly 2 objects", "a circle", "red", "exactly 1 red circle", "red circle left of blue square".</param>
/// <param name="Met">Whether the detected objects satisfy it.</param>
internal sealed record Requirement(string Description, bool Met);
