using Adrpo.Imaging;
using Adrpo.Reproduction.FlowMatching;
using Adrpo.Reproduction.Language;
using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.Results;

/// <summary>
/// The study's pictures, as PNG: trajectories in reward-diversity and reward-W2 space (Figure 3, left), reward-entropy
/// space (Figure 4, left) and reward per evaluation. Each point is the mean over seeds of one evaluation; the larger
/// marker is the pre-trained model (or, for entropy, the first window), where every trajectory starts.
/// </summary>
internal static class StudyCharts
{
    public static IReadOnlyList<string> Write(StudyData data, string folder)
    {
        var files = new List<string>();
        string flow = RunSpec.FlowTask, language = RunSpec.LanguageTask;
        var flowMethods = data.Methods(flow, FlowMethods.Names);
        if (flowMethods.Count > 0)
        {
            files.Add(Trajectory(data, flow, flowMethods, p => p.Diversity, "Text-to-image: reward vs diversity (mean of seeds per evaluation)", "diversity (ResNet-18 pairwise distance)", Path.Combine(folder, "t2i-reward-vs-diversity.png")));
            files.Add(Trajectory(data, flow, flowMethods, p => p.W2, "Text-to-image: reward vs W2 to the reference", "W2 = mean (v - v_ref)^2 on held-out paths", Path.Combine(folder, "t2i-reward-vs-w2.png")));
            var regularized = flowMethods.Where(m => m is "ADRPO" or "ORW-CFM-W2").ToList();
            if (regularized.Count > 0)
            {
                // The unregularized methods drift orders of magnitude further; this view keeps the W2-regularized ones readable.
                files.Add(Trajectory(data, flow, regularized, p => p.W2, "Text-to-image: reward vs W2, regularized methods", "W2 = mean (v - v_ref)^2 on held-out paths", Path.Combine(folder, "t2i-reward-vs-w2-regularized.png")));
            }

            files.Add(ByIteration(data, flow, flowMethods, "Text-to-image: held-out reward per evaluation", Path.Combine(folder, "t2i-reward-by-iteration.png")));
        }

        var languageMethods = data.Methods(language, LanguageMethods.Names);
        if (languageMethods.Count > 0)
        {
            files.Add(Trajectory(data, language, languageMethods, p => p.Entropy, "Language model: held-out reward vs token entropy", "entropy (nats per token, training samples)", Path.Combine(folder, "lm-reward-vs-entropy.png")));
            files.Add(ByIteration(data, language, languageMethods, "Language model: held-out reward per evaluation", Path.Combine(folder, "lm-reward-by-iteration.png")));
        }

        return files;
    }

    private static string Trajectory(StudyData data, string task, IReadOnlyList<string> methods, Func<EvaluationPoint, double> x, string title, string xLabel, string path)
    {
        var chart = new LineChart(900, 560) { Title = title, XLabel = xLabel, YLabel = "held-out reward", ShowMarkers = true };
        foreach (string method in methods)
        {
            var xs = data.Trajectory(task, method, x);
            var ys = data.Trajectory(task, method, p => p.Reward);
            chart.Add(method, xs.Select(p => p.Mean).ToArray(), ys.Select(p => p.Mean).ToArray());
        }

        chart.Write(path);
        return path;
    }

    private static string ByIteration(StudyData data, string task, IReadOnlyList<string> methods, string title, string path)
    {
        var chart = new LineChart(900, 560) { Title = title, XLabel = "training iteration", YLabel = "held-out reward", ShowMarkers = true };
        foreach (string method in methods)
        {
            var ys = data.Trajectory(task, method, p => p.Reward);
            chart.Add(method, ys.Select(p => (double)p.Iteration).ToArray(), ys.Select(p => p.Mean).ToArray());
        }

        chart.Write(path);
        return path;
    }
}
