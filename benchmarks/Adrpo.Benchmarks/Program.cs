// Adaptive-versus-fixed coefficient overhead of one loss + backward step, for both tracks, as ratios measured
// in one process with interleaved repetitions (so machine load affects both sides alike).
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release [repetitions]
using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Losses.Language;
using Adrpo.Regularization;
using TorchSharp;
using static TorchSharp.torch;

int repetitions = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 30;
torch.set_num_threads(2);
var gen = new Generator(1);

// LLM track: 16 completions (4 prompts x 4), 128 tokens, vocabulary 4096.
var logits = randn(new long[] { 16, 129, 4096 }, generator: gen);
var ids = randint(0, 4096, new long[] { 16, 129 }, generator: gen);
var mask = ones(16, 128);
var rewards = randn(new long[] { 16 }, generator: gen);
Tensor refLogp;
using (no_grad())
{
    refLogp = TokenLogProbs.FromLogits(logits, ids) + (randn(new long[] { 16, 128 }, generator: gen) * 0.1);
}

IDivergenceCoefficient adaptive = AdaptiveDivergenceCoefficient.PaperLanguageModelDefaults, fixedBeta = FixedDivergenceCoefficient.PaperGrpoBaseline;
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
var v = randn(new long[] { 64, 3, 32, 32 }, generator: gen);
var u = randn(new long[] { 64, 3, 32, 32 }, generator: gen);
var vRef = randn(new long[] { 64, 3, 32, 32 }, generator: gen);
var fmRewards = rand(new long[] { 64 }, generator: gen);
IDivergenceCoefficient fmAdaptive = AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults, fmFixed = new FixedDivergenceCoefficient(1.0);
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

Report("GRPO loss+backward [16 x 128 tokens, vocab 4096]", LlmStep, adaptive, fixedBeta);
Report("flow-matching loss+backward [64 x 3x32x32]", FmStep, fmAdaptive, fmFixed);

void Report(string name, Func<IDivergenceCoefficient, double> step, IDivergenceCoefficient a, IDivergenceCoefficient f)
{
    for (int i = 0; i < 3; i++)
    {
        step(a);
        step(f);
    }

    var ta = new List<double>();
    var tf = new List<double>();
    for (int i = 0; i < repetitions; i++)
    {
        // Alternate which side runs first so neither always inherits the other's freed memory.
        if (i % 2 == 0)
        {
            ta.Add(step(a));
            tf.Add(step(f));
        }
        else
        {
            tf.Add(step(f));
            ta.Add(step(a));
        }
    }

    double ma = Median(ta), mf = Median(tf);
    Console.WriteLine($"{name}: adaptive {ma:F2} ms, fixed {mf:F2} ms (medians of {repetitions}), ratio adaptive/fixed {ma / mf:F3}");
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
}
