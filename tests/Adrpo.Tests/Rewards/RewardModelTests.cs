using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class RewardModelTests
{
    [TestMethod]
    public void DefaultsAreWeightOneAndScoreColumnScore()
    {
        var model = new RewardModel(RewardMappings.Length(new MLContext(seed: 1)));
        Assert.AreEqual(1.0, model.Weight);
        Assert.AreEqual("Score", model.ScoreColumnName);
        Assert.IsNull(model.Name);
    }

    [TestMethod]
    public void BadArgumentsAreRejected()
    {
        var t = RewardMappings.Length(new MLContext(seed: 1));
        Assert.AreEqual("transformer", Assert.ThrowsExactly<ArgumentNullException>(() => new RewardModel(null!)).ParamName);
        Assert.AreEqual("weight", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RewardModel(t, double.NaN)).ParamName);
        Assert.AreEqual("weight", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RewardModel(t, double.PositiveInfinity)).ParamName);
        Assert.AreEqual("scoreColumnName", Assert.ThrowsExactly<ArgumentException>(() => new RewardModel(t, 1, "")).ParamName);
        Assert.AreEqual("name", Assert.ThrowsExactly<ArgumentException>(() => new RewardModel(t, 1, "Score", " ")).ParamName);
    }

    [TestMethod]
    public void ScorerRejectsNoModelsDuplicateNamesAndClashingColumns()
    {
        var ml = new MLContext(seed: 1);
        var t = RewardMappings.Length(ml);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new RewardScorer(ml, Array.Empty<RewardModel>())).Message, "At least one");
        var duplicate = Assert.ThrowsExactly<ArgumentException>(() => new RewardScorer(ml, new[] { new RewardModel(t, name: "len"), new RewardModel(t, name: "len") }));
        StringAssert.Contains(duplicate.Message, "Reward models 0 and 1 are both named 'len'");
        // Unnamed models get "reward{index}", which an explicit name can collide with.
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new RewardScorer(ml, new[] { new RewardModel(t), new RewardModel(t, name: "reward0") })).Message, "'reward0'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new RewardScorer(ml, new[] { new RewardModel(t) }, RewardSampleColumn.Text("Prompt"))).Message, "both named 'Prompt'");
        Assert.ThrowsExactly<ArgumentException>(() => RewardSampleColumn.Image(3, 0, 32));
        Assert.ThrowsExactly<ArgumentException>(() => RewardSampleColumn.Vector("Image"));
    }
}
