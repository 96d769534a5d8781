using Adrpo.Rewards;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class TrainedRewardModelTests
{
    public sealed class Labelled
    {
        public string Completion { get; set; } = string.Empty;

        public float Label { get; set; }
    }

    [TestMethod]
    public void ATrainedTextRegressionPipelineScoresLikeItsOwnTransform()
    {
        var ml = new MLContext(seed: 7);
        var training = ml.Data.LoadFromEnumerable(new[]
        {
            new Labelled { Completion = "the answer is 4 because 2 plus 2 is 4", Label = 1 },
            new Labelled { Completion = "4", Label = 0.8f },
            new Labelled { Completion = "I do not know", Label = 0 },
            new Labelled { Completion = "the answer is 5", Label = 0.1f },
            new Labelled { Completion = "2 plus 2 makes 4", Label = 0.9f },
            new Labelled { Completion = "bananas", Label = 0 },
        });
        var model = ml.Transforms.Text.FeaturizeText("Features", "Completion")
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features", maximumNumberOfIterations: 20))
            .Fit(training);
        string[] completions = { "the answer is 4", "no idea", "2 plus 2 is 4", "" };
        var scorer = new RewardScorer(ml, new[] { new RewardModel(model, weight: 2, name: "sdca") });
        scorer.ValidateSchema();

        var batch = scorer.Score(Enumerable.Repeat("what is 2 + 2?", completions.Length).ToArray(), completions);

        // The same model applied directly to a view built independently of the scorer.
        var direct = model.Transform(ml.Data.LoadFromEnumerable(completions.Select(c => new Labelled { Completion = c })));
        float[] expected = direct.GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(expected, batch.PerModel["sdca"]);
        CollectionAssert.AreEqual(expected.Select(e => 2 * e).ToArray(), batch.Total);
        Assert.IsTrue(expected.Distinct().Count() > 1, "the model should tell the completions apart");
    }
}
