using Adrpo.Models;
using Adrpo.Models.Dit;
using Adrpo.Rewards;
using Adrpo.Tests.Rewards;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Fixtures = Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;

namespace Adrpo.Tests.Robustness;

/// <content>Bad inputs to <see cref="AdrpoFlowMatchingTrainer"/>: options, input columns, reward models.</content>
public sealed partial class BadInputMatrixTests
{
    /// <summary>One iteration of two prompts x two samples on a fresh 8x8 DiT: cases that reach training stay fast.</summary>
    private static AdrpoFlowMatchingTrainer.Options FlowOptions(MLContext ml, RewardModel? reward = null) => new()
    {
        Generator = new DitVelocityModel(Fixtures.TinyConfig, new TorchSharp.torch.Generator(1)),
        TextEncoder = new HashingTextEncoder(),
        RewardModels = { reward ?? Fixtures.RednessReward(ml) },
        Iterations = 1,
        SamplesPerPrompt = 2,
        PromptsPerIteration = 2,
        OdeSteps = 2,
        LoraRank = 2,
        LoraAlpha = 4,
        Seed = 1,
    };

    private static void FitFlow(MLContext ml, AdrpoFlowMatchingTrainer.Options options, IDataView? input = null) =>
        ml.FineTuning().AdrpoFlowMatching(options).Fit(input ?? Fixtures.Prompts(ml, Fixtures.TrainPrompts));

    /// <summary>A reward model over the generated 3x8x8 image.</summary>
    private static RewardModel ImageReward<TOut>(MLContext ml, Action<Fixtures.ImageRow, TOut> map, string name, string scoreColumn = "Score")
        where TOut : class, new() =>
        new(RewardMappings.Fit(ml, map), 1.0, scoreColumn, name);

    [TestMethod]
    public void FlowPromptColumnOfTheWrongType()
    {
        var ml = new MLContext(seed: 1);
        var input = ml.Data.LoadFromEnumerable(new[] { new SinglePromptRow { Prompt = 1 } });
        Expect<ArgumentException>("fm-prompt-mistyped", () => FitFlow(ml, FlowOptions(ml), input),
            "Prompt column 'Prompt' is Single", "expected String");
    }

    [TestMethod]
    public void FlowEmptyDataView()
    {
        var ml = new MLContext(seed: 1);
        Expect<ArgumentException>("fm-empty-dataview", () => FitFlow(ml, FlowOptions(ml), Fixtures.Prompts(ml, Array.Empty<string>())),
            "has no rows", "column 'Prompt' must hold at least one prompt");
    }

    [TestMethod]
    public void FlowRewardReadsImagesOfAnotherSize()
    {
        var ml = new MLContext(seed: 1);
        // A regression trained on flat 768-float (3x16x16) images; a CustomMapping would not do, it ignores vector sizes.
        var rows = Enumerable.Range(0, 8).Select(i => new FlatImage768 { Image = Enumerable.Repeat(i / 8f, 768).ToArray(), Label = i });
        var model = ml.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Image", maximumNumberOfIterations: 1).Fit(ml.Data.LoadFromEnumerable(rows));
        var big = new RewardModel(model, 1.0, "Score", "big");
        Expect<ArgumentException>("fm-sample-size", () => FitFlow(ml, FlowOptions(ml, big)),
            "('big')", "input column 'Image' as Vector<Single, 768>", "provides it as Vector<Single, 3, 8, 8>");
    }

    [TestMethod]
    public void FlowRewardWithoutItsScoreColumn()
    {
        var ml = new MLContext(seed: 1);
        var reward = ImageReward<FloatScore>(ml, (i, o) => o.Score = 1, "unnamed", scoreColumn: "Reward");
        Expect<ArgumentException>("fm-score-missing", () => FitFlow(ml, FlowOptions(ml, reward)),
            "no score column 'Reward'", "expected Single or a Single vector of length 1", "Set RewardModel.ScoreColumnName");
    }

    [TestMethod]
    public void FlowRewardWithABooleanScore()
    {
        var ml = new MLContext(seed: 1);
        var reward = ImageReward<BoolScore>(ml, (i, o) => o.Score = true, "yes");
        Expect<ArgumentException>("fm-score-mistyped", () => FitFlow(ml, FlowOptions(ml, reward)),
            "score column 'Score' must be Single or a Single vector of length 1", "but is Boolean");
    }

    [TestMethod]
    public void FlowRewardThatThrows()
    {
        var ml = new MLContext(seed: 1);
        var reward = ImageReward<FloatScore>(ml, (i, o) => throw new FormatException("the pixel parser failed"), "parser");
        Expect<InvalidOperationException>("fm-reward-throws", () => FitFlow(ml, FlowOptions(ml, reward)),
            "reward model 0 ('parser') failed while scoring 4 samples", "the pixel parser failed");
    }

    [TestMethod]
    public void FlowRewardThatReturnsNaN()
    {
        var ml = new MLContext(seed: 1);
        var reward = ImageReward<FloatScore>(ml, (i, o) => o.Score = float.NaN, "nan");
        Expect<InvalidOperationException>("fm-reward-nan", () => FitFlow(ml, FlowOptions(ml, reward)),
            "every reward was invalid", "reward model 0 ('nan') returned 4 of 4 null or NaN scores (not applicable)", "expected each sample to get a finite score");
    }

    [TestMethod]
    public void FlowTextEncoderOfTheWrongWidth()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.TextEncoder = new ZeroEncoder(8);
        Expect<ArgumentOutOfRangeException>("fm-encoder-dimension", () => FitFlow(ml, options),
            "Option TextEncoder produces 8-d embeddings", "the generator expects 16-d conditions");
    }

    [TestMethod]
    public void FlowTextEncoderThatReturnsTooFewRows()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.TextEncoder = new ZeroEncoder(HashingTextEncoder.Size, missingRows: 1);
        Expect<ArgumentException>("fm-encoder-rows", () => FitFlow(ml, options),
            "Options.TextEncoder returned embeddings of shape [3, 16] for 4 prompts", "expected [4, 16]");
    }

    [TestMethod]
    public void FlowCheckpointPathThatIsAFolder()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.CheckpointPath = Path.GetTempPath();
        Expect<ArgumentOutOfRangeException>("fm-checkpoint-folder", () => FitFlow(ml, options),
            "Option CheckpointPath is the folder", "expected a file path such as");
    }

    [TestMethod]
    public void FlowCheckpointIntervalZero()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.CheckpointInterval = 0;
        Expect<ArgumentOutOfRangeException>("fm-checkpoint-interval", () => FitFlow(ml, options),
            "Option CheckpointInterval is 0", "expected at least 1 iteration");
    }

    [TestMethod]
    public void FlowGenerationSamplesColumnClashesWithTheOutputColumn()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.GenerationSamplesPerPrompt = 4;
        options.GenerationSamplesColumnName = options.OutputColumnName;
        Expect<ArgumentOutOfRangeException>("fm-samples-column", () => FitFlow(ml, options),
            "Option GenerationSamplesColumnName is 'Image'", "expected a column name other than OutputColumnName");
    }

    [TestMethod]
    public void FlowNegativeGroupSize()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.SamplesPerPrompt = -3;
        Expect<ArgumentOutOfRangeException>("fm-group-negative", () => FitFlow(ml, options),
            "Option SamplesPerPrompt is -3", "at least 2 samples per prompt");
    }

    [TestMethod]
    public void FlowPositiveLowerAdvantageClip()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.MinAdvantage = 0.5;
        Expect<ArgumentOutOfRangeException>("fm-min-advantage-positive", () => FitFlow(ml, options),
            "Option MinAdvantage is 0.5", "expected at most 0");
    }

    [TestMethod]
    public void FlowInfiniteLearningRate()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.LearningRate = double.PositiveInfinity;
        Expect<ArgumentOutOfRangeException>("fm-learning-rate-inf", () => FitFlow(ml, options),
            "Option LearningRate", "expected a positive number");
    }

    [TestMethod]
    public void FlowFullFineTuningWithAMethodThatNeedsLora()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.LoraRank = 0;
        Expect<ArgumentOutOfRangeException>("fm-lora-rank-zero", () => FitFlow(ml, options),
            "Option LoraRank is 0", "Adrpo takes its reference velocity", "expected LoraRank > 0, or Method = Raft");
    }

    [TestMethod]
    public void FlowLoraOnAGeneratorWithoutAdapters()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.Generator = new PlainGenerator((DitVelocityModel)options.Generator!);
        Expect<ArgumentOutOfRangeException>("fm-generator-no-lora", () => FitFlow(ml, options),
            "Option LoraRank is 2", "(PlainGenerator) does not implement ILoraAdaptable", "expected LoraRank = 0 with Method = Raft");
    }

    [TestMethod]
    public void FlowUndefinedMethod()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.Method = (FineTuningMethod)42;
        Expect<ArgumentOutOfRangeException>("fm-method-undefined", () => FitFlow(ml, options),
            "Option Method is 42", "expected one of Adrpo");
    }

    [TestMethod]
    public void FlowMetricsPathThatIsAFolder()
    {
        var ml = new MLContext(seed: 1);
        var options = FlowOptions(ml);
        options.MetricsCsvPath = _dir;
        Expect<ArgumentOutOfRangeException>("fm-metrics-path-folder", () => FitFlow(ml, options),
            "Option MetricsCsvPath", "expected null or the path of a CSV file (not a folder)");
    }

    public sealed class FlatImage768
    {
        [VectorType(768)]
        public float[] Image { get; set; } = Array.Empty<float>();

        public float Label { get; set; }
    }

    public sealed class SinglePromptRow
    {
        public float Prompt { get; set; }
    }

    /// <summary>A velocity model without LoRA support (delegates to a DiT).</summary>
    private sealed class PlainGenerator(DitVelocityModel inner) : IConditionalVelocityModel
    {
        public long[] SampleShape => inner.SampleShape;

        public int ConditionDimension => inner.ConditionDimension;

        public bool AdaptersEnabled { get; set; } = true;

        public Tensor Forward(Tensor xt, Tensor t, Tensor condition) => inner.Forward(xt, t, condition);

        public IReadOnlyList<Parameter> TrainableParameters() => inner.parameters().ToList();

        public void SetTraining(bool training) => inner.SetTraining(training);

        public void Dispose() => inner.Dispose();
    }
}
