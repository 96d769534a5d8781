// Reproduces the embedded verifiable task of the language-model track (src/Adrpo/Embedded/Arithmetic/Weights/):
//   1. procedural arithmetic word problems from the training side of the fixed split (Adrpo.Embedded.Arithmetic);
//   2. a byte-level BPE tokenizer learned from them (tokenizer.json, tokenizer_config.json); the Qwen pre-tokenizer
//      keeps every digit a token of its own, so the merges only shorten the words;
//   3. a tiny Qwen3-shaped causal LM pre-trained on (prompt, worked solution) turns in ChatML (config.json,
//      model.safetensors), evaluated every 25 steps by exact-match accuracy on held-out-side validation problems
//      sampled at temperature 1 (what GRPO samples at); the evaluation closest to the target within 20-40% is kept and
//      training stops at the first one at or above the target, so RL keeps headroom.
// Usage: dotnet run --project samples/Adrpo.Samples.BuildArithmeticModel -c Release [outputFolder] [targetAccuracy] [maxSteps] [merges]
using System.Diagnostics;
using System.Globalization;
using Adrpo.Embedded.Arithmetic;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;

string output = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("src", "Adrpo", "Embedded", "Arithmetic", "Weights"));
double target = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 0.30;
int maxSteps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 6000;
int mergeCount = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 300;
// One libtorch thread: on a shared 2-core machine two threads spin-wait for each other and run ~10x slower
// (docs: platform facts, "Threads"); the tensors here are too small to gain from a second thread anyway.
TorchSharp.torch.set_num_threads(1);
Directory.CreateDirectory(output);
var clock = Stopwatch.StartNew();
string Elapsed() => $"{clock.Elapsed.TotalSeconds:F0} s";

// 1. Problems. The corpus and the validation set come from the two sides of the fixed split with their own seeds.
var corpus = ArithmeticProblems.Generate(20_000, seed: 2026, heldOut: false);
var validation = ArithmeticProblems.Generate(300, seed: 3, heldOut: true);
var test = ArithmeticProblems.Test;
Console.WriteLine($"Problems: {corpus.Count} training ({corpus.Select(p => p.Expression).Distinct().Count()} distinct sums, " +
    $"{corpus.Count(p => p.Changes.Count == 2) / (double)corpus.Count:P0} with three numbers), {validation.Count} validation and {test.Count} test problems on the held-out side");
Console.WriteLine($"  e.g. {corpus[0].Prompt} -> {corpus[0].Solution}");

// 2. Tokenizer.
var tokenizer = ArithmeticModelTraining.TrainTokenizer(corpus, mergeCount, output);
double tokensPerTurn = corpus.Take(1000).Average(p => tokenizer.Encode(TinyLanguageModelTraining.FormatTurn(p.Prompt, p.Solution)).Count);
int roundTripFailures = corpus.Count(p => tokenizer.Decode(tokenizer.Encode(TinyLanguageModelTraining.FormatTurn(p.Prompt, p.Solution))) != TinyLanguageModelTraining.FormatTurn(p.Prompt, p.Solution));
Console.WriteLine($"Tokenizer: vocabulary {tokenizer.VocabularySize} ({mergeCount} merges requested), {tokensPerTurn:F1} tokens per turn, round-trip failures {roundTripFailures}; {Elapsed()}");

// 3. Language model. Sampled accuracy jumps by 10-15 points within 50 steps once the model starts to carry digits, so
// it is measured every 25 steps, the evaluation closest to the target within the 20-40% band is kept (written to the
// output folder), and training stops at the first evaluation at or above the target.
var config = TinyLanguageModelTraining.DefaultConfig(tokenizer);
(int Step, double Accuracy)? kept = null;
var (model, steps) = ArithmeticModelTraining.Pretrain(tokenizer, config, corpus, maxSteps, evaluateEvery: 25, (step, m, loss) =>
{
    double sampled = ArithmeticModelTraining.Accuracy(m, tokenizer, validation, temperature: 1.0, seed: 7).Accuracy;
    string greedy = step % 100 == 0 ? $"greedy {ArithmeticModelTraining.Accuracy(m, tokenizer, validation, temperature: 0, seed: 7).Accuracy:P1}, " : string.Empty;
    Console.WriteLine($"  step {step}: solution loss {loss:F4}; validation exact match {greedy}temperature 1 {sampled:P1} ({Elapsed()})");
    if (sampled is >= 0.20 and <= 0.40 && (kept is null || Math.Abs(sampled - target) < Math.Abs(kept.Value.Accuracy - target)))
    {
        m.SavePretrained(output);
        kept = (step, sampled);
    }

    return sampled >= target;
}, batchSize: 32, learningRate: 1e-3, seed: 5);
long parameters = model.parameters().Sum(p => p.numel());
if (kept is null)
{
    Console.WriteLine($"No evaluation reached the 20-40% band in {steps} steps: keeping the last model.");
    model.SavePretrained(output);
    kept = (steps, double.NaN);
}

model = QwenForCausalLM.FromPretrained(output); // what the embedded copy will be
Console.WriteLine($"LM: {parameters:N0} parameters; kept step {kept.Value.Step} of 32 turns each (validation accuracy at temperature 1 {kept.Value.Accuracy:P1}), stopped at step {steps}; {Elapsed()}");

// 4. Headroom on the fixed held-out problems (EmbeddedArithmetic.LoadTestData): greedy and sampled at temperature 1.
var (greedyAccuracy, greedy) = ArithmeticModelTraining.Accuracy(model, tokenizer, test, temperature: 0, seed: 1);
Console.WriteLine($"Held-out exact match ({test.Count} problems): greedy {greedyAccuracy:P1}, well-formed {greedy.Count(ArithmeticAnswer.IsWellFormed) / (double)test.Count:P1}");
foreach (ulong seed in new ulong[] { 1, 2, 3 })
{
    var (accuracy, sampled) = ArithmeticModelTraining.Accuracy(model, tokenizer, test, temperature: 1.0, seed);
    Console.WriteLine($"  temperature 1, seed {seed}: {accuracy:P1}, well-formed {sampled.Count(ArithmeticAnswer.IsWellFormed) / (double)test.Count:P1}");
}

foreach (int count in new[] { 1, 2 })
{
    var subset = test.Where(p => p.Changes.Count == count).ToList();
    Console.WriteLine($"  {count + 1} numbers ({subset.Count}): greedy {ArithmeticModelTraining.Accuracy(model, tokenizer, subset, 0, 1).Accuracy:P1}, " +
        $"temperature 1 {ArithmeticModelTraining.Accuracy(model, tokenizer, subset, 1.0, 1).Accuracy:P1}");
}

for (int i = 0; i < 6; i++)
{
    Console.WriteLine($"  greedy: {test[i].Prompt} -> {greedy[i]}   (answer {test[i].Answer})");
}

Console.WriteLine($"Artifacts in {output}:");
foreach (string file in EmbeddedArithmetic.Files)
{
    Console.WriteLine($"  {file,-24} {new FileInfo(Path.Combine(output, file)).Length / 1024.0,8:F1} KiB");
}

Console.WriteLine($"Total {Elapsed()}");
