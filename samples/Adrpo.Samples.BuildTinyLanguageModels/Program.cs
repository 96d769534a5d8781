// Reproduces the embedded default of the language-model track (src/Adrpo/Embedded/TinyLanguage/Weights/):
//   1. a procedural corpus of short chat turns (Adrpo.Embedded.TinyLanguage.TinyLanguageCorpus), mixed so that curt
//      replies are the most frequent and a reward for helpful replies has headroom;
//   2. a byte-level BPE tokenizer learned from it (tokenizer.json, tokenizer_config.json);
//   3. a tiny Qwen3-shaped causal LM pre-trained on it (config.json, model.safetensors);
//   4. a reward model learned with ML.NET (MiniLM sentence features + SDCA regression) from labelled replies (reward.zip).
// Usage: dotnet run --project samples/Adrpo.Samples.BuildTinyLanguageModels -c Release [outputFolder] [lmSteps] [merges]
using System.Diagnostics;
using System.Globalization;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Text.Tokenization;
using Microsoft.ML;

string output = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("src", "Adrpo", "Embedded", "TinyLanguage", "Weights"));
int lmSteps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
int mergeCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 800;
TorchSharp.torch.set_num_threads(Math.Min(Environment.ProcessorCount, 2));
Directory.CreateDirectory(output);
var clock = Stopwatch.StartNew();
string Elapsed() => $"{clock.Elapsed.TotalSeconds:F0} s";

// 1. Corpus.
var (trainPrompts, testPrompts) = TinyLanguageCorpus.Split();
var corpus = TinyLanguageCorpus.Generate(trainPrompts, 20_000, seed: 2026);
Console.WriteLine($"Corpus: {corpus.Count} turns on {trainPrompts.Count} training prompts ({testPrompts.Count} held out), " +
    $"{corpus.Select(e => e.Reply).Distinct().Count()} distinct replies, " +
    $"{corpus.SelectMany(e => (e.Prompt + " " + e.Reply).Split(' ', '.', ',', '!', '?')).Where(w => w.Length > 0).Select(w => w.ToLowerInvariant()).Distinct().Count()} distinct words; " +
    $"styles {string.Join(", ", corpus.GroupBy(e => e.Style).OrderBy(g => g.Key).Select(g => $"{g.Key} {(double)g.Count() / corpus.Count:P0}"))}");

// 2. Tokenizer.
var tokenizer = TinyLanguageModelTraining.TrainTokenizer(corpus, mergeCount, output);
int roundTripFailures = corpus.Count(e => tokenizer.Decode(tokenizer.Encode(TinyLanguageModelTraining.FormatTurn(e.Prompt, e.Reply))) != TinyLanguageModelTraining.FormatTurn(e.Prompt, e.Reply));
double tokensPerTurn = corpus.Take(1000).Average(e => tokenizer.Encode(TinyLanguageModelTraining.FormatTurn(e.Prompt, e.Reply)).Count);
Console.WriteLine($"Tokenizer: vocabulary {tokenizer.VocabularySize} ({mergeCount} merges requested), {tokensPerTurn:F1} tokens per turn, round-trip failures {roundTripFailures}; {Elapsed()}");

// 3. Language model.
var config = TinyLanguageModelTraining.DefaultConfig(tokenizer);
var model = TinyLanguageModelTraining.Pretrain(tokenizer, config, corpus, lmSteps, batchSize: 24, learningRate: 2e-3, seed: 5,
    progress: new Progress<(int Step, double Loss)>(p => Console.WriteLine($"  LM step {p.Step}: reply loss {p.Loss:F4} ({Elapsed()})")));
long parameters = model.parameters().Sum(p => p.numel());
model.SavePretrained(output);
model = QwenForCausalLM.FromPretrained(output); // what the embedded copy will be
var heldOutTurns = TinyLanguageCorpus.Generate(testPrompts, 1000, seed: 99);
double trainLoss = TinyLanguageModelTraining.ReplyLoss(model, tokenizer, corpus.Take(1000).ToList());
double testLoss = TinyLanguageModelTraining.ReplyLoss(model, tokenizer, heldOutTurns);
Console.WriteLine($"LM: {parameters:N0} parameters, reply loss {trainLoss:F4} (training turns) / {testLoss:F4} (held-out prompts) nats/token; {Elapsed()}");

// 4. Reward model.
var ml = new MLContext(seed: 7);
using var encoder = new MiniLmTextEncoder();
var rewardMix = (0.4, 0.2, 0.4);
var rewardTrain = TinyLanguageCorpus.Generate(trainPrompts, 3000, seed: 7, mix: rewardMix, offTopic: 0.15);
var rewardTest = TinyLanguageCorpus.Generate(testPrompts, 600, seed: 8, mix: rewardMix, offTopic: 0.15);
var (head, schema) = TinyLanguageReward.TrainHead(ml, encoder, rewardTrain);
TinyLanguageReward.SaveHead(ml, head, schema, Path.Combine(output, TinyLanguageReward.FileName));
head = TinyLanguageReward.LoadHead(ml, Path.Combine(output, TinyLanguageReward.FileName));
float[] testScores = TinyLanguageReward.Score(ml, encoder, head, rewardTest.Select(e => e.Prompt).ToList(), rewardTest.Select(e => e.Reply).ToList());
double mean = rewardTest.Average(e => e.Label);
double r2 = 1 - (rewardTest.Select((e, i) => Math.Pow(e.Label - testScores[i], 2)).Sum() / rewardTest.Sum(e => Math.Pow(e.Label - mean, 2)));
var polar = rewardTest.Select((e, i) => (e.Style, Score: testScores[i])).Where(x => x.Style is ReplyStyle.Helpful or ReplyStyle.Curt).ToList();
double accuracy = polar.Count(x => (x.Score > 0.5) == (x.Style == ReplyStyle.Helpful)) / (double)polar.Count;
Console.WriteLine($"Reward: SDCA on 768 MiniLM features, {rewardTrain.Count} training pairs; held-out prompts ({rewardTest.Count} pairs): R^2 {r2:F3}, " +
    $"helpful-vs-curt accuracy (score > 0.5) {accuracy:P1}; {Elapsed()}");
foreach (var group in rewardTest.Select((e, i) => (e.Style, Score: testScores[i])).GroupBy(x => x.Style).OrderBy(g => g.Key))
{
    Console.WriteLine($"  mean score of {group.Key} replies: {group.Average(x => x.Score):F3} (label {TinyLanguageCorpus.LabelOf(group.Key):F2})");
}

(string Prompt, string Reply)[] handWritten =
{
    ("How was your weekend?", "It was absolutely delightful, thank you! We cooked together and watched the stars."),
    ("How was your weekend?", "Nope. Hated it."),
    ("What did you think of the lecture?", "The speaker was inspiring and I learned so much. I hope you can come next time."),
    ("What did you think of the lecture?", "Stupid. Waste of time."),
    ("How was the flight?", "Smooth and comfortable, the crew were kind and we landed early."),
    ("How was the flight?", "Delayed. Cramped. Never again."),
};
float[] handScores = TinyLanguageReward.Score(ml, encoder, head, handWritten.Select(h => h.Prompt).ToList(), handWritten.Select(h => h.Reply).ToList());
Console.WriteLine("Reward on hand-written pairs outside the grammar:");
for (int i = 0; i < handWritten.Length; i++)
{
    Console.WriteLine($"  {handScores[i],6:F3}  {handWritten[i].Prompt} -> {handWritten[i].Reply}");
}

// 5. Headroom: what the pre-trained model says, scored by the learned reward (through RewardScorer, as a trainer would).
var samplePrompts = Enumerable.Range(0, 200).Select(i => testPrompts[i % testPrompts.Count]).ToList();
var samples = TinyLanguageModelTraining.Sample(model, tokenizer, samplePrompts, temperature: 1.0, seed: 3);
var scorer = new RewardScorer(ml, new[] { TinyLanguageReward.Create(ml, encoder, head) });
var rewards = scorer.Score(samplePrompts, samples).Total;
var styles = samples.Select(TinyLanguageCorpus.Classify).ToList();
Console.WriteLine($"Pre-trained LM, 200 samples at temperature 1 on held-out prompts: helpful {styles.Count(s => s == ReplyStyle.Helpful) / 200.0:P1}, " +
    $"plain {styles.Count(s => s == ReplyStyle.Plain) / 200.0:P1}, curt {styles.Count(s => s == ReplyStyle.Curt) / 200.0:P1}, " +
    $"unrecognised {styles.Count(s => s is null) / 200.0:P1}; in the corpus verbatim {samples.Count(s => corpus.Any(e => e.Reply == s)) / 200.0:P1}; " +
    $"mean learned reward {rewards.Average():F3} (helpful only: {rewards.Where((_, i) => styles[i] == ReplyStyle.Helpful).DefaultIfEmpty().Average():F3})");
for (int i = 0; i < 6; i++)
{
    Console.WriteLine($"  [{rewards[i]:F2}] {samplePrompts[i]} -> {samples[i]}");
}

var greedy = TinyLanguageModelTraining.Sample(model, tokenizer, testPrompts.Take(4).ToList(), temperature: 0);
for (int i = 0; i < greedy.Count; i++)
{
    Console.WriteLine($"  greedy: {testPrompts[i]} -> {greedy[i]}");
}

Console.WriteLine($"Artifacts in {output}:");
foreach (string file in EmbeddedTinyLanguage.Files)
{
    Console.WriteLine($"  {file,-24} {new FileInfo(Path.Combine(output, file)).Length / 1024.0,8:F1} KiB");
}

Console.WriteLine($"Total {Elapsed()}");
