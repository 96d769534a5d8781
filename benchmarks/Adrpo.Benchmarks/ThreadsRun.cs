// One whole short training run of an embedded model with a given libtorch thread count, for choosing the default of
// ComputeThreads. benchmarks/threads.sh runs it as separate processes, alternating the thread counts (1 2 2 1 ...),
// once on an otherwise idle machine and once with a busy loop on the other core.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- threads MODEL=lm|t2i THREADS [iterations=5]
// Prints one line: "threads-run model=lm threads=1 iterations=5 fit_s=6.71 run_s=9.02 reward=0.123 load=...".
// fit_s is Fit alone; run_s is the whole run from model loading to the end of Fit (the process start is not counted).
using System.Diagnostics;
using System.Globalization;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Text;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Benchmarks;

internal static class ThreadsRun
{
    public static void Run(string[] args)
    {
        string model = args.Length > 1 ? args[1] : "lm";
        int threads = Bench.IntArg(args, 2, 1), iterations = Bench.IntArg(args, 3, 5);
        var run = Stopwatch.StartNew();
        var context = new MLContext(seed: 2026);
        using var encoder = model == "lm" ? new MiniLmTextEncoder() : EmbeddedMiniDrawBench.CreateTextEncoder();   // the DiT reads token states too
        var data = context.Data.LoadFromEnumerable((model == "lm" ? EmbeddedTinyLanguage.TrainPrompts : Adrpo.Data.MiniDrawBench.MiniDrawBench.Split(seed: 2026).Train.Select(p => p.Text).ToList())
            .Select(p => new PromptRow { Prompt = p }));
        Stopwatch fit;
        double reward;
        if (model == "lm")
        {
            // The Options defaults (group 8 x 4 prompts, 32 new tokens), as a user would start.
            var options = new AdrpoGrpoTrainer.Options
            {
                Model = EmbeddedTinyLanguage.LoadModel(),
                Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
                RewardModels = { EmbeddedTinyLanguage.LoadRewardModel(context, encoder) },
                Iterations = iterations,
                Seed = 2026,
                ComputeThreads = threads,
            };
            var trainer = new AdrpoGrpoTrainer(context, options);
            fit = Stopwatch.StartNew();
            trainer.Fit(data);
            fit.Stop();
            reward = Convert.ToDouble(trainer.Metrics!.Columns["RewardMean"][trainer.Metrics.Rows.Count - 1], CultureInfo.InvariantCulture);
        }
        else if (model == "t2i")
        {
            // The Options defaults (8 samples x 4 prompts, 20 Euler steps, LoRA rank 8).
            using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(encoder);
            var options = new AdrpoFlowMatchingTrainer.Options
            {
                Generator = EmbeddedMiniDrawBench.LoadGenerator(),
                TextEncoder = encoder,
                RewardModels = { MatchRewardMapping.Create(context, scorer) },
                Iterations = iterations,
                Seed = 2026,
                ComputeThreads = threads,
            };
            var trainer = new AdrpoFlowMatchingTrainer(context, options);
            fit = Stopwatch.StartNew();
            trainer.Fit(data);
            fit.Stop();
            reward = Convert.ToDouble(trainer.Metrics!.Columns["RewardMean"][trainer.Metrics.Rows.Count - 1], CultureInfo.InvariantCulture);
        }
        else
        {
            throw new ArgumentException($"Model '{model}' is not known; expected lm or t2i.");
        }

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"threads-run model={model} threads={threads} iterations={iterations} fit_s={fit.Elapsed.TotalSeconds:F2} run_s={run.Elapsed.TotalSeconds:F2} reward={reward:F4} {Bench.Load()}"));
    }

    private sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }
}
