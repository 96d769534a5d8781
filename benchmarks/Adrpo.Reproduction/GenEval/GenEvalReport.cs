using System.Globalization;
using System.Text;
using Adrpo.Reproduction.Results;
using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.GenEval;

/// <summary>
/// The MiniGenEval study's Markdown report: the learning-rate grid, the final held-out scores by GenEval category
/// (mean ± standard error over seeds), paired per-seed tests of issue 16's two claims, and the pictures.
/// </summary>
internal static class GenEvalReport
{
    public static string Build(string command, double seconds, int parallel, IReadOnlyList<string> methods, double[] rates, int gridSeed,
        IReadOnlyDictionary<string, double> chosen, IReadOnlyList<GenEvalPoint> grid, IReadOnlyList<GenEvalPoint> points, IReadOnlyList<string> pictures)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# Text-to-image on MiniGenEval: ADRPO against Flow-GRPO, ORW-CFM-W2, RAFT and DPO").AppendLine();
        md.AppendLine(inv, $"Command: `{command}` ({seconds / 60:F1} min wall over every invocation, `runs/invocations.csv`; a rerun reuses finished runs).").AppendLine();
        md.AppendLine(inv, $"Every method fine-tunes the embedded reference generator (DiT with MiniLM cross-attention) against MiniGenEval's partial credit, with the same sample budget: {GenEvalStudyRun.Settings}.").AppendLine();
        md.AppendLine(inv, $"Held-out: {GenEvalStudyRun.EvaluationPrompts().Count} prompts never trained on (MiniDrawBench's held-out split of 100, one of them single-object, and the other 23 single-object prompts, which the study's training set leaves out so that GenEval's single_object and colors rest on 24 prompts, not one) x {GenEvalStudyRun.EvalSamplesPerPrompt} samples, the noise fixed by the seed (shared by every method of a seed). Overall is GenEval's: the mean over categories of the share of images that show everything the category checks. Partial credit is the reward's quantity. Diversity is the mean pairwise ResNet-18 distance among one prompt's samples; W2 is E|v - v_ref|^2 on the policy's own held-out paths.").AppendLine();
        foreach (string line in MachineDescription.Lines(parallel))
        {
            md.AppendLine(line + "  ");
        }

        // The grid, or the rates given instead of one.
        if (grid.Count == 0)
        {
            md.AppendLine().AppendLine("## Learning rates").AppendLine();
            md.AppendLine(inv, $"No grid in this run: each method ran at the rate given with `--rates` ({string.Join(", ", chosen.Select(kv => $"{kv.Key} {kv.Value:G3}"))}), the rates an earlier grid chose.");
        }
        else
        {
            md.AppendLine().AppendLine(inv, $"## Learning-rate grid (seed {gridSeed})").AppendLine();
            md.AppendLine("Each method keeps the rate with the highest training reward (partial credit of its own training samples) over the last evaluation interval; the held-out scores are shown, not used.").AppendLine();
            md.AppendLine("| method | learning rate | training reward, last interval | held-out overall | held-out partial credit | diversity | W2 | chosen |").AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (string method in methods)
            {
                foreach (double rate in rates)
                {
                    if (grid.Where(p => p.Method == method && p.LearningRate == rate).MaxBy(p => p.Iteration) is { } f)
                    {
                        bool isChosen = chosen.TryGetValue(method, out double c) && c == rate;
                        md.AppendLine(inv, $"| {method} | {rate:G3} | {f.TrainingReward:F4} | {f.Overall:F4} | {f.PartialCredit:F4} | {f.Diversity:F3} | {f.W2:E2} | {(isChosen ? "**yes**" : string.Empty)} |");
                    }
                }
            }
        }

        // The final scores.
        IReadOnlyDictionary<int, GenEvalPoint> Final(string method) => points.Where(p => p.Method == method).GroupBy(p => p.Seed).ToDictionary(g => g.Key, g => g.MaxBy(p => p.Iteration)!);
        var pre = Final(RunSpec.PreTrained);
        var rows = new[] { RunSpec.PreTrained }.Concat(methods.Where(chosen.ContainsKey)).ToList();
        md.AppendLine().AppendLine(inv, $"## Final held-out scores (seeds {string.Join(", ", pre.Keys.Order())})").AppendLine();
        md.AppendLine($"| method | lr | overall | partial credit | {string.Join(" | ", GenEvalPoint.Categories.Select(c => c.Name))} | diversity | W2 | training s |");
        md.AppendLine($"|---|---|---|---|{string.Concat(GenEvalPoint.Categories.Select(_ => "---|"))}---|---|---|");
        foreach (string method in rows)
        {
            var f = Final(method);
            string Stat(Func<GenEvalPoint, double> metric, string format = "F3") => MeanWithError.Of(f.Values.Select(metric)).Format(format);
            md.AppendLine(inv, $"| {method} | {(chosen.TryGetValue(method, out double lr) ? lr.ToString("G3", inv) : "-")} | {Stat(p => p.Overall)} | {Stat(p => p.PartialCredit)} | {string.Join(" | ", GenEvalPoint.Categories.Select(c => Stat(c.Value)))} | {Stat(p => p.Diversity)} | {Stat(p => p.W2, "E2")} | {Stat(p => p.TrainingSeconds, "F0")} |");
        }

        md.AppendLine().AppendLine("`training s` is the training wall time of a run (evaluations excluded), one libtorch thread, two runs at a time; other jobs shared the machine for part of the study, so it is a rough cost, not a timing.");
        md.AppendLine().AppendLine("Change from the pre-trained model, paired by seed:").AppendLine();
        md.AppendLine("| method | overall | partial credit | diversity (relative) |").AppendLine("|---|---|---|---|");
        foreach (string method in rows.Skip(1))
        {
            var f = Final(method);
            var relative = MeanWithError.Of(f.Keys.Intersect(pre.Keys).Select(s => f[s].Diversity / pre[s].Diversity - 1));
            md.AppendLine(inv, $"| {method} | {Paired(f, pre, p => p.Overall).FormatSigned()} | {Paired(f, pre, p => p.PartialCredit).FormatSigned()} | {relative.Format("P1")} |");
        }

        // The claims.
        md.AppendLine().AppendLine("## Issue 16's claims, tested per seed (paired t, two-sided 5%)").AppendLine();
        if (chosen.ContainsKey("ADRPO"))
        {
            var adrpo = Final("ADRPO");
            md.AppendLine("| claim | ADRPO minus baseline | verdict |").AppendLine("|---|---|---|");
            foreach (string other in rows.Skip(1).Where(m => m != "ADRPO"))
            {
                var d = Paired(adrpo, Final(other), p => p.Overall);
                md.AppendLine(inv, $"| ADRPO at least matches {other} on overall | {d.FormatSigned()} | {(d.Mean >= 0 ? "met in the mean; " : "not met in the mean; ")}{PairedDifference.Verdict(d)} |");
            }

            foreach (string other in rows.Where(m => m is "ORW-CFM-W2" or "Flow-GRPO"))
            {
                var d = Paired(adrpo, Final(other), p => p.Diversity);
                md.AppendLine(inv, $"| ADRPO keeps more diversity than {other} | {d.FormatSigned()} | {PairedDifference.Verdict(d)} |");
            }
        }

        if (pictures.Count > 0)
        {
            md.AppendLine().AppendLine("## Pictures").AppendLine();
            foreach (string picture in pictures)
            {
                md.AppendLine($"![{Path.GetFileNameWithoutExtension(picture)}]({Path.GetFileName(picture)})").AppendLine();
            }
        }

        md.AppendLine("Every evaluation: `evaluation-points.csv` (the study) and `grid-points.csv` (the grid); each run's log: `logs/`.");
        return md.ToString();
    }

    private static MeanWithError Paired(IReadOnlyDictionary<int, GenEvalPoint> a, IReadOnlyDictionary<int, GenEvalPoint> b, Func<GenEvalPoint, double> metric) =>
        PairedDifference.Of(a.ToDictionary(kv => kv.Key, kv => metric(kv.Value)), b.ToDictionary(kv => kv.Key, kv => metric(kv.Value)));
}
