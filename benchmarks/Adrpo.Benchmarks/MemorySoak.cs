// Memory soak: many training iterations of a tiny flow-matching config and a tiny GRPO config, reporting resident
// memory and live TorchSharp tensors after warm-up, every 100 steps and at the end.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- soak [steps=1000]
using System.Diagnostics;
using System.Globalization;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

/// <summary>Runs both trainers for many iterations and samples memory between iterations (from the trainers'
/// synchronous Progress callback, so nothing of an iteration is in flight).</summary>
internal static class MemorySoak
{
    private static int WarmUp = 10;
    private static int Every = 100;

    public static void Run(int steps, int warmUp = 10, int every = 100)
    {
        (WarmUp, Every) = (warmUp, every);
        // Tiny tensors: a second intra-op thread only adds synchronisation (and on a shared machine, waiting).
        torch.set_num_threads(1);
        var rows = new List<Sample>();
        rows.AddRange(FlowMatching(steps));
        rows.AddRange(Grpo(steps));

        Console.WriteLine();
        Console.WriteLine($"Memory soak: {steps} iterations per trainer after {WarmUp} warm-up iterations; RSS and managed heap after a full GC.");
        Console.WriteLine("| trainer | step | elapsed s | RSS MiB | managed MiB | live tensors (thread) | tensor handles |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Trainer} | {r.Step} | {r.Seconds:F1} | {r.RssMiB:F1} | {r.ManagedMiB:F1} | {r.ThreadLive} | {r.Handles} |"));
        }

        foreach (var group in rows.GroupBy(r => r.Trainer))
        {
            var (first, last) = (group.First(), group.Last());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Key}: {last.Step} steps in {last.Seconds:F1} s; RSS {first.RssMiB:F1} -> {last.RssMiB:F1} MiB ({last.RssMiB - first.RssMiB:+0.0;-0.0} MiB); live tensors {first.ThreadLive} -> {last.ThreadLive}; handles {first.Handles} -> {last.Handles}"));
        }

        string csv = Path.Combine(Bench.RepoRoot(), "artifacts", "benchmarks", "memory-soak.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        File.WriteAllLines(csv, rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Trainer},{r.Step},{r.Seconds:F2},{r.RssMiB:F2},{r.ManagedMiB:F2},{r.ThreadLive},{r.Handles}"))
            .Prepend("trainer,step,elapsed_s,rss_mib,managed_mib,live_tensors_thread,tensor_handles"));
        Console.WriteLine($"wrote {csv}");
    }

    private static List<Sample> FlowMatching(int steps)
    {
        var context = new MLContext(seed: 1);
        var probe = new Probe("flow-matching", steps);
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = Fixtures.PretrainedTinyDit(),
            TextEncoder = new HashingTextEncoder(),
            RewardModels = { Fixtures.RednessReward(context, 8) },
            Method = FineTuningMethod.Adrpo,
            Iterations = WarmUp + steps,
            SamplesPerPrompt = 4,
            PromptsPerIteration = 2,
            OdeSteps = 4,
            LearningRate = 1e-3,
            LoraRank = 4,
            LoraAlpha = 8,
            Seed = 5,
            Progress = probe,
        };
        var prompts = Fixtures.Prompts(context, Fixtures.FlowPrompts);
        context.FineTuning().AdrpoFlowMatching(options).Fit(prompts);
        return probe.Samples;
    }

    private static List<Sample> Grpo(int steps)
    {
        var context = new MLContext(seed: 1);
        var probe = new Probe("GRPO", steps);
        var tokenizer = EmbeddedTinyLanguage.LoadTokenizer();
        var options = new AdrpoGrpoTrainer.Options
        {
            // A tiny random Qwen3 on the embedded task's 1,059-token vocabulary (the tokenizer comes from the package).
            Model = new QwenForCausalLM(new QwenConfig
            {
                ModelType = "qwen3", VocabSize = 1059, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2,
                NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 16, MaxPositionEmbeddings = 128, RopeTheta = 10000,
                TieWordEmbeddings = true, EosTokenId = new long[] { 1058 },
            }, new Generator(4)),
            Tokenizer = tokenizer,
            UseChatTemplate = false,
            RewardModels = { Fixtures.LetterReward(context) },
            Iterations = WarmUp + steps,
            SamplesPerPrompt = 8,
            PromptsPerIteration = 2,
            MaxNewTokens = 8,
            MaxPromptTokens = 32,
            LearningRate = 1e-3,
            Seed = 7,
            Progress = probe,
        };
        var prompts = Fixtures.Prompts(context, Fixtures.TextPrompts);
        context.FineTuning().AdrpoGrpo(options).Fit(prompts);
        return probe.Samples;
    }

    /// <summary>Samples at the end of the warm-up (step 0), every <see cref="Every"/> steps and at the last step.</summary>
    private sealed class Probe(string trainer, int steps) : IProgress<FlowMatchingIterationMetrics>, IProgress<GrpoIterationMetrics>
    {
        private readonly Stopwatch _watch = new();

        public List<Sample> Samples { get; } = new();

        public void Report(FlowMatchingIterationMetrics value) => At(value.Iteration);

        public void Report(GrpoIterationMetrics value) => At(value.Iteration);

        private void At(int iteration)
        {
            int step = iteration - WarmUp;
            if (step < 0 || (step % Every != 0 && step != steps))
            {
                return;
            }

            _watch.Stop();   // the collection below is not training time
            // A full collection and the pending finalizers first, so RSS and the handle count measure what is still
            // held, not garbage waiting for the collector.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var sample = new Sample(trainer, step, _watch.Elapsed.TotalSeconds, ResidentMiB(), GC.GetTotalMemory(false) / 1048576.0,
                DisposeScopeManager.Statistics.ThreadTotalLiveCount, torch.Tensor.TotalCount);
            Samples.Add(sample);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{trainer} step {step}: {sample.Seconds:F1} s, RSS {sample.RssMiB:F1} MiB, managed {sample.ManagedMiB:F1} MiB, live tensors {sample.ThreadLive}, handles {sample.Handles}"));
            _watch.Start();
        }
    }

    private sealed record Sample(string Trainer, int Step, double Seconds, double RssMiB, double ManagedMiB, long ThreadLive, long Handles);

    /// <summary>VmRSS from /proc/self/status on Linux; the working set elsewhere.</summary>
    private static double ResidentMiB()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;   // kB
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }
}
