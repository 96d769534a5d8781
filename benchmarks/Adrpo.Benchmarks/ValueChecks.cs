// Value checks on the trainers' internal paths (issue 13): GRPO trainer iterations with the checks as before (every
// forward and TokenLogProbs call range-checks its ids, the rollout checks the prompt's values) versus after (checks only
// at the public entry points), in one run.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- checks [iterations=20] [threads=1]
// Two identical trainers run side by side on two threads that hand over after every iteration (A B A B ...), once with
// "before" leading and once with "after" leading; "before" sets TensorChecks.CheckInternalValues on its own thread.
// Per iteration it records the trainer's own Seconds, the value reads (device syncs) the checks made on that thread
// (TensorChecks.ValueReads) and the TorchSharp tensor handles created on that thread.
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using Adrpo.Training.Language;
using Adrpo.Validation;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class ValueChecks
{
    private const int WarmUp = 3;

    public static void Run(string[] args, bool smoke)
    {
        int iterations = smoke ? 1 : Bench.IntArg(args, 1, 20), threads = Bench.IntArg(args, 2, 1);
        int warmUp = smoke ? 0 : WarmUp;
        torch.set_num_threads(threads);
        Console.WriteLine($"== GRPO trainer iteration, value checks on internal paths (before issue 13) vs only at the boundary (after); {threads} intra-op thread(s); {Bench.Load()}");
        var before = new Record();
        var after = new Record();
        foreach (bool beforeLeads in new[] { true, false })
        {
            var turns = new Turns(iterations + warmUp, warmUp);
            var (b, a) = beforeLeads ? (turns.Lead, turns.Follow) : (turns.Follow, turns.Lead);
            int nb = before.Seconds.Count, na = after.Seconds.Count;
            void FitBefore() => Fit(checkInternal: true, smoke, b, before, warmUp);
            void FitAfter() => Fit(checkInternal: false, smoke, a, after, warmUp);
            turns.Run(beforeLeads ? FitBefore : FitAfter, beforeLeads ? FitAfter : FitBefore);
            before.Sessions.Add(Bench.PairedRatio(after.Seconds.Skip(na).ToList(), before.Seconds.Skip(nb).ToList()));
        }

        double mb = Bench.Median(before.Seconds) * 1000, ma = Bench.Median(after.Seconds) * 1000;
        Console.WriteLine($"step time: before {Bench.F(mb)} ms, after {Bench.F(ma)} ms (medians of {before.Seconds.Count}); ratio after/before {Bench.F(ma / mb, "F3")} " +
            $"(median of paired ratios {Bench.F(Bench.PairedRatio(after.Seconds, before.Seconds), "F3")}; with before leading {Bench.F(before.Sessions[0], "F3")}, with after leading {Bench.F(before.Sessions[1], "F3")}); " +
            $"mean completion length {Bench.F(before.Lengths.Average(), "F1")} vs {Bench.F(after.Lengths.Average(), "F1")} tokens; {Bench.Load()}");
        Console.WriteLine($"value reads (device syncs) by the checks per iteration: before {Bench.F(Bench.Median(before.Reads), "F0")}, after {Bench.F(Bench.Median(after.Reads), "F0")}");
        Console.WriteLine($"tensor handles created per iteration: before {Bench.F(Bench.Median(before.Handles), "F0")}, after {Bench.F(Bench.Median(after.Handles), "F0")}");
    }

    private sealed class Record
    {
        public List<double> Seconds { get; } = new();

        public List<double> Reads { get; } = new();

        public List<double> Handles { get; } = new();

        public List<double> Lengths { get; } = new();

        public List<double> Sessions { get; } = new();
    }

    private static void Fit(bool checkInternal, bool smoke, Turns.Side side, Record record, int warmUp)
    {
        TensorChecks.CheckInternalValues = checkInternal;   // thread-static: this trainer's thread only
        var context = new MLContext(seed: 1);
        var embedded = EmbeddedTinyLanguage.LoadModel();
        // As in `steps`: the embedded model's shape with random weights, so both sides generate full-length completions.
        var config = QwenConfig.Parse(embedded.Config.ToJson());
        embedded.Dispose();
        var stats = DisposeScopeManager.Statistics;
        long reads = TensorChecks.ValueReads, handles = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = new QwenForCausalLM(config, new Generator(4)),
            Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
            UseChatTemplate = false,
            RewardModels = { Fixtures.LetterReward(context) },
            Iterations = side.Iterations,
            SamplesPerPrompt = smoke ? 2 : 8,
            PromptsPerIteration = 2,
            MaxNewTokens = smoke ? 4 : 32,
            MaxPromptTokens = 32,
            LearningRate = 1e-5,
            Seed = 7,
            Progress = new Callback<GrpoIterationMetrics>(m =>
            {
                long r = TensorChecks.ValueReads, h = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
                if (m.Iteration > warmUp)
                {
                    record.Seconds.Add(m.Seconds);
                    record.Reads.Add(r - reads);
                    record.Handles.Add(h - handles);
                    record.Lengths.Add(m.CompletionLength);
                }

                side.Done(m.Iteration, m.Seconds, m.CompletionLength);   // waits while the other trainer runs
                reads = TensorChecks.ValueReads;
                handles = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
            }),
        };
        context.FineTuning().AdrpoGrpo(options).Fit(Fixtures.Prompts(context, Fixtures.TextPrompts));
    }

    /// <summary>A synchronous progress sink: the hand-over must happen on the training thread.</summary>
    private sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
