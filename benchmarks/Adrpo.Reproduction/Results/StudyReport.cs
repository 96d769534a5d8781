using System.Text;
using Adrpo.Reproduction.FlowMatching;
using Adrpo.Reproduction.Language;
using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.Results;

/// <summary>
/// The Markdown summary: Table 1 and Figure 4 in miniature (final values, mean ± standard error over seeds), reward
/// per evaluation, and each of the paper's claims tested by a paired t-test over seeds, with its verdict.
/// </summary>
internal static class StudyReport
{
    public static string Build(StudyData data, ReproductionProfile profile, string command, (int Invocations, double WallSeconds, int RunsExecuted) time, IReadOnlyList<string> machine, IReadOnlyList<string> charts)
    {
        var md = new StringBuilder();
        md.AppendLine($"# ADRPO reproduction in miniature: profile `{profile.Name}`");
        md.AppendLine();
        md.AppendLine($"Command: `{command}`  ");
        md.AppendLine($"Report written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; seeds {string.Join(", ", profile.Seeds)}; wall time {time.WallSeconds / 60:F1} min over {time.Invocations} invocation(s) of the command, which executed {time.RunsExecuted} runs (a rerun reuses finished runs and only rewrites this report; `runs/invocations.csv`).  ");
        foreach (string line in machine)
        {
            md.AppendLine($"{line}  ");
        }

        md.AppendLine();
        md.AppendLine("Values are mean ± standard error over seeds. A seed fixes the training randomness and the evaluation noise, which every method of that seed shares, so claims are tested on per-seed (paired) differences with Student's t. Every evaluation point is in `evaluation-points.csv`; each run's log is in `logs/`.");
        AppendFlow(md, data, profile);
        AppendLanguage(md, data, profile);
        if (charts.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Pictures");
            md.AppendLine();
            foreach (string chart in charts)
            {
                md.AppendLine($"![{Path.GetFileNameWithoutExtension(chart)}]({Path.GetFileName(chart)})");
            }
        }

        return md.ToString();
    }

    private static void AppendFlow(StringBuilder md, StudyData data, ReproductionProfile profile)
    {
        string task = RunSpec.FlowTask;
        var methods = data.Methods(task, FlowMethods.Names);
        if (methods.Count == 0)
        {
            return;
        }

        var pre = data.PreTrained(task);
        md.AppendLine();
        md.AppendLine("## Text-to-image (Table 1 and Figure 3, in miniature)");
        md.AppendLine();
        md.AppendLine($"Embedded miniature DrawBench: the 1.33M-parameter DiT reference generator, the learned match-score reward (ClipScore analogue), ResNet-18 diversity (ClipDiversity analogue). {profile.FlowIterations} iterations per run; {FlowMatchingStudyRun.Settings}. Held-out evaluation every {profile.FlowEvalInterval} iterations: {profile.FlowEvalPrompts} held-out prompts x {profile.FlowEvalSamplesPerPrompt} samples.");
        md.AppendLine();
        md.AppendLine("| method | reward | diversity | W2 to reference | reward gain (paired) | diversity change (paired) | training time per run |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        md.AppendLine($"| pre-trained | {Stat(pre, p => p.Reward)} | {Stat(pre, p => p.Diversity)} | 0 | - | - | - |");
        foreach (string method in methods)
        {
            var final = data.Final(task, method);
            md.AppendLine($"| {method} | {Stat(final, p => p.Reward)} | {Stat(final, p => p.Diversity)} | {Stat(final, p => p.W2, "F5")} | {Paired(final, pre, p => p.Reward)} | {Paired(final, pre, p => p.Diversity)} | {Stat(final, p => p.TrainingSeconds, "F0")} s |");
        }

        AppendByIteration(md, data, task, methods);
        AppendClaimsHeader(md, "text-to-image");
        if (!methods.Contains("ADRPO"))
        {
            return;
        }

        var adrpo = data.Final(task, "ADRPO");
        foreach (string other in methods.Where(m => m != "ADRPO"))
        {
            Claim(md, $"ADRPO reaches a higher reward than {other} (Table 1, ClipScore)", adrpo, data.Final(task, other), p => p.Reward, true);
        }

        Claim(md, "ADRPO keeps the pre-trained diversity (Table 1: 5.13 vs 5.08); only a significant decrease contradicts it", adrpo, pre, p => p.Diversity, true);
        foreach (string other in methods.Where(m => m is "ORW-CFM-W2" or "RAFT"))
        {
            Claim(md, $"ADRPO keeps more diversity than {other} (Figure 3: {other} collapses diversity)", adrpo, data.Final(task, other), p => p.Diversity, true);
        }

        if (methods.Contains("ORW-CFM-W2"))
        {
            Claim(md, "ADRPO stays closer to the reference than ORW-CFM-W2 (Figure 3: lower final W2)", adrpo, data.Final(task, "ORW-CFM-W2"), p => p.W2, false);
        }
    }

    private static void AppendLanguage(StringBuilder md, StudyData data, ReproductionProfile profile)
    {
        string task = RunSpec.LanguageTask;
        var methods = data.Methods(task, LanguageMethods.Names);
        if (methods.Count == 0)
        {
            return;
        }

        var pre = data.PreTrained(task);
        md.AppendLine();
        md.AppendLine("## Language model (Figure 4, in miniature)");
        md.AppendLine();
        md.AppendLine($"Embedded tiny Qwen3-shaped chat model and its learned reward (SDCA on MiniLM features). {profile.LanguageIterations} iterations per run; {LanguageStudyRun.Settings}. Held-out reward every {profile.LanguageEvalInterval} iterations on all 24 held-out prompts x {profile.LanguageEvalSamplesPerPrompt} completions; entropy and KL are means over the training samples of the iterations since the previous evaluation.");
        md.AppendLine();
        md.AppendLine("| method | held-out reward | reward gain (paired) | training reward (last window) | entropy (last window) | KL to reference (last window) | training time per run |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        md.AppendLine($"| pre-trained | {Stat(pre, p => p.Reward)} | - | - | - | - | - |");
        foreach (string method in methods)
        {
            var final = data.Final(task, method);
            md.AppendLine($"| {method} | {Stat(final, p => p.Reward)} | {Paired(final, pre, p => p.Reward)} | {Stat(final, p => p.TrainingReward)} | {Stat(final, p => p.Entropy)} | {Stat(final, p => p.Kl, "F4")} | {Stat(final, p => p.TrainingSeconds, "F0")} s |");
        }

        AppendByIteration(md, data, task, methods);
        AppendClaimsHeader(md, "language-model");
        if (methods.Count < 2)
        {
            return;
        }

        var adrpo = data.Final(task, LanguageMethods.Adaptive);
        var grpo = data.Final(task, LanguageMethods.Fixed);
        Claim(md, "ADRPO-GRPO reaches a higher held-out reward than GRPO with a fixed beta (Figure 4)", adrpo, grpo, p => p.Reward, true);
        Claim(md, "ADRPO-GRPO does not regress late in training: final reward minus its best earlier evaluation, compared with GRPO's (section 4.5, 'preventing model collapse')", Regression(data, task, LanguageMethods.Adaptive), Regression(data, task, LanguageMethods.Fixed), p => p.Reward, true);
        md.AppendLine($"| Entropy: GRPO keeps high entropy; ADRPO-GRPO first lowers it, then raises it (Figure 4, Qwen3). Not a single-number claim: compare the trajectories in `lm-reward-vs-entropy.png` | ADRPO-GRPO minus GRPO final entropy: {PairedText(adrpo, grpo, p => p.Entropy)} | reported, not tested |");
    }

    /// <summary>Per seed, the final reward minus the best reward of any earlier evaluation after training began.</summary>
    private static IReadOnlyDictionary<int, EvaluationPoint> Regression(StudyData data, string task, string method) =>
        data.Run(task, method)
            .GroupBy(p => p.Seed)
            .ToDictionary(g => g.Key, g =>
            {
                var last = g.MaxBy(p => p.Iteration)!;
                double best = g.Where(p => p.Iteration > 0 && p.Iteration < last.Iteration).Select(p => p.Reward).DefaultIfEmpty(last.Reward).Max();
                return last with { Reward = last.Reward - best };
            });

    private static void AppendByIteration(StringBuilder md, StudyData data, string task, IReadOnlyList<string> methods)
    {
        md.AppendLine();
        md.AppendLine("Held-out reward per evaluation (mean ± SE over seeds):");
        md.AppendLine();
        md.AppendLine($"| iteration | {string.Join(" | ", methods)} |");
        md.AppendLine($"|---|{string.Concat(methods.Select(_ => "---|"))}");
        var byMethod = methods.Select(m => data.TrajectoryWithError(task, m, p => p.Reward).ToDictionary(x => x.Iteration, x => x.Value)).ToList();
        foreach (int iteration in byMethod.SelectMany(d => d.Keys).Distinct().Order())
        {
            md.AppendLine($"| {iteration} | {string.Join(" | ", byMethod.Select(d => d.TryGetValue(iteration, out var v) ? v.Format() : "-"))} |");
        }
    }

    private static void AppendClaimsHeader(StringBuilder md, string task)
    {
        md.AppendLine();
        md.AppendLine($"### The paper's {task} claims");
        md.AppendLine();
        md.AppendLine("| claim (paper) | measured (paired difference) | verdict |");
        md.AppendLine("|---|---|---|");
    }

    private static void Claim(StringBuilder md, string claim, IReadOnlyDictionary<int, EvaluationPoint> a, IReadOnlyDictionary<int, EvaluationPoint> b, Func<EvaluationPoint, double> metric, bool claimPositive)
    {
        var difference = PairedDifference.Of(StudyData.Select(a, metric), StudyData.Select(b, metric));
        md.AppendLine($"| {claim} | {difference.Format("F4")} (n = {difference.Count}) | {PairedDifference.Verdict(difference, claimPositive)} |");
    }

    private static string Stat(IReadOnlyDictionary<int, EvaluationPoint> bySeed, Func<EvaluationPoint, double> metric, string format = "F3") =>
        MeanWithError.Of(bySeed.Values.Select(metric)).Format(format);

    private static string Paired(IReadOnlyDictionary<int, EvaluationPoint> a, IReadOnlyDictionary<int, EvaluationPoint> b, Func<EvaluationPoint, double> metric) =>
        PairedDifference.Of(StudyData.Select(a, metric), StudyData.Select(b, metric)).FormatSigned();

    private static string PairedText(IReadOnlyDictionary<int, EvaluationPoint> a, IReadOnlyDictionary<int, EvaluationPoint> b, Func<EvaluationPoint, double> metric) =>
        PairedDifference.Of(StudyData.Select(a, metric), StudyData.Select(b, metric)).Format("F3");
}
