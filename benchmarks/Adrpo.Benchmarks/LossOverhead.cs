// Adaptive-versus-fixed coefficient overhead of one loss + backward step (no model), for both tracks.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- [overhead] [repetitions=30]
using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Losses.Language;
using Adrpo.Regularization;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class LossOverhead
{
    public static void Run(int repetitions, bool smoke)
    {
        torch.set_num_threads(2);
        Console.WriteLine($"== ADRPO versus fixed coefficient, loss + backward only; 2 threads; {Bench.Load()}");
        var gen = new Generator(1);
        // LLM track: 16 completions (4 prompts x 4), 128 tokens, vocabulary 4096.
        long rows = smoke ? 4 : 16, tokens = smoke ? 8 : 128, vocab = smoke ? 64 : 4096;
        var logits = randn(new long[] { rows, tokens + 1, vocab }, generator: gen);
        var ids = randint(0, vocab, new long[] { rows, tokens + 1 }, generator: gen);
        var mask = ones(rows, tokens);
        var rewards = randn(new long[] { rows }, generator: gen);
        Tensor refLogp;
        using (no_grad())
        {
            refLogp = TokenLogProbs.FromLogits(logits, ids) + (randn(new long[] { rows, tokens }, generator: gen) * 0.1);
        }

        double LlmStep(IDivergenceCoefficient coefficient)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var leaf = logits.detach().requires_grad_(true);
            var advantages = GroupAdvantages.Compute(rewards, 4, AdvantageScaling.Group);
            var output = GrpoLoss.Compute(TokenLogProbs.FromLogits(leaf, ids), null, refLogp, advantages, coefficient.Compute(advantages), mask);
            output.Loss.backward();
            return watch.Elapsed.TotalMilliseconds;
        }

        // Flow-matching track: 64 samples (8 prompts x 8) of 3x32x32.
        long samples = smoke ? 8 : 64, side = smoke ? 8 : 32;
        var v = randn(new long[] { samples, 3, side, side }, generator: gen);
        var u = randn(new long[] { samples, 3, side, side }, generator: gen);
        var vRef = randn(new long[] { samples, 3, side, side }, generator: gen);
        var fmRewards = rand(new long[] { samples }, generator: gen);
        double FmStep(IDivergenceCoefficient coefficient)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var leaf = v.detach().requires_grad_(true);
            var advantages = GroupAdvantages.Clip(GroupAdvantages.Compute(fmRewards, 8), -1, 1);
            var output = AdrpoFlowMatchingLoss.Compute(leaf, u, vRef, advantages, coefficient.Compute(advantages));
            output.Loss.backward();
            return watch.Elapsed.TotalMilliseconds;
        }

        Report($"GRPO loss+backward [{rows} x {tokens} tokens, vocab {vocab}]", LlmStep, AdaptiveDivergenceCoefficient.PaperLanguageModelDefaults, FixedDivergenceCoefficient.PaperGrpoBaseline, repetitions, smoke);
        Report($"flow-matching loss+backward [{samples} x 3x{side}x{side}]", FmStep, AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults, new FixedDivergenceCoefficient(1.0), repetitions, smoke);
    }

    private static void Report(string name, Func<IDivergenceCoefficient, double> step, IDivergenceCoefficient a, IDivergenceCoefficient f, int repetitions, bool smoke)
    {
        // Alternating order so neither side always inherits the other's freed memory.
        var (ta, tf) = Bench.Interleave(() => step(a), () => step(f), repetitions, smoke ? 0 : 3);
        Console.WriteLine($"{name}: adaptive {Bench.F(Bench.Median(ta))} ms, fixed {Bench.F(Bench.Median(tf))} ms (medians of {repetitions}), ratio adaptive/fixed {Bench.F(Bench.Median(ta) / Bench.Median(tf), "F3")}");
    }
}
