using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class VectorRewardScoringTests
{
    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * 32 * 32).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [TestMethod]
    public void ImageSamplesAreScoredExactly()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(RewardMappings.MeanPixel(ml), weight: 3, name: "brightness") }, RewardSampleColumn.Image(3, 32, 32));
        scorer.ValidateSchema();
        var images = new[] { Image(1), Image(2), new float[3 * 32 * 32] };

        var batch = scorer.Score(new[] { "a", "b", "c" }, images);

        // The mapping computes Average() over the same floats in the same order, so the scores are bit-identical.
        CollectionAssert.AreEqual(images.Select(i => i.Average()).ToArray(), batch.PerModel["brightness"]);
        CollectionAssert.AreEqual(images.Select(i => (float)(3.0 * i.Average())).ToArray(), batch.Total);
        Assert.AreEqual("Vector<Single, 3, 32, 32>", scorer.InputSchema["Image"].Type.ToString());
    }

    [TestMethod]
    public void SamplesOfTheWrongLengthAreRejectedWithTheIndex()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(RewardMappings.MeanPixel(ml)) }, RewardSampleColumn.Image(3, 32, 32));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => scorer.Score(new[] { "a", "b" }, new[] { Image(1), new float[3 * 32 * 31] }));
        StringAssert.Contains(ex.Message, "index 1 has 2976 values");
        StringAssert.Contains(ex.Message, "3072 (3x32x32)");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(new[] { "a" }, new[] { "text" })).Message, "vector");
    }
}
