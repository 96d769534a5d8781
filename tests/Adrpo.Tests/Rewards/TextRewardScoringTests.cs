using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

[TestClass]
public sealed class TextRewardScoringTests
{
    private static readonly string[] Prompts = { "red circle", "red circle", "blue square", "blue square" };
    private static readonly string[] Completions = { "red", "a large red disc", "", "a square that is blue" };

    [TestMethod]
    public void TotalIsTheWeightedSumOfEachModelsScoreInSampleOrder()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[]
        {
            new RewardModel(RewardMappings.Length(ml), weight: 0.5, name: "length"),
            new RewardModel(RewardMappings.EchoesPrompt(ml), weight: -2, name: "echo"),
        });
        scorer.ValidateSchema();

        var batch = scorer.Score(Prompts, Completions);

        // Lengths 3, 16, 0, 21; the completion contains the prompt's first word in rows 0, 1 and 3.
        CollectionAssert.AreEqual(new float[] { 3, 16, 0, 21 }, batch.PerModel["length"]);
        CollectionAssert.AreEqual(new float[] { 1, 1, 0, 1 }, batch.PerModel["echo"]);
        CollectionAssert.AreEqual(new float[] { (0.5f * 3) - 2, (0.5f * 16) - 2, 0, (0.5f * 21) - 2 }, batch.Total);
        CollectionAssert.AreEqual(new[] { true, true, true, true }, batch.Valid);
        Assert.AreEqual(0, batch.InvalidCount);
        Assert.AreEqual(4, batch.Count);
        CollectionAssert.AreEqual(new[] { "length", "echo" }, batch.PerModel.Keys.ToArray());
    }

    [TestMethod]
    public void ColumnNamesAreConfigurableAndUnnamedModelsGetIndexNames()
    {
        var ml = new MLContext(seed: 1);
        // The model reads "Completion"; the scorer calls its sample column "Answer", so the user renames it back.
        var pipeline = ml.Transforms.CopyColumns("Completion", "Answer").Append(ml.Transforms.CustomMapping<CompletionText, FloatScore>((i, o) => o.Score = i.Completion.Length, null));
        var view = ml.Data.LoadFromEnumerable(new[] { new { Question = "q", Answer = "a" } });
        var model = pipeline.Fit(view);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(model) }, RewardSampleColumn.Text("Answer"), promptColumnName: "Question");

        var batch = scorer.Score(new[] { "q1", "q2" }, new[] { "four", "sixsix" });

        CollectionAssert.AreEqual(new float[] { 4, 6 }, batch.PerModel["reward0"]);
        CollectionAssert.AreEqual(new[] { "Question", "Answer" }, scorer.InputSchema.Select(c => c.Name).ToArray());
    }

    [TestMethod]
    public void LargeBatchesKeepOrderAndCount()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(RewardMappings.Length(ml)) });
        string[] completions = Enumerable.Range(0, 1000).Select(i => new string('x', i % 97)).ToArray();

        var batch = scorer.Score(Enumerable.Repeat("p", 1000).ToArray(), completions);

        CollectionAssert.AreEqual(completions.Select(c => (float)c.Length).ToArray(), batch.Total);
    }

    [TestMethod]
    public void BadBatchesAreRejected()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[] { new RewardModel(RewardMappings.Length(ml)) });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => scorer.Score(new[] { "p" }, new[] { "a", "b" })).Message, "1 prompts but 2 completions");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => scorer.Score(new[] { "p", "p" }, new[] { "a", null! })).Message, "index 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => scorer.Score(new[] { null!, "p" }, new[] { "a", "b" })).Message, "index 0");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(new[] { "p" }, new[] { new float[3] })).Message, "text");
        Assert.AreEqual(0, scorer.Score(Array.Empty<string>(), Array.Empty<string>()).Count);
    }
}
