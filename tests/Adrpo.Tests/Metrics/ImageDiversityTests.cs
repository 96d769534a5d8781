using Adrpo.Metrics;

namespace Adrpo.Tests.Metrics;

/// <summary>The distance arithmetic and the grouping, with a stand-in embedder (no model).</summary>
[TestClass]
public sealed class ImageDiversityTests
{
    /// <summary>Returns each image itself as its embedding, so distances are checkable by hand.</summary>
    private sealed class IdentityEmbedder : IImageEmbedder
    {
        public int Dimension => 2;

        public int Calls { get; private set; }

        public float[][] Embed(IReadOnlyList<float[]> images, int channels, int height, int width)
        {
            Calls++;
            return images.Select(x => (float[])x.Clone()).ToArray();
        }
    }

    [TestMethod]
    public void MeanPairwiseDistanceOfThreeVectorsMatchesTheHandValue()
    {
        // |b - a| = 5, |c - a| = 10, |c - b| = 5 (3-4-5 triangles): mean 20 / 3.
        float[] a = [0, 0, 1], b = [3, 4, 1], c = [6, 8, 1];
        Assert.AreEqual(20.0 / 3.0, ImageDiversity.MeanPairwiseDistance([a, b, c]), 1e-12);
        // One pair: the plain distance; order does not matter.
        Assert.AreEqual(5.0, ImageDiversity.MeanPairwiseDistance([c, b]), 1e-12);
    }

    [TestMethod]
    public void FewerThanTwoVectorsOrIdenticalVectorsGiveZero()
    {
        Assert.AreEqual(0.0, ImageDiversity.MeanPairwiseDistance(Array.Empty<float[]>()));
        Assert.AreEqual(0.0, ImageDiversity.MeanPairwiseDistance([[1f, 2f]]));
        Assert.AreEqual(0.0, ImageDiversity.MeanPairwiseDistance([[1f, 2f], [1f, 2f], [1f, 2f]]));
    }

    [TestMethod]
    public void UnequalLengthsNullsAndNaNAreRejectedNamingTheList()
    {
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => ImageDiversity.MeanPairwiseDistance([[1f, 2f], [1f]]));
        Assert.AreEqual("embeddings", e1.ParamName);
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => ImageDiversity.MeanPairwiseDistance([[1f, 2f], [1f, float.NaN]]));
        Assert.AreEqual("embeddings", e2.ParamName);
        var e3 = Assert.ThrowsExactly<ArgumentNullException>(() => ImageDiversity.MeanPairwiseDistance([[1f], null!]));
        Assert.AreEqual("embeddings", e3.ParamName);
    }

    [TestMethod]
    public void GroupedDiversityAveragesEachGroupsOwnMean()
    {
        // Group 1: {(0,0), (3,4)} -> 5. Group 2: {(0,0), (0,1)} -> 1. Pooled over all four the mean would differ.
        float[][] embeddings = [[0, 0], [3, 4], [0, 0], [0, 1]];
        Assert.AreEqual(3.0, ImageDiversity.MeanPairwiseDistanceOverGroups(embeddings, 2), 1e-12);

        var embedder = new IdentityEmbedder();
        var diversity = new ImageDiversity(embedder);
        Assert.AreEqual(3.0, diversity.MeanOverGroups(embeddings, groupSize: 2, channels: 1, height: 1, width: 2), 1e-12);
        Assert.AreEqual(ImageDiversity.MeanPairwiseDistance(embeddings), diversity.Measure(embeddings, 1, 1, 2), 1e-12);
        Assert.AreEqual(2, embedder.Calls, "each call embeds its images once");
    }

    [TestMethod]
    public void GroupsMustBeWholeAndHoldAtLeastTwoSamples()
    {
        var diversity = new ImageDiversity(new IdentityEmbedder());
        float[][] three = [[0, 0], [1, 1], [2, 2]];
        var partial = Assert.ThrowsExactly<ArgumentException>(() => diversity.MeanOverGroups(three, 2, 1, 1, 2));
        Assert.AreEqual("images", partial.ParamName);
        var single = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => diversity.MeanOverGroups(three, 1, 1, 1, 2));
        Assert.AreEqual("groupSize", single.ParamName);
        var empty = Assert.ThrowsExactly<ArgumentException>(() => ImageDiversity.MeanPairwiseDistanceOverGroups(Array.Empty<float[]>(), 2));
        Assert.AreEqual("embeddings", empty.ParamName);
    }
}
