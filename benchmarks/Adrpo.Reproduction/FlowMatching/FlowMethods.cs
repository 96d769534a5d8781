using Adrpo.Training;

namespace Adrpo.Reproduction.FlowMatching;

/// <summary>The text-to-image methods of the paper's Table 1, plus Flow-GRPO, by the names the reports use.</summary>
internal static class FlowMethods
{
    private static readonly (string Name, FineTuningMethod Method)[] All =
    [
        ("ADRPO", FineTuningMethod.Adrpo),
        ("Flow-GRPO", FineTuningMethod.FlowGrpo),
        ("ORW-CFM-W2", FineTuningMethod.OrwCfmW2),
        ("RAFT", FineTuningMethod.Raft),
        ("DPO", FineTuningMethod.Dpo),
    ];

    /// <summary>
    /// The match-score study's methods (the paper's Table 1). Its committed results predate Flow-GRPO, which the
    /// MiniGenEval study (<see cref="GenEval.GenEvalStudy"/>) compares instead.
    /// </summary>
    public static IEnumerable<string> Names => All.Where(m => m.Method != FineTuningMethod.FlowGrpo).Select(m => m.Name);

    /// <summary>Every method, Flow-GRPO included: the MiniGenEval study's.</summary>
    public static IEnumerable<string> AllNames => All.Select(m => m.Name);

    public static FineTuningMethod Parse(string name) =>
        All.FirstOrDefault(m => m.Name == name) is { Name: not null } found
            ? found.Method
            : throw new ArgumentException($"Text-to-image method '{name}' is unknown; expected one of {string.Join(", ", AllNames)}.", nameof(name));
}
