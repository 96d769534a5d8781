namespace Adrpo.Data.MiniDrawBench.Verification;

/// <summary>How far an image shows what a prompt's scene asks: each requirement, and the GenEval categories the prompt counts in.</summary>
/// <param name="Requirements">Every requirement of the scene (see <see cref="SceneVerifier"/>), in a fixed order.</param>
/// <param name="Categories">The GenEval categories the prompt is scored in, with whether the image passes each.</param>
internal sealed record SceneVerdict(IReadOnlyList<Requirement> Requirements, IReadOnlyList<(GenEvalCategory Category, bool Passed)> Categories)
{
    /// <summary>Whether every requirement is met: the image shows exactly the scene (GenEval's binary per-prompt verdict).</summary>
    public bool Correct => Requirements.All(r => r.Met);

    /// <summary>Partial credit in [0, 1]: the share of requirements met (1 exactly when <see cref="Correct"/>).</summary>
    public double Score => Requirements.Count(r => r.Met) / (double)Requirements.Count;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Score:F2}: " + string.Join(", ", Requirements.Select(r => (r.Met ? "+" : "-") + r.Description));
}
