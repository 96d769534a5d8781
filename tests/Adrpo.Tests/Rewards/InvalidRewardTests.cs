using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class InvalidRewardTests
{
    [TestMethod]
    public void NaNIsNotApplicableAndInfinityInvalidatesOnlyItsRow()
    {
        var ml = new MLContext(seed: 1);
        // "nan" -> NaN, "inf" -> +Inf, anything else -> its length.
        var odd = RewardMappings.Fit<CompletionText, FloatScore>(ml, (i, o) => o.Score = i.Completion switch
        {
            "nan" => float.NaN,
            "inf" => float.PositiveInfinity,
            _ => i.Completion.Length,
        });
        var scorer = new RewardScorer(ml, new[] { new RewardModel(odd, name: "odd"), new RewardModel(RewardMappings.Length(ml), weight: 10, name: "length") });

        var batch = scorer.Score(new[] { "p", "p", "p", "p" }, new[] { "ab", "nan", "abcd", "inf" });

        CollectionAssert.AreEqual(new[] { true, true, true, false }, batch.Valid);
        Assert.AreEqual(1, batch.InvalidCount);
        Assert.AreEqual(22f, batch.Total[0]);
        Assert.AreEqual(30f, batch.Total[1], "NaN means 'not applicable': the row's total is the other model's 10 x 3 alone");
        Assert.AreEqual(44f, batch.Total[2]);
        Assert.IsTrue(float.IsNaN(batch.Total[3]), "an infinite score invalidates its row; its total is NaN");
        Assert.IsTrue(float.IsNaN(batch.PerModel["odd"][1]));
        CollectionAssert.AreEqual(new float[] { 2, 3, 4, 3 }, batch.PerModel["length"], "the other model's scores are kept");
    }

    [TestMethod]
    public void ATransformerThatThrowsWhileScoringIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var throwing = RewardMappings.Fit<CompletionText, FloatScore>(ml, (i, o) => o.Score = i.Completion == "boom" ? throw new FormatException("cannot parse boom") : 1);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(RewardMappings.Length(ml)), new RewardModel(throwing, name: "parser") });

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(new[] { "p", "p" }, new[] { "ok", "boom" }));

        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 1 ('parser') failed while scoring 2 samples");
        StringAssert.Contains(ex.ToString(), "cannot parse boom");
    }

    [TestMethod]
    public void ATransformerThatDropsRowsIsRejected()
    {
        var ml = new MLContext(seed: 1);
        var filtering = new DelegatingTransformer(RewardMappings.Length(ml), transform: view => ml.Data.FilterRowsByColumn(view, "Score", lowerBound: 3));
        var scorer = new RewardScorer(ml, new[] { new RewardModel(filtering, name: "filter") });

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(new[] { "p", "p", "p" }, new[] { "a", "abcd", "ab" }));

        StringAssert.Contains(ex.Message, "reward model 0 ('filter') returned 1 rows for 3 samples");
    }

    [TestMethod]
    public void ATransformerThatAddsRowsIsRejected()
    {
        var ml = new MLContext(seed: 1);
        var doubling = new DelegatingTransformer(RewardMappings.Length(ml), transform: view => ml.Data.LoadFromEnumerable(
            Enumerable.Range(0, 4).Select(i => new FloatScore { Score = i })));
        var scorer = new RewardScorer(ml, new[] { new RewardModel(doubling, name: "adder") });

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(new[] { "p", "p" }, new[] { "a", "b" }));

        StringAssert.Contains(ex.Message, "reward model 0 ('adder') returned more than 2 rows for 2 samples");
    }
}
