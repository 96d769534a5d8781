namespace Adrpo.Reproduction.Runs;

/// <summary>One training run of the study: a task, a method and a seed. Each runs in its own worker process.</summary>
/// <param name="Task"><see cref="FlowTask"/> or <see cref="LanguageTask"/>.</param>
/// <param name="Method">The method's display name (e.g. "ADRPO", "ORW-CFM-W2", "GRPO").</param>
/// <param name="Seed">Training seed.</param>
internal sealed record RunSpec(string Task, string Method, int Seed)
{
    public const string FlowTask = "text-to-image";
    public const string LanguageTask = "language-model";

    /// <summary>
    /// The method name of a run that only evaluates the pre-trained model (iteration 0). Every method of a seed starts
    /// from that same model and is evaluated on the same draws, so it is measured once per task and seed.
    /// </summary>
    public const string PreTrained = "pre-trained";

    public bool IsPreTrained => Method == PreTrained;

    /// <summary>File name stem, e.g. "text-to-image-ORW-CFM-W2-seed2".</summary>
    public string Name => $"{Task}-{Method.Replace(' ', '_')}-seed{Seed}";

    /// <summary>Every run of a profile, interleaving the tasks so two workers share the load evenly.</summary>
    public static IReadOnlyList<RunSpec> All(ReproductionProfile profile, IReadOnlyCollection<string> tasks)
    {
        var flow = tasks.Contains(FlowTask)
            ? profile.Seeds.SelectMany(seed => FlowMatching.FlowMethods.Names.Prepend(PreTrained).Select(m => new RunSpec(FlowTask, m, seed))).ToList()
            : new List<RunSpec>();
        var language = tasks.Contains(LanguageTask)
            ? profile.Seeds.SelectMany(seed => Language.LanguageMethods.Names.Prepend(PreTrained).Select(m => new RunSpec(LanguageTask, m, seed))).ToList()
            : new List<RunSpec>();

        // Longest first (flow runs cost more), language runs spread between them.
        var order = new List<RunSpec>();
        int every = language.Count == 0 ? int.MaxValue : Math.Max(1, flow.Count / language.Count);
        for (int i = 0, l = 0; i < flow.Count || l < language.Count; i++)
        {
            if (i < flow.Count)
            {
                order.Add(flow[i]);
            }

            if (l < language.Count && (i % every == every - 1 || i >= flow.Count))
            {
                order.Add(language[l++]);
            }
        }

        return order;
    }
}
