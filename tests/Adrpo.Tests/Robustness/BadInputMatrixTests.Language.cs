using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Tests.Rewards;
using Adrpo.Tests.Text.Tokenization;
using Adrpo.Text.Tokenization;
using Adrpo.Training.Language;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Robustness;

/// <content>Bad inputs to <see cref="AdrpoGrpoTrainer"/>: options, prompts, completion column, reward models.</content>
public sealed partial class BadInputMatrixTests
{
    private static readonly string[] LanguagePrompts = { "hello", "hello world" };

    /// <summary>The hand-made byte-level tokenizer (ids up to 1255), written into this case's folder.</summary>
    private HuggingFaceTokenizer LanguageTokenizer()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, TinyTokenizerJson.Build().ToJsonString());
        return HuggingFaceTokenizer.FromFile(path);
    }

    private static QwenForCausalLM LanguageModel(long vocab = 1280) => new(new QwenConfig
    {
        ModelType = "qwen3", VocabSize = vocab, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1,
        NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 8, MaxPositionEmbeddings = 256, RopeTheta = 10000,
        TieWordEmbeddings = true, EosTokenId = new long[] { TinyTokenizerJson.End },
    }, new TorchSharp.torch.Generator(2));

    /// <summary>One iteration, one prompt x two completions of two tokens: cases that reach generation stay fast.</summary>
    private AdrpoGrpoTrainer.Options LanguageOptions(MLContext ml, RewardModel? reward = null, long vocab = 1280) => new()
    {
        Model = LanguageModel(vocab),
        Tokenizer = LanguageTokenizer(),
        RewardModels = { reward ?? new RewardModel(RewardMappings.Length(ml), name: "length") },
        Iterations = 1,
        SamplesPerPrompt = 2,
        PromptsPerIteration = 1,
        MaxNewTokens = 2,
        MaxPromptTokens = 32,
        UseChatTemplate = false,
        Seed = 1,
    };

    private static IDataView LanguageInput(MLContext ml, IEnumerable<string> prompts) =>
        ml.Data.LoadFromEnumerable(prompts.Select(p => new PromptText { Prompt = p }).ToList());

    private static void FitLanguage(MLContext ml, AdrpoGrpoTrainer.Options options, IDataView? input = null) =>
        ml.FineTuning().AdrpoGrpo(options).Fit(input ?? LanguageInput(ml, LanguagePrompts));

    [TestMethod]
    public void LanguageRewardDeclaresAColumnTheDataLacks()
    {
        var ml = new MLContext(seed: 1);
        var reward = RewardModel.FromFunction(s => s.Completion == s["Answer"] ? 1f : 0f, name: "accuracy", columns: ["Answer"]);
        Expect<ArgumentException>("grpo-reward-column-missing", () => FitLanguage(ml, LanguageOptions(ml, reward)),
            "reward model 0 ('accuracy') reads column 'Answer'", "which the training data does not have", "'Prompt' (String) and 'Completion' (String)");
    }

    [TestMethod]
    public void LanguageRewardReadsAColumnItDidNotDeclareAndTheDataLacks()
    {
        var ml = new MLContext(seed: 1);
        var reward = RewardModel.FromFunction(s => s.Completion == s["Answer"] ? 1f : 0f, name: "accuracy");
        Expect<InvalidOperationException>("grpo-reward-column-undeclared", () => FitLanguage(ml, LanguageOptions(ml, reward)),
            "reward model 0 ('accuracy') failed while scoring 2 samples", "no column 'Answer'", "none besides the prompt and the generated sample", "declare the columns a reward reads");
    }

    [TestMethod]
    public void LanguageAsyncRewardThatKeepsFailing()
    {
        var ml = new MLContext(seed: 1);
        var reward = RewardModel.FromAsyncFunction((_, _) => Task.FromException<float?[]>(new HttpRequestException("connection refused")),
            new AsyncRewardOptions { MaxRetries = 1, RetryDelay = TimeSpan.Zero }, name: "judge");
        Expect<InvalidOperationException>("grpo-reward-async-failing", () => FitLanguage(ml, LanguageOptions(ml, reward)),
            "reward model 0 ('judge') failed for samples 0-1 of 2 after 2 attempts", "attempt 1: HttpRequestException: connection refused", "attempt 2: HttpRequestException: connection refused");
    }

    [TestMethod]
    public void LanguagePromptColumnMissing()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.PromptColumnName = "Question";
        Expect<ArgumentException>("grpo-prompt-missing", () => FitLanguage(ml, options),
            "Prompt column 'Question' was not found", "'Prompt' (String)", "Set Options.PromptColumnName");
    }

    [TestMethod]
    public void LanguagePromptColumnIsAVector()
    {
        var ml = new MLContext(seed: 1);
        var input = ml.Data.LoadFromEnumerable(new[] { new VectorPromptRow { Prompt = new float[3] } });
        Expect<ArgumentException>("grpo-prompt-mistyped", () => FitLanguage(ml, LanguageOptions(ml), input),
            "Prompt column 'Prompt' is Vector<Single, 3>", "expected String");
    }

    [TestMethod]
    public void LanguageEmptyDataView()
    {
        var ml = new MLContext(seed: 1);
        Expect<ArgumentException>("grpo-empty-dataview", () => FitLanguage(ml, LanguageOptions(ml), LanguageInput(ml, Array.Empty<string>())),
            "has no rows", "column 'Prompt' must hold at least one prompt");
    }

    [TestMethod]
    public void LanguageEmptyPrompt()
    {
        var ml = new MLContext(seed: 1);
        Expect<ArgumentException>("grpo-empty-prompt", () => FitLanguage(ml, LanguageOptions(ml), LanguageInput(ml, new[] { "hello", "world", "" })),
            "Row 2 of column 'Prompt' holds an empty prompt", "every prompt must contain text");
    }

    [TestMethod]
    public void LanguagePromptLongerThanTheContext()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.MaxNewTokens = 6;
        options.MaxPromptTokens = 250;   // + 6 = the model's 256 positions
        string longPrompt = string.Join(" ", Enumerable.Repeat("w", 300));
        Expect<ArgumentException>("grpo-prompt-too-long", () => FitLanguage(ml, options, LanguageInput(ml, new[] { "hello", longPrompt })),
            "Prompt 1", "tokens after templating; the limit is 250", "option MaxPromptTokens, bounded by the model's context");
    }

    [TestMethod]
    public void LanguageRewardReadsTheCompletionAsAVector()
    {
        var ml = new MLContext(seed: 1);
        var reward = new RewardModel(RewardMappings.Fit<VectorCompletion, FloatScore>(ml, (i, o) => o.Score = i.Completion.Sum()), 1.0, "Score", "vector");
        Expect<ArgumentException>("grpo-completion-mistyped", () => FitLanguage(ml, LanguageOptions(ml, reward)),
            "('vector')", "input column 'Completion' as Vector<Single, 4> (CustomMapping input VectorCompletion.Completion, System.Single[])", "provides it as String");
    }

    [TestMethod]
    public void LanguageRewardThatReturnsInfinity()
    {
        var ml = new MLContext(seed: 1);
        var reward = new RewardModel(RewardMappings.Fit<CompletionText, FloatScore>(ml, (i, o) => o.Score = float.PositiveInfinity), 1.0, "Score", "inf");
        Expect<InvalidOperationException>("grpo-reward-inf", () => FitLanguage(ml, LanguageOptions(ml, reward)),
            "every reward was invalid", "reward model 0 ('inf') returned", "infinite scores", "expected each sample to get a finite score");
    }

    [TestMethod]
    public void LanguageNegativeGroupSize()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.SamplesPerPrompt = -4;
        Expect<ArgumentOutOfRangeException>("grpo-group-negative", () => FitLanguage(ml, options),
            "Option SamplesPerPrompt is -4", "at least 2 completions per prompt");
    }

    [TestMethod]
    public void LanguageNegativeFixedBeta()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.Method = GrpoMethod.Grpo;
        options.Beta0 = -0.1;
        Expect<ArgumentOutOfRangeException>("grpo-beta0-negative", () => FitLanguage(ml, options),
            "Option Beta0 is -0.1", "expected zero or positive");
    }

    [TestMethod]
    public void LanguageLowerClipOfOne()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.EpsilonLow = 1;
        Expect<ArgumentOutOfRangeException>("grpo-epsilon-low", () => FitLanguage(ml, options),
            "Option EpsilonLow is 1", "expected a clip width in [0, 1)");
    }

    [TestMethod]
    public void LanguageZeroLearningRate()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.LearningRate = 0;
        Expect<ArgumentOutOfRangeException>("grpo-learning-rate-zero", () => FitLanguage(ml, options),
            "Option LearningRate is 0", "expected a positive number");
    }

    [TestMethod]
    public void LanguageTokenizerIdsBeyondTheModelVocabulary()
    {
        // 273 tokens fit in 300 rows, but the byte tokens have ids 1000..1255: the count alone is not enough.
        var ml = new MLContext(seed: 1);
        Expect<ArgumentOutOfRangeException>("grpo-tokenizer-ids", () => FitLanguage(ml, LanguageOptions(ml, vocab: 300)),
            "Option Tokenizer has", "ids up to 1255", "the model's vocabulary has 300 rows", "expected every token id below 300");
    }

    [TestMethod]
    public void LanguageUndefinedLossAggregation()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.LossAggregation = (Adrpo.Losses.Language.LossAggregation)9;
        Expect<ArgumentOutOfRangeException>("grpo-aggregation-undefined", () => FitLanguage(ml, options),
            "Option LossAggregation is 9", "expected one of");
    }

    public sealed class PromptText
    {
        public string Prompt { get; set; } = string.Empty;
    }

    public sealed class VectorPromptRow
    {
        [VectorType(3)]
        public float[] Prompt { get; set; } = Array.Empty<float>();
    }

    public sealed class VectorCompletion
    {
        [VectorType(4)]
        public float[] Completion { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void LanguageMaxConsecutiveSkippedStepsZero()
    {
        var ml = new MLContext(seed: 1);
        var options = LanguageOptions(ml);
        options.MaxConsecutiveSkippedSteps = 0;
        Expect<ArgumentOutOfRangeException>("grpo-max-skipped", () => FitLanguage(ml, options),
            "Option MaxConsecutiveSkippedSteps is 0", "expected at least 1");
    }
}
