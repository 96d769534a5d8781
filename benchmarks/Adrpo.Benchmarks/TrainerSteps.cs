// ADRPO's adaptive coefficient versus a fixed one, as whole training iterations of both trainers (sampling, rewards,
// forward/backward, clipping, AdamW) and as isolated update steps on real models.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- steps [iterations=12] [threads=1] [repetitions=20]
// Whole iterations: two trainers run side by side on two threads that hand over after every iteration (A B A B ...),
// once with the ADRPO trainer leading and once with the baseline leading; each iteration's own time comes from the
// trainer's metrics (Seconds), so the trainers' set-up is not counted.
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Dit;
using Adrpo.Models.Language;
using Adrpo.Regularization;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class TrainerSteps
{
    private const int WarmUp = 3;

    public static void Run(string[] args, bool smoke)
    {
        int iterations = smoke ? 1 : Bench.IntArg(args, 1, 12), threads = Bench.IntArg(args, 2, 1), repetitions = smoke ? 1 : Bench.IntArg(args, 3, 20);
        int warmUp = smoke ? 0 : WarmUp;
        torch.set_num_threads(threads);
        Console.WriteLine($"== ADRPO versus fixed coefficient, whole steps; {threads} intra-op thread(s); {Bench.Load()}");

        var grpo = Alternate(iterations + warmUp, warmUp, lead => GrpoFit(adaptive: true, smoke, lead), lead => GrpoFit(adaptive: false, smoke, lead));
        Report("GRPO trainer iteration, Adaptive=true vs Adaptive=false (Beta0 0.04)", grpo);
        var flow = Alternate(iterations + warmUp, warmUp, lead => FlowFit(FineTuningMethod.Adrpo, smoke, lead), lead => FlowFit(FineTuningMethod.OrwCfmW2, smoke, lead));
        Report("flow-matching trainer iteration, Method=Adrpo vs OrwCfmW2 (fixed W2 coefficient alpha 1)", flow);

        using (var dit = new DitStepCase(smoke))
        {
            IsolatedStep(dit, AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults, new FixedDivergenceCoefficient(1.0), repetitions, smoke);
        }

        using var lm = new LmStepCase(smoke);
        IsolatedStep(lm, AdaptiveDivergenceCoefficient.PaperLanguageModelDefaults, FixedDivergenceCoefficient.PaperGrpoBaseline, repetitions, smoke);
        CoefficientCost(smoke);
    }

    /// <summary>What the two coefficients themselves cost: microseconds per Compute on a batch of 16 advantages.</summary>
    private static void CoefficientCost(bool smoke)
    {
        using var advantages = randn(16);
        double PerCall(IDivergenceCoefficient coefficient)
        {
            using var scope = NewDisposeScope();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 1000; i++)
            {
                coefficient.Compute(advantages);
            }

            return watch.Elapsed.TotalMilliseconds;   // ms per 1000 calls = us per call
        }

        var (a, f) = Bench.Interleave(() => PerCall(AdaptiveDivergenceCoefficient.PaperLanguageModelDefaults), () => PerCall(FixedDivergenceCoefficient.PaperGrpoBaseline), smoke ? 1 : 20, smoke ? 0 : 2);
        Console.WriteLine($"IDivergenceCoefficient.Compute on 16 advantages: adaptive {Bench.F(Bench.Median(a))} us, fixed {Bench.F(Bench.Median(f))} us per call (medians of {a.Count} x 1000 calls); {Bench.Load()}");
    }

    private static void IsolatedStep(StepCase c, IDivergenceCoefficient adaptive, IDivergenceCoefficient fixedBeta, int repetitions, bool smoke)
    {
        var (a, f) = Bench.Interleave(
            () => { c.Coefficient = adaptive; return c.Step(); },
            () => { c.Coefficient = fixedBeta; return c.Step(); },
            repetitions,
            smoke ? 0 : 2);
        Console.WriteLine($"{c.Name} (forward, loss, backward, clip, AdamW), adaptive vs fixed beta: {Bench.F(Bench.Median(a))} ms vs {Bench.F(Bench.Median(f))} ms " +
            $"(medians of {repetitions}), ratio {Bench.F(Bench.Median(a) / Bench.Median(f), "F3")} (median of paired ratios {Bench.F(Bench.PairedRatio(a, f), "F3")}); {c.Shape}; {Bench.Load()}");
    }

    private static void Report(string name, Paired r)
    {
        string lengths = r.LengthA.Count > 0 ? $"; mean completion length {Bench.F(r.LengthA.Average(), "F1")} vs {Bench.F(r.LengthB.Average(), "F1")} tokens" : string.Empty;
        Console.WriteLine($"{name}: {Bench.F(Bench.Median(r.A) * 1000)} ms vs {Bench.F(Bench.Median(r.B) * 1000)} ms (medians of {r.A.Count}), " +
            $"ratio {Bench.F(Bench.Median(r.A) / Bench.Median(r.B), "F3")} (median of paired ratios {Bench.F(Bench.PairedRatio(r.A, r.B), "F3")}){lengths}; paired ratio with ADRPO leading {Bench.F(r.Sessions[0], "F3")}, with the baseline leading {Bench.F(r.Sessions[1], "F3")}; {Bench.Load()}");
    }

    /// <summary>Runs two trainers iteration by iteration in turn, first with A leading, then with B leading; returns
    /// the seconds of every iteration after the warm-up (and the GRPO completion lengths).</summary>
    private static Paired Alternate(int iterations, int warmUp, Action<Turns.Side> fitA, Action<Turns.Side> fitB)
    {
        var result = new Paired(new(), new(), new(), new(), new());
        foreach (bool aLeads in new[] { true, false })
        {
            var turns = new Turns(iterations, warmUp);
            var (first, second) = aLeads ? (turns.Lead, turns.Follow) : (turns.Follow, turns.Lead);
            turns.Run(aLeads ? () => fitA(first) : () => fitB(second), aLeads ? () => fitB(second) : () => fitA(first));
            result.A.AddRange(first.Seconds);
            result.B.AddRange(second.Seconds);
            result.LengthA.AddRange(first.Lengths);
            result.LengthB.AddRange(second.Lengths);
            result.Sessions.Add(Bench.PairedRatio(first.Seconds, second.Seconds));
        }

        return result;
    }

    private sealed record Paired(List<double> A, List<double> B, List<double> LengthA, List<double> LengthB, List<double> Sessions);

    private static void GrpoFit(bool adaptive, bool smoke, Turns.Side side)
    {
        var context = new MLContext(seed: 1);
        var embedded = EmbeddedTinyLanguage.LoadModel();
        // The embedded model's shape with random weights: it almost never samples EOS, so both trainers generate
        // full-length completions and their iterations do the same amount of work whatever their updates did.
        var config = QwenConfig.Parse(embedded.Config.ToJson());
        embedded.Dispose();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = new QwenForCausalLM(config, new Generator(4)),
            Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
            UseChatTemplate = false,
            RewardModels = { Fixtures.LetterReward(context) },
            Method = adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
            Iterations = side.Iterations,
            SamplesPerPrompt = smoke ? 2 : 8,
            PromptsPerIteration = 2,
            MaxNewTokens = smoke ? 4 : 32,
            MaxPromptTokens = 32,
            LearningRate = 1e-5,
            Seed = 7,
            Progress = new Callback<GrpoIterationMetrics>(m => side.Done(m.Iteration, m.Seconds, m.CompletionLength)),
        };
        context.FineTuning().AdrpoGrpo(options).Fit(Fixtures.Prompts(context, Fixtures.TextPrompts));
    }

    private static void FlowFit(FineTuningMethod method, bool smoke, Turns.Side side)
    {
        var context = new MLContext(seed: 1);
        var config = new DitConfig
        {
            SampleSize = smoke ? 8 : 32, InChannels = 3, PatchSize = 4, HiddenSize = smoke ? 32 : 128, NumLayers = smoke ? 1 : 4,
            NumAttentionHeads = smoke ? 2 : 4, ConditionDim = HashingTextEncoder.Size, FrequencyEmbeddingSize = smoke ? 32 : 256,
        };
        var model = new DitVelocityModel(config, new Generator(3));
        Fixtures.Randomise(model, 4);   // non-zero adaLN gates: the LoRA factors the trainer adds get a gradient
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = model,
            TextEncoder = new HashingTextEncoder(),
            RewardModels = { Fixtures.RednessReward(context, config.SampleSize) },
            Method = method,
            Iterations = side.Iterations,
            SamplesPerPrompt = smoke ? 2 : 8,
            PromptsPerIteration = 2,
            OdeSteps = smoke ? 2 : 10,
            LearningRate = 1e-4,
            LoraRank = smoke ? 2 : 8,
            LoraAlpha = smoke ? 4 : 16,
            Seed = 5,
            Progress = new Callback<FlowMatchingIterationMetrics>(m => side.Done(m.Iteration, m.Seconds, null)),
        };
        context.FineTuning().AdrpoFlowMatching(options).Fit(Fixtures.Prompts(context, Fixtures.FlowPrompts));
    }

    /// <summary>A synchronous progress sink (Progress&lt;T&gt; would post to the thread pool): the hand-over to the
    /// other trainer must happen on the training thread, between two iterations.</summary>
    private sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
