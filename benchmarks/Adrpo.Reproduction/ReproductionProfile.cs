namespace Adrpo.Reproduction;

/// <summary>
/// How much compute a reproduction run spends. Every method of a task gets the same budget: the same training prompts,
/// iterations, samples per prompt, seeds and evaluation points (the "same compute" rule).
/// </summary>
/// <param name="Name">Profile name, also the default output folder name.</param>
/// <param name="Seeds">Training seeds; each seed also fixes the evaluation noise, shared by all methods of that seed.</param>
/// <param name="FlowIterations">Text-to-image training iterations (each 4 prompts x 8 samples, 4 updates).</param>
/// <param name="FlowEvalInterval">Iterations between held-out evaluations of the text-to-image policies.</param>
/// <param name="FlowEvalPrompts">Held-out prompts per evaluation (of the 100), spread evenly over the held-out list.</param>
/// <param name="FlowEvalSamplesPerPrompt">Samples per held-out prompt; diversity is measured within these groups.</param>
/// <param name="LanguageIterations">Language-model training iterations (each 4 prompts x 8 completions).</param>
/// <param name="LanguageEvalInterval">Iterations between held-out evaluations of the language policies.</param>
/// <param name="LanguageEvalSamplesPerPrompt">Completions per held-out prompt (all 24) at temperature 1.</param>
/// <param name="ExpectedMinutes">Measured wall time of the whole profile on 2 CPU cores with 2 workers (README).</param>
internal sealed record ReproductionProfile(
    string Name,
    int[] Seeds,
    int FlowIterations,
    int FlowEvalInterval,
    int FlowEvalPrompts,
    int FlowEvalSamplesPerPrompt,
    int LanguageIterations,
    int LanguageEvalInterval,
    int LanguageEvalSamplesPerPrompt,
    int ExpectedMinutes)
{
    /// <summary>Within 30 minutes on 2 cores: short runs, the direction of each effect rather than its converged size.</summary>
    public static ReproductionProfile Quick { get; } = new("quick", [1, 2, 3], 40, 10, 32, 3, 30, 10, 2, 30);

    /// <summary>Longer runs and larger evaluations for converged numbers.</summary>
    public static ReproductionProfile Full { get; } = new("full", [1, 2, 3], 100, 20, 64, 4, 60, 10, 4, 50);

    /// <summary>Seconds, not minutes: checks that every piece of the harness runs (CI smoke).</summary>
    public static ReproductionProfile Smoke { get; } = new("smoke", [1, 2], 2, 1, 4, 2, 2, 1, 1, 3);

    public static ReproductionProfile Named(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        "smoke" => Smoke,
        _ => throw new ArgumentException($"Profile '{name}' is unknown; expected quick, full or smoke.", nameof(name)),
    };
}
