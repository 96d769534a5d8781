using Adrpo.Training;

namespace Adrpo.Reproduction.FlowMatching;

/// <summary>The text-to-image methods of the paper's Table 1, by the names the report uses.</summary>
internal static class FlowMethods
{
    private static readonly (string Name, FineTuningMethod Method)[] All =
    [
        ("ADRPO", FineTuningMethod.Adrpo),
        ("ORW-CFM-W2", FineTuningMethod.OrwCfmW2),
        ("RAFT", FineTuningMethod.Raft),
        ("DPO", FineTuningMethod.Dpo),
    ];

    public static IEnumerable<string> Names => All.Select(m => m.Name);

    public static FineTuningMethod Parse(string name) =>
        All.FirstOrDefault(m => m.Name == name) is { Name: not null } found
            ? found.Method
            : throw new ArgumentException($"Text-to-image method '{name}' is unknown; expected one of {string.Join(", ", Names)}.", nameof(name));
}
