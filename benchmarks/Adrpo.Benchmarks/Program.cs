// Adaptive-versus-fixed coefficient overhead of one loss + backward step, for both tracks, as ratios measured
// in one process with interleaved repetitions (so machine load affects both sides alike).
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release [repetitions]
// Memory soak of both trainers (MemorySoak.cs):
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- soak [steps=1000]
using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Losses.Language;
using Adrpo.Regularization;
using TorchSharp;
using static TorchSharp.torch;

torch.set_num_threads(2);
if (args.Length > 0 && args[0] == "soak")
{
    Adrpo.Benchmarks.MemorySoak.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000);
    return;
}

int repetitions = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 30;
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

GenerationThroughput();
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

// Tokens/s of batched generation with and without the KV cache, on the embedded tiny Qwen3 (726,784 parameters),
// batch 4, 64 and 224 new tokens (its context is 256 positions), EOS ignored so every row generates the full length, alternating order, medians of 3.
static void GenerationThroughput()
{
    var model = Adrpo.Embedded.TinyLanguage.EmbeddedTinyLanguage.LoadModel();
    var gen = new Generator(3);
    var prompt = randint(0, model.Config.VocabSize, new long[] { 4, 16 }, generator: gen);
    var mask = ones(4, 16, dtype: ScalarType.Int64);
    foreach (int tokens in new[] { 64, 224 })
    {
        var cached = new List<double>();
        var uncached = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            foreach (bool useCache in i % 2 == 0 ? new[] { true, false } : new[] { false, true })
            {
                var generator = new Adrpo.Models.Language.QwenGenerator(model, 1);
                var watch = Stopwatch.StartNew();
                using var result = generator.Generate(prompt, mask, new Adrpo.Models.Language.QwenGenerationOptions
                {
                    MaxNewTokens = tokens, Temperature = 1.0, UseCache = useCache, EosTokenIds = Array.Empty<long>(),
                });
                double rate = 4.0 * result.Length / watch.Elapsed.TotalSeconds;
                (useCache ? cached : uncached).Add(rate);
            }
        }

        Console.WriteLine($"generation, {tokens} new tokens x 4 rows: {Median(cached):F0} tokens/s with KV cache, {Median(uncached):F0} without (ratio {Median(cached) / Median(uncached):F2})");
    }
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
}
