namespace Adrpo.Data.MiniDrawBench;

/// <summary>One prompt of the miniature DrawBench: its English text and the scene it asks for.</summary>
/// <param name="Text">The prompt, e.g. "a red circle and a blue square", "three green triangles", "a yellow star left of a red square".</param>
/// <param name="Category">What the prompt tests; equal to <see cref="Scene.Category"/> for prompts from <see cref="MiniDrawBench.AllPrompts"/>.</param>
/// <param name="Scene">The exact content an image must show to satisfy the prompt.</param>
public sealed record MiniDrawBenchPrompt(string Text, PromptCategory Category, Scene Scene);
