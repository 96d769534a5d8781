namespace Adrpo.Reproduction.Language;

/// <summary>The language-model methods of the paper's Figure 4: ADRPO-GRPO (eq. 7) and GRPO with a fixed beta = beta0.</summary>
internal static class LanguageMethods
{
    public const string Adaptive = "ADRPO-GRPO";
    public const string Fixed = "GRPO";

    public static IEnumerable<string> Names => [Adaptive, Fixed];

    /// <summary>True for the adaptive coefficient beta_i = beta0 - clip(A_i), false for GRPO's fixed beta0.</summary>
    public static bool IsAdaptive(string name) => name switch
    {
        Adaptive => true,
        Fixed => false,
        _ => throw new ArgumentException($"Language-model method '{name}' is unknown; expected {Adaptive} or {Fixed}.", nameof(name)),
    };
}
