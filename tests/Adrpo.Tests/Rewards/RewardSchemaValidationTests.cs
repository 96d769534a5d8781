using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class RewardSchemaValidationTests
{
    private static RewardScorer TextScorer(MLContext ml, RewardModel model) =>
        new(ml, new[] { new RewardModel(RewardMappings.Length(ml), name: "fine"), model });

    [TestMethod]
    public void MissingInputColumnNamesModelColumnTypeAndWhatIsProvided()
    {
        var ml = new MLContext(seed: 1);
        var needsFeatures = RewardMappings.Fit<FeatureVector, FloatScore>(ml, (i, o) => o.Score = i.Features.Sum());
        var scorer = TextScorer(ml, new RewardModel(needsFeatures, name: "length"));

        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);

        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 1 ('length') needs an input column 'Features'");
        // The column type its input class declares, and the member it binds to.
        StringAssert.Contains(ex.Message, "of type Vector<Single, 4> (CustomMapping input FeatureVector.Features, System.Single[])");
        StringAssert.Contains(ex.Message, "does not provide: it provides 'Prompt' (String) and 'Completion' (String)");
        Assert.IsNotNull(ex.InnerException, "the transformer's own exception is kept");
    }

    [TestMethod]
    public void MissingScoreColumnListsTheOutputColumns()
    {
        var ml = new MLContext(seed: 1);
        var scorer = TextScorer(ml, new RewardModel(RewardMappings.Length(ml), scoreColumnName: "Reward", name: "len"));

        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);

        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 1 ('len') has no score column 'Reward'");
        StringAssert.Contains(ex.Message, "Single or a Single vector of length 1");
        StringAssert.Contains(ex.Message, "'Score' (Single)");
    }

    [TestMethod]
    public void ScoreColumnOfTheWrongTypeIsRejected()
    {
        var ml = new MLContext(seed: 1);
        var boolean = RewardMappings.Fit<CompletionText, BoolScore>(ml, (i, o) => o.Score = i.Completion.Length > 3);
        var scorer = TextScorer(ml, new RewardModel(boolean, name: "long"));

        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);

        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 1 ('long'): score column 'Score' must be Single or a Single vector of length 1, but is Boolean");
        // Score validates before running anything, with the same message.
        Assert.AreEqual(ex.Message, Assert.ThrowsExactly<ArgumentException>(() => scorer.Score(new[] { "p" }, new[] { "c" })).Message);

        var two = RewardMappings.Fit<CompletionText, TwoScores>(ml, (i, o) => o.Score = new float[] { 1, 2 });
        ex = Assert.ThrowsExactly<ArgumentException>(TextScorer(ml, new RewardModel(two, name: "pair")).ValidateSchema);
        StringAssert.Contains(ex.Message, "reward model 1 ('pair'): score column 'Score' must be Single or a Single vector of length 1, but is Vector<Single, 2>");
    }

    [TestMethod]
    public void VectorDimensionMismatchNamesBothShapes()
    {
        // A model trained on flat 12-float feature vectors; CustomMapping would not do here, as it does not check
        // vector dimensions at all.
        var ml = new MLContext(seed: 1);
        var model = TrainFlat12(ml);

        var wrongLength = new RewardScorer(ml, new[] { new RewardModel(model, name: "flat") }, RewardSampleColumn.Vector("Features", 3, 4, 4));
        var ex = Assert.ThrowsExactly<ArgumentException>(wrongLength.ValidateSchema);
        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 0 ('flat') needs input column 'Features' as Vector<Single, 12>, but the scorer provides it as Vector<Single, 3, 4, 4>.");

        // Same number of floats, other shape: ML.NET still rejects it, and the message says how to declare the column.
        var wrongShape = new RewardScorer(ml, new[] { new RewardModel(model, name: "flat") }, RewardSampleColumn.Vector("Features", 3, 2, 2));
        ex = Assert.ThrowsExactly<ArgumentException>(wrongShape.ValidateSchema);
        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "Both hold 12 floats: declare the sample column as RewardSampleColumn.Vector(\"Features\", 12).");

        new RewardScorer(ml, new[] { new RewardModel(model) }, RewardSampleColumn.Vector("Features", 12)).ValidateSchema();
    }

    [TestMethod]
    public void MissingInputOfATrainedModelNamesTheColumnType()
    {
        var ml = new MLContext(seed: 1);
        var scorer = TextScorer(ml, new RewardModel(TrainFlat12(ml), name: "flat"));

        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);

        StringAssert.Contains(ex.Message, "reward model 1 ('flat') needs an input column 'Features' of type Vector<Single, 12> which the scorer does not provide");
    }

    private static ITransformer TrainFlat12(MLContext ml)
    {
        var random = new Random(1);
        var rows = Enumerable.Range(0, 20).Select(_ => new Flat12 { Features = Enumerable.Range(0, 12).Select(_ => (float)random.NextDouble()).ToArray(), Label = 1 });
        return ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 2).Fit(ml.Data.LoadFromEnumerable(rows));
    }

    public sealed class Flat12
    {
        [Microsoft.ML.Data.VectorType(12)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public float Label { get; set; }
    }

    [TestMethod]
    public void TextModelOnImageSamplesNamesTheTextColumn()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(RewardMappings.Length(ml), name: "length") }, RewardSampleColumn.Image(3, 32, 32));

        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);

        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 0 ('length') needs an input column 'Completion'");
        StringAssert.Contains(ex.Message, "'Prompt' (String) and 'Image' (Vector<Single, 3, 32, 32>)");
    }

    [TestMethod]
    public void OtherTransformerExceptionsAreWrappedWithTheModelName()
    {
        var ml = new MLContext(seed: 1);
        var broken = new DelegatingTransformer(RewardMappings.Length(ml), getOutputSchema: _ => throw new NotSupportedException("custom failure"));
        var scorer = TextScorer(ml, new RewardModel(broken, name: "broken"));

        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);

        StringAssert.Contains(ex.Message, "reward model 1 ('broken')");
        StringAssert.Contains(ex.Message, "custom failure");
        Assert.IsInstanceOfType<NotSupportedException>(ex.InnerException);
    }
}
