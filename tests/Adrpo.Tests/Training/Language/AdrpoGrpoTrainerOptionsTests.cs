using Adrpo.Embedded.TinyLanguage;
using Adrpo.Generation;
using Adrpo.Text;
using Adrpo.Training.Language;
using Microsoft.ML;
using TorchSharp;

namespace Adrpo.Tests.Training.Language;

/// <summary>The defaults of <see cref="AdrpoGrpoTrainer.Options"/> work on the embedded model, and ComputeThreads is
/// checked, used during Fit and put back afterwards.</summary>
[TestClass]
public sealed class AdrpoGrpoTrainerOptionsTests
{
    [TestMethod]
    public void DefaultOptionsFitTheEmbeddedModelAndItsTransformerGenerates()
    {
        var context = new MLContext(seed: 3);
        using var encoder = new MiniLmTextEncoder();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = EmbeddedTinyLanguage.LoadModel(),
            Tokenizer = EmbeddedTinyLanguage.LoadTokenizer(),
            RewardModels = { EmbeddedTinyLanguage.LoadRewardModel(context, encoder) },
            Iterations = 1,   // every size and length keeps its default
        };
        Assert.AreEqual(0, options.MaxPromptTokens, "automatic by default");
        options.Validate();
        Assert.AreEqual(256 - options.MaxNewTokens, options.ResolvedMaxPromptTokens, "the context left after MaxNewTokens");

        var trainer = context.FineTuning().AdrpoGrpo(options);
        var prompts = AdrpoGrpoTrainerTests.Prompts(context, EmbeddedTinyLanguage.TrainPrompts.Take(2));
        var tuned = trainer.Fit(prompts);

        Assert.AreEqual(1, trainer.Metrics!.Rows.Count);
        Assert.AreEqual(0, tuned.Settings.ComputeThreads, "the transformer generates with the trainer's setting");
        var completions = tuned.Generate(EmbeddedTinyLanguage.TestPrompts.Take(2).ToList());
        Assert.AreEqual(2, completions.Length);

        // The generation settings' defaults hold on the embedded model too, up to the longest prompt they admit.
        var defaults = new CausalLanguageModelTransformer(tuned.Model, tuned.Tokenizer, new LanguageGenerationSettings());
        Assert.AreEqual(224, defaults.Settings.ResolvedMaxPromptTokens(tuned.Model.Config.MaxPositionEmbeddings));
        Assert.AreEqual(1, defaults.Generate(new[] { string.Join(' ', Enumerable.Repeat("hello", 40)) }).Length);
    }

    [TestMethod]
    public void APromptLongerThanTheAutomaticLimitIsAnErrorNamingTheOption()
    {
        var context = new MLContext(seed: 3);
        var options = TinyOptions(context);
        options.MaxPromptTokens = 0;
        options.MaxNewTokens = 250;   // leaves 6 of the tiny model's 256 positions for the prompt
        var e = Assert.ThrowsExactly<ArgumentException>(() => context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, new[] { "hello world hello world" })));
        StringAssert.Contains(e.Message, "the limit is 6 (option MaxPromptTokens");

        options.MaxNewTokens = 256;
        var tooLong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options));
        Assert.AreEqual("MaxNewTokens", tooLong.ParamName);
        StringAssert.Contains(tooLong.Message, "context of 256 positions must leave room");
    }

    [TestMethod]
    public void ComputeThreadsIsValidatedUsedDuringFitAndRestored()
    {
        var context = new MLContext(seed: 3);
        var options = TinyOptions(context);
        options.ComputeThreads = -1;
        var invalid = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options));
        Assert.AreEqual("ComputeThreads", invalid.ParamName);
        StringAssert.Contains(invalid.Message, "Option ComputeThreads is -1");

        int before = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var seen = new List<int>();
            options = TinyOptions(context);
            options.ComputeThreads = 2;
            options.Progress = new Recorder(() => seen.Add(torch.get_num_threads()));
            var tuned = context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));
            CollectionAssert.AreEqual(new[] { 2, 2 }, seen, "Fit runs with ComputeThreads");
            Assert.AreEqual(1, torch.get_num_threads(), "and puts the caller's count back");
            Assert.AreEqual(2, tuned.Settings.ComputeThreads);

            tuned.Generate(new[] { "hello" });
            Assert.AreEqual(1, torch.get_num_threads(), "generation puts it back too");

            options = TinyOptions(context);
            options.ComputeThreads = 2;
            Assert.ThrowsExactly<ArgumentException>(() => context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, new[] { string.Join(' ', Enumerable.Repeat("hello", 40)) })));
            Assert.AreEqual(1, torch.get_num_threads(), "a Fit that throws puts it back as well");
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    private static AdrpoGrpoTrainer.Options TinyOptions(MLContext context) => new()
    {
        Model = AdrpoGrpoTrainerTests.TinyModel(),
        Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
        RewardModels = { AdrpoGrpoTrainerTests.LetterReward(context) },
        Iterations = 2,
        SamplesPerPrompt = 2,
        PromptsPerIteration = 2,
        MaxNewTokens = 4,
        MaxPromptTokens = 32,
        Seed = 7,
    };

    /// <summary>An <see cref="IProgress{T}"/> called on the training thread, so it sees the thread count Fit set.</summary>
    private sealed class Recorder(Action record) : IProgress<GrpoIterationMetrics>
    {
        public void Report(GrpoIterationMetrics value) => record();
    }
}
