using Adrpo.Rewards;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Rewards;

/// <summary>FromFunction(sample) / FromBatchFunction and the dataset columns they read through RewardSample; a
/// transformer reward reading a dataset column; declared columns checked before scoring.</summary>
[TestClass]
public sealed class RewardFunctionTests
{
    [TestMethod]
    public void WeightedSumsLeaveOutNullAndNaNPerModelAndCountThem()
    {
        // Four samples; hand-computed per model (weight): length (2), batch (1), picky (0.5).
        //   completions   "a"  "bb"  "ccc"  "dddd"
        //   length        1    2     3      4
        //   batch         10   null  NaN    null
        //   picky         null -1    -1     null
        //   total         2+10 = 12; 4-0.5 = 3.5; 6-0.5 = 5.5; 8
        var length = RewardModel.FromFunction(s => s.Completion.Length, weight: 2, name: "length");
        var batch = RewardModel.FromBatchFunction(b => new float?[] { 10, null, float.NaN, null }, name: "batch");
        var picky = RewardModel.FromFunction(s => s.Completion.Length is 2 or 3 ? -1f : null, weight: 0.5, name: "picky");
        var scored = new RewardScorer(new MLContext(seed: 1), [length, batch, picky]).Score(["p", "p", "q", "q"], ["a", "bb", "ccc", "dddd"]);

        CollectionAssert.AreEqual(new[] { 12f, 3.5f, 5.5f, 8f }, scored.Total);
        CollectionAssert.AreEqual(new[] { true, true, true, true }, scored.Valid);
        Assert.AreEqual(3, scored.PerModel["batch"].Count(float.IsNaN), "null is stored as NaN in PerModel");
        string warning = scored.DescribeExcluded("Iteration 1")!;
        StringAssert.Contains(warning, "reward model 1 ('batch') was not applicable to 3 of 4 samples (null or NaN)");
        StringAssert.Contains(warning, "reward model 2 ('picky') was not applicable to 2 of 4 samples (null or NaN)");
        Assert.IsFalse(warning.Contains("invalid", StringComparison.Ordinal), warning);
    }

    [TestMethod]
    public void ASampleNoModelAppliesToIsInvalidAndSaysSo()
    {
        var maybe = RewardModel.FromFunction(s => s.Completion == "x" ? null : 1f, name: "maybe");
        var never = RewardModel.FromBatchFunction(b => b.Select(_ => (float?)null).ToArray(), name: "never");
        var scored = new RewardScorer(new MLContext(seed: 1), [maybe, never]).Score(["p", "p"], ["x", "y"]);
        CollectionAssert.AreEqual(new[] { false, true }, scored.Valid);
        Assert.IsTrue(float.IsNaN(scored.Total[0]));
        Assert.AreEqual(1f, scored.Total[1]);
        StringAssert.Contains(scored.DescribeExcluded("Iteration 2")!, "Iteration 2: 1 of 2 rewards were invalid (no reward model applied to 1 sample(s))");

        var none = new RewardScorer(new MLContext(seed: 1), [never]).Score(["p"], ["x"]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => none.RequireSomeValid(4));
        StringAssert.Contains(e.Message, "Iteration 4: every reward was invalid (reward model 0 ('never') returned 1 of 1 null or NaN scores (not applicable))");
    }

    [TestMethod]
    public void FunctionsReadDatasetColumnsOfTheirPromptsRow()
    {
        var ml = new MLContext(seed: 1);
        var dataset = Dataset(ml, new QaRow("1+1", "2", 0.5f, [1, 2]), new QaRow("2+2", "4", 1.5f, [3, 4]), new QaRow("1+1", "ignored", 9f, [9, 9]));
        CollectionAssert.AreEqual(new[] { "1+1", "2+2" }, dataset.Prompts.ToArray(), "distinct prompts, first-seen order");
        StringAssert.Contains(dataset.RepeatedPromptWarning, "1 prompt(s) repeat in rows whose other columns differ (e.g. '1+1' in column(s) 'Answer', 'Weight', 'Features')");
        Assert.IsNull(Dataset(ml, new QaRow("1+1", "2", 0.5f, [1, 2]), new QaRow("1+1", "2", 0.5f, [1, 2])).RepeatedPromptWarning, "equal repeated rows are not worth a warning");
        var seen = new List<string>();
        var accuracy = RewardModel.FromFunction(s => s.Completion.Trim() == s["Answer"] ? 1f : 0f, name: "accuracy", columns: ["Answer"]);
        var weighted = RewardModel.FromBatchFunction(b =>
        {
            seen.AddRange(b.Select(s => $"{s.Prompt}:{s.Column<float>("Weight")}:{string.Join(",", s.Column<float[]>("Features"))}"));
            return b.Select(s => (float?)s.Column<float>("Weight")).ToArray();
        }, weight: 10, name: "weight", columns: ["Weight", "Features"]);
        var scorer = new RewardScorer(ml, [accuracy, weighted], dataset);
        scorer.ValidateSchema();

        var scored = scorer.Score(["1+1", "2+2", "1+1"], [" 2 ", "5", "3"]);
        CollectionAssert.AreEqual(new[] { 1f, 0f, 0f }, scored.PerModel["accuracy"]);
        CollectionAssert.AreEqual(new[] { 6f, 15f, 5f }, scored.Total, "accuracy + 10 x the first row's Weight");
        CollectionAssert.AreEqual(new[] { "1+1:0.5:1,2", "2+2:1.5:3,4", "1+1:0.5:1,2" }, seen, "the first row of a repeated prompt gives its columns");
    }

    [TestMethod]
    public void AMissingOrMistypedColumnIsNamedWithTheColumnsThereAre()
    {
        var ml = new MLContext(seed: 1);
        var dataset = Dataset(ml, new QaRow("1+1", "2", 0.5f, [1, 2]));
        var missing = new RewardScorer(ml, [RewardModel.FromFunction(s => s["Answr"] == "2" ? 1f : 0f, name: "typo")], dataset);
        var e1 = Assert.ThrowsExactly<InvalidOperationException>(() => missing.Score(["1+1"], ["2"]));
        StringAssert.Contains(e1.Message, "reward model 0 ('typo') failed while scoring 1 samples: KeyNotFoundException: The reward sample has no column 'Answr'");
        StringAssert.Contains(e1.Message, "the training data's columns are 'Answer' (String), 'Weight' (Single), 'Features' (Vector<Single, 2>)");

        var mistyped = new RewardScorer(ml, [RewardModel.FromFunction(s => s["Weight"].Length, name: "text")], dataset);
        var e2 = Assert.ThrowsExactly<InvalidOperationException>(() => mistyped.Score(["1+1"], ["2"]));
        StringAssert.Contains(e2.Message, "InvalidCastException: Column 'Weight' is Single: read it with Column<float>(\"Weight\"), not as string");

        var vector = new RewardScorer(ml, [RewardModel.FromFunction(s => s.Column<double[]>("Features").Length, name: "vector")], dataset);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => vector.Score(["1+1"], ["2"])).Message,
            "Column 'Features' is Vector<Single, 2>: read it with Column<float[]>(\"Features\"), not as double[]");

        var image = new RewardScorer(ml, [RewardModel.FromFunction(s => s.Image.Length, name: "image")], dataset);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => image.Score(["1+1"], ["2"])).Message, "read RewardSample.Completion");
    }

    [TestMethod]
    public void ADeclaredColumnTheDataLacksFailsValidationNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var dataset = Dataset(ml, new QaRow("1+1", "2", 0.5f, [1, 2]));
        var reward = RewardModel.FromFunction(s => s["Solution"] == s.Completion ? 1f : 0f, name: "accuracy", columns: ["Answer", "Solution"]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new RewardScorer(ml, [reward], dataset).ValidateSchema());
        StringAssert.Contains(e.Message, "reward model 0 ('accuracy') reads column 'Solution' (declared in columns:), which the training data does not have");
        StringAssert.Contains(e.Message, "'Prompt' (String), 'Completion' (String), 'Answer' (String), 'Weight' (Single) and 'Features' (Vector<Single, 2>)");
        Assert.ThrowsExactly<ArgumentException>(() => RewardModel.FromFunction(s => 1f, columns: ["Answer", " "]));
    }

    [TestMethod]
    public void ATransformerRewardReadsADatasetColumnAsAnInputColumn()
    {
        var ml = new MLContext(seed: 1);
        var dataset = Dataset(ml, new QaRow("1+1", "2", 0.5f, [1, 2]), new QaRow("2+2", "4", 1.5f, [3, 4]));
        var exact = RewardMappings.Fit<CompletionAndAnswer, FloatScore>(ml, (i, o) => o.Score = i.Completion == i.Answer ? 1 : 0);
        var scorer = new RewardScorer(ml, [new RewardModel(exact, name: "exact")], dataset);
        scorer.ValidateSchema();
        CollectionAssert.AreEqual(new[] { 1f, 0f, 1f }, scorer.Score(["1+1", "1+1", "2+2"], ["2", "4", "4"]).Total);

        // Without the column (a scorer outside a trainer) the existing diagnosis names it.
        var e = Assert.ThrowsExactly<ArgumentException>(() => new RewardScorer(ml, [new RewardModel(exact, name: "exact")]).ValidateSchema());
        StringAssert.Contains(e.Message, "needs an input column 'Answer'");
        StringAssert.Contains(e.Message, "it provides 'Prompt' (String) and 'Completion' (String)");
    }

    [TestMethod]
    public void AFunctionThatReturnsTheWrongNumberOfScoresIsNamed()
    {
        var short1 = RewardModel.FromBatchFunction(b => new float?[] { 1 }, name: "short");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new RewardScorer(new MLContext(seed: 1), [short1]).Score(["p", "p"], ["a", "b"]));
        StringAssert.Contains(e.Message, "reward model 0 ('short') returned 1 scores for 2 samples");
    }

    internal static RewardDatasetColumns Dataset(MLContext ml, params QaRow[] rows)
    {
        var view = ml.Data.LoadFromEnumerable(rows.Select(r => new QaData { Prompt = r.Prompt, Answer = r.Answer, Weight = r.Weight, Features = r.Features }).ToList());
        return RewardDatasetColumns.Read(view, view.Schema["Prompt"], "Completion", (_, _) => { });
    }

    internal sealed record QaRow(string Prompt, string Answer, float Weight, float[] Features);

    internal sealed class QaData
    {
        public string Prompt { get; set; } = string.Empty;

        public string Answer { get; set; } = string.Empty;

        public float Weight { get; set; }

        [VectorType(2)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class CompletionAndAnswer
    {
        public string Completion { get; set; } = string.Empty;

        public string Answer { get; set; } = string.Empty;
    }
}
