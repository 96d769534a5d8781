using Adrpo.Rewards;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class OnnxRewardModelTests
{
    private const int Pixels = 3 * 4 * 4;

    public sealed class FlatImage
    {
        [VectorType(Pixels)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public float Label { get; set; }
    }

    public sealed class FeaturesOnly
    {
        [VectorType(Pixels)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void AnOnnxExportOfATrainedModelScoresLikeTheModelToAFewUlps()
    {
        var ml = new MLContext(seed: 3);
        var random = new Random(3);
        float[] Image() => Enumerable.Range(0, Pixels).Select(_ => (float)random.NextDouble()).ToArray();
        var training = Enumerable.Range(0, 64).Select(_ => Image()).Select(x => new FlatImage { Features = x, Label = x.Take(16).Sum() - x.Skip(32).Sum() }).ToArray();
        var model = ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 30).Fit(ml.Data.LoadFromEnumerable(training));

        // Export with only the feature column in the view and the output named "Score" (see platform-facts.md);
        // ApplyOnnxModel then reads output "Score.output" and the column it adds is "Score", Vector<Single, 1, 1>.
        string path = Path.Combine(Path.GetTempPath(), $"adrpo-reward-{Guid.NewGuid():N}.onnx");
        try
        {
            var featuresOnly = ml.Data.LoadFromEnumerable(training.Select(t => new FeaturesOnly { Features = t.Features }));
            using (var stream = File.Create(path))
            {
                ml.Model.ConvertToOnnx(model, featuresOnly, stream, "Score");
            }

            using var onnx = ml.Transforms.ApplyOnnxModel(new[] { "Score.output" }, new[] { "Features" }, path).Fit(featuresOnly);
            var scorer = new RewardScorer(ml, new[] { new RewardModel(onnx, weight: -1, name: "onnx") }, RewardSampleColumn.Vector("Features", Pixels));
            scorer.ValidateSchema();
            Assert.AreEqual("Vector<Single, 1, 1>", onnx.GetOutputSchema(scorer.InputSchema)["Score"].Type.ToString());
            var images = Enumerable.Range(0, 5).Select(_ => Image()).ToArray();

            var batch = scorer.Score(Enumerable.Repeat("p", images.Length).ToArray(), images);

            var direct = model.Transform(ml.Data.LoadFromEnumerable(images.Select(x => new FeaturesOnly { Features = x })));
            float[] expected = direct.GetColumn<float>("Score").ToArray();
            // ONNX Runtime sums the 48 products in another order than ML.NET: equal to a few float32 ulps (seen: 1-2),
            // not bit for bit. A wrong weight, feature or row order would be off by far more.
            Assert.AreEqual(expected.Length, batch.Count);
            for (int i = 0; i < expected.Length; i++)
            {
                float tolerance = 1e-6f * Math.Max(1, Math.Abs(expected[i]));
                Assert.AreEqual(expected[i], batch.PerModel["onnx"][i], tolerance, $"sample {i}");
                Assert.AreEqual(-expected[i], batch.Total[i], tolerance, $"total {i}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
