using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

/// <summary>RewardModel.FromFunction / FromImageFunction: C# lambdas scored through the ordinary transformer path.</summary>
[TestClass]
public sealed class FunctionRewardTests
{
    [TestMethod]
    public void TextFunctionScoresEachPromptAndCompletionWithItsWeight()
    {
        var calls = new List<(string, string)>();
        var reward = RewardModel.FromFunction((prompt, completion) =>
        {
            calls.Add((prompt, completion));
            return completion.Length - prompt.Length;
        }, weight: 2.0, name: "longer");
        Assert.AreEqual("longer", reward.Name);
        Assert.AreEqual(2.0, reward.Weight);

        var scorer = new RewardScorer(new MLContext(seed: 1), [reward]);
        var batch = scorer.Score(["ab", "abc"], ["abcd", "a"]);
        CollectionAssert.AreEqual(new[] { 2.0f, -2.0f }, batch.PerModel["longer"].ToArray());
        CollectionAssert.AreEqual(new[] { 4.0f, -4.0f }, batch.Total);
        CollectionAssert.AreEqual(new[] { ("ab", "abcd"), ("abc", "a") }, calls);
    }

    [TestMethod]
    public void ImageFunctionReadsTheWholeImageOfAnyShape()
    {
        // Two shapes: the function's input is a variable-size vector, so any fixed image shape binds.
        var reward = RewardModel.FromImageFunction((prompt, image) => prompt == "dark" ? -image.Average() : image.Sum(), name: "pixels");
        foreach (int[] shape in new[] { new[] { 3, 4, 4 }, new[] { 1, 2, 3 } })
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var bright = Enumerable.Repeat(0.5f, n).ToArray();
            var scorer = new RewardScorer(new MLContext(seed: 1), [reward], RewardSampleColumn.Image(shape));
            scorer.ValidateSchema();
            var batch = scorer.Score(["light", "dark"], [bright, bright]);
            CollectionAssert.AreEqual(new[] { 0.5f * n, -0.5f }, batch.PerModel["pixels"].ToArray(), $"shape [{string.Join(", ", shape)}]");
        }
    }

    [TestMethod]
    public void ANonFiniteScoreMarksTheSampleInvalidAndNullIsRejected()
    {
        var reward = RewardModel.FromFunction((_, completion) => completion == "bad" ? float.NaN : 1f);
        var batch = new RewardScorer(new MLContext(seed: 1), [reward]).Score(["p", "p"], ["good", "bad"]);
        Assert.AreEqual(1f, batch.Total[0]);
        CollectionAssert.AreEqual(new[] { true, false }, batch.Valid, "a NaN score marks its sample invalid");
        Assert.AreEqual(1, batch.InvalidCount);
        Assert.AreEqual("score", Assert.ThrowsExactly<ArgumentNullException>(() => RewardModel.FromFunction(null!)).ParamName);
        Assert.AreEqual("score", Assert.ThrowsExactly<ArgumentNullException>(() => RewardModel.FromImageFunction(null!)).ParamName);
    }
}
