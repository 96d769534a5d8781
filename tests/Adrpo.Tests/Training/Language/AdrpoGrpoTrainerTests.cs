using Adrpo.Tests.Infrastructure;
using Adrpo.Generation;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Tests.Text.Tokenization;
using Adrpo.Text.Tokenization;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.Language;

/// <summary>GRPO / ADRPO-GRPO end to end on a tiny random Qwen3 with a hand-made byte-level tokenizer.</summary>
[TestClass]
public sealed class AdrpoGrpoTrainerTests
{
    internal static readonly string[] TrainPrompts = { "hello", "hello world", "world", "12 worlds" };
    private static readonly string[] HeldOutPrompts = { "wow", "hello 12" };

    private static readonly Lazy<string> TokenizerFolder = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-grpo-tokenizer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TinyTokenizerJson.Build().ToJsonString());
        return folder;
    });

    internal static HuggingFaceTokenizer Tokenizer() => HuggingFaceTokenizer.FromPretrained(TokenizerFolder.Value);

    internal static QwenForCausalLM TinyModel() => new(new QwenConfig
    {
        ModelType = "qwen3", VocabSize = 1280, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2,
        NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 16, MaxPositionEmbeddings = 256, RopeTheta = 10000,
        TieWordEmbeddings = true, EosTokenId = new long[] { TinyTokenizerJson.End },
    }, new Generator(4));

    /// <summary>Reward: how many ASCII letters the completion decodes to (most ids of the tiny model's vocabulary decode to
    /// nothing or to non-letters, so a random model scores about 0.3 per 6-token completion).</summary>
    internal static RewardModel LetterReward(MLContext context)
    {
        var estimator = context.Transforms.CustomMapping<TextRow, ScoreRow>((input, output) => output.Score = input.Completion.Count(char.IsAsciiLetter), contractName: null);
        return new RewardModel(estimator.Fit(context.Data.LoadFromEnumerable(new List<TextRow>())), 1.0, "Score", "letters");
    }

    internal static IDataView Prompts(MLContext context, IEnumerable<string> prompts) =>
        context.Data.LoadFromEnumerable(prompts.Select(p => new PromptRow { Prompt = p }).ToList());

    private static AdrpoGrpoTrainer.Options Options(MLContext context, bool adaptive, int iterations) => new()
    {
        Model = TinyModel(),
        Tokenizer = Tokenizer(),
        RewardModels = { LetterReward(context) },
        Method = adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
        Iterations = iterations,
        SamplesPerPrompt = 8,
        PromptsPerIteration = 2,
        MaxNewTokens = 6,
        MaxPromptTokens = 32,
        LearningRate = 1e-2,
        Seed = 7,
    };

    private static double MeanReward(CausalLanguageModelTransformer model, IReadOnlyList<string> prompts)
    {
        var rows = Enumerable.Range(0, 32).SelectMany(_ => prompts).ToList();
        return model.Generate(rows).Average(c => c.Count(char.IsAsciiLetter));
    }

    /// <summary>Letters per completion the held-out reward must rise by: far below the smallest rise measured over seeds and
    /// kernel paths (benchmarks/README.md, "Learning tests"), far above what an untrained model's noise gives (~0.3).</summary>
    private const double MinimumRise = 2.0;

    [TestMethod]
    [TestCategory(LearningTest.Category)]
    [DataRow(true, DisplayName = "ADRPO-GRPO (adaptive beta)")]
    [DataRow(false, DisplayName = "GRPO (fixed beta 0.04)")]
    public void PipelineFitsAndTheHeldOutRewardRises(bool adaptive) => LearningTest.WithThreads(() =>
    {
        // 60 iterations: at 30 the rise was bimodal over seeds (some runs had not yet found the letter tokens: +0.3 letters,
        // others +5), so a seeded run could land either side of any threshold; by 60 every seed and kernel path has
        // found them (spread in benchmarks/README.md, "Learning tests").
        const int Iterations = 60;
        var context = new MLContext(seed: 1);
        var options = Options(context, adaptive, iterations: Iterations);
        options.Seed = LearningTest.Seed(7);
        options.ComputeThreads = LearningTest.Threads;
        var settings = new LanguageGenerationSettings { MaxNewTokens = 6, Seed = LearningTest.Seed(3), UseChatTemplate = false, ComputeThreads = LearningTest.Threads };
        double before = MeanReward(new CausalLanguageModelTransformer(TinyModel(), Tokenizer(), settings), HeldOutPrompts);

        var metrics = new List<GrpoIterationMetrics>();
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(metrics.Add);
        var pipeline = context.Transforms.CopyColumns("Original", "Prompt").Append(context.FineTuning().AdrpoGrpo(options));
        var model = pipeline.Fit(Prompts(context, TrainPrompts));
        var tuned = new CausalLanguageModelTransformer(model.LastTransformer.Model, Tokenizer(), settings);
        double after = MeanReward(tuned, HeldOutPrompts);

        LearningTest.Record($"tiny GRPO held-out letters rise ({(adaptive ? "ADRPO" : "GRPO")})", after - before, MinimumRise);
        Assert.IsTrue(after > before + MinimumRise, $"held-out reward should rise by more than {MinimumRise} letters: {before:F2} -> {after:F2}");
        Assert.AreEqual(Iterations, metrics.Count);
        Assert.IsTrue(metrics.All(m => double.IsFinite(m.Loss) && m.Kl >= 0 && m.Entropy > 0 && m.CompletionLength > 0 && m.TokensPerSecond > 0));
        if (adaptive)
        {
            // beta_i = 0.04 - clip(A_i, -0.04, 0.04) lies in [0, 0.08].
            Assert.IsTrue(metrics.All(m => m.BetaMin >= -1e-7 && m.BetaMax <= 0.08 + 1e-7));
            Assert.IsTrue(metrics.Any(m => m.BetaMax - m.BetaMin > 0.05), "coefficients differ across samples");
        }
        else
        {
            Assert.IsTrue(metrics.All(m => Math.Abs(m.BetaMin - 0.04) < 1e-7 && Math.Abs(m.BetaMax - 0.04) < 1e-7));
        }

        var completions = model.Transform(Prompts(context, HeldOutPrompts));
        var column = completions.GetColumn<string>("Completion").ToList();
        Assert.AreEqual(HeldOutPrompts.Length, column.Count);
        return 0;
    });

    [TestMethod]
    public void TransformIsLazyAndSaveLoadGivesIdenticalLogitsAndCompletions()
    {
        var context = new MLContext(seed: 1);
        var model = context.FineTuning().AdrpoGrpo(Options(context, true, 2)).Fit(Prompts(context, TrainPrompts));
        var input = Prompts(context, HeldOutPrompts);
        var first = model.Transform(input).GetColumn<string>("Completion").ToList();
        var second = model.Transform(input).GetColumn<string>("Completion").ToList();
        CollectionAssert.AreEqual(first, second, "same rows, same seed, same completions");

        string folder = Path.Combine(Path.GetTempPath(), "adrpo-grpo-save-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(folder);
            foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", CausalLanguageModelTransformer.SettingsFileName })
            {
                Assert.IsTrue(File.Exists(Path.Combine(folder, file)), file);
            }

            var loaded = CausalLanguageModelTransformer.Load(folder);
            using var ids = tensor(new long[] { 11, 14, 2, 7 }, new long[] { 1, 4 });
            using var a = model.Model.forward(ids);
            using var b = loaded.Model.forward(ids);
            Assert.IsTrue(a.allclose(b, 0, 1e-5), "the same logits after a save/load round trip (bit-identical weights; GEMM rounding aside)");
            CollectionAssert.AreEqual(first, loaded.Transform(input).GetColumn<string>("Completion").ToList());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var e = Assert.ThrowsExactly<NotSupportedException>(() => context.Model.Save(model, input.Schema, new MemoryStream()));
        StringAssert.Contains(e.Message, "CausalLanguageModelTransformer.Save(folder)");
    }

    [TestMethod]
    public void BadOptionsAndInputsFailBeforeTraining()
    {
        var context = new MLContext(seed: 1);
        var options = Options(context, true, 2);
        options.SamplesPerPrompt = 1;
        Assert.AreEqual("SamplesPerPrompt", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options)).ParamName);
        options = Options(context, true, 2);
        options.Beta0 = 0.01;
        Assert.AreEqual("Beta0", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options)).ParamName);
        options = Options(context, true, 2);
        options.MaxNewTokens = 250;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options)).Message, "context of 256");

        options = Options(context, true, 2);
        options.MaxPromptTokens = 3;
        var before = options.Model!.state_dict().Values.Select(t => t.clone()).ToList();
        var e = Assert.ThrowsExactly<ArgumentException>(() => context.FineTuning().AdrpoGrpo(options).Fit(Prompts(context, new[] { "hello", "hello world hello world" })));
        StringAssert.Contains(e.Message, "MaxPromptTokens");
        Assert.IsTrue(options.Model.state_dict().Values.Zip(before).All(p => p.First.allclose(p.Second, 0, 0)), "no weight changed");

        options = Options(context, true, 2);
        options.OutputColumnName = "Answer"; // the reward reads "Completion"
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => context.FineTuning().AdrpoGrpo(options).Fit(Prompts(context, TrainPrompts))).Message, "Completion");
    }

    private sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }

    public sealed class TextRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Completion { get; set; } = string.Empty;
    }

    public sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}
