using Adrpo.Rewards;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Rewards;

/// <summary>
/// <see cref="RewardInputDiagnosis"/> names the column a reward transformer cannot read from schema information
/// (chain stages, declared feature columns, CustomMapping input classes, trial retyping), never from message text.
/// </summary>
[TestClass]
public sealed class RewardInputDiagnosisTests
{
    private static DataViewSchema Schema(params (string Name, DataViewType Type)[] columns)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var (name, type) in columns)
        {
            builder.AddColumn(name, type);
        }

        return builder.ToSchema();
    }

    private static DataViewSchema Text => Schema(("Prompt", TextDataViewType.Instance), ("Completion", TextDataViewType.Instance));

    public sealed class Flat6
    {
        [VectorType(6)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public float Label { get; set; }
    }

    public sealed class Part6
    {
        [VectorType(6)]
        public float[] A { get; set; } = Array.Empty<float>();

        public float Label { get; set; }
    }

    private static IDataView Flat6Rows(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new Flat6 { Features = Enumerable.Range(0, 6).Select(j => (float)(i * j % 5)).ToArray(), Label = i }));

    [TestMethod]
    public void AnAcceptedSchemaHasNoProblem()
    {
        var ml = new MLContext(seed: 1);
        Assert.IsNull(RewardInputDiagnosis.Diagnose(RewardMappings.Length(ml), Text));
    }

    [TestMethod]
    public void CustomMappingDeclaresItsColumnsThroughItsInputClass()
    {
        var ml = new MLContext(seed: 1);
        var declared = RewardInputDiagnosis.DeclaredInputs(RewardMappings.EchoesPrompt(ml));
        CollectionAssert.AreEquivalent(new[] { "Prompt", "Completion" }, declared.Select(d => d.Name).ToArray());
        Assert.IsTrue(declared.All(d => d.Type == TextDataViewType.Instance));

        var problem = RewardInputDiagnosis.Diagnose(RewardMappings.MeanPixel(ml), Text);

        Assert.IsNotNull(problem);
        Assert.AreEqual("Image", problem.Column);
        Assert.IsNull(problem.Provided, "missing, not mistyped");
        DataViewType wanted = problem.Expected; // a local: the analyzer takes any "Expected" for the expected argument
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3, 32, 32), wanted);
        Assert.AreEqual(RewardInputEvidence.Declared, problem.Evidence);
        StringAssert.Contains(problem.ExpectedDescription, "Image3x32x32.Image, System.Single[]");
    }

    [TestMethod]
    public void APredictionTransformerDeclaresItsFeatureColumnAndType()
    {
        var ml = new MLContext(seed: 1);
        var sdca = ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 1).Fit(Flat6Rows(ml));
        var input = Schema(("Prompt", TextDataViewType.Instance), ("Features", new VectorDataViewType(NumberDataViewType.Single, 2, 3)));

        var problem = RewardInputDiagnosis.Diagnose(sdca, input);

        Assert.IsNotNull(problem);
        Assert.AreEqual("Features", problem.Column);
        DataViewType wanted = problem.Expected; // a local: the analyzer takes any "Expected" for the expected argument
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 6), wanted);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2, 3), problem.Provided);
        Assert.AreEqual(RewardInputEvidence.Declared, problem.Evidence);
    }

    [TestMethod]
    public void AChainIsDiagnosedAtItsFailingStageAgainstWhatTheEarlierStagesMake()
    {
        // Concatenate(A) -> Features, then a regression on Features (6 floats). Given A as 7 floats, Concatenate
        // accepts it (it does not check sizes) and makes a 7-float Features that stage 1 rejects.
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new Part6 { A = new float[] { i, 1, 1, i, 2, 3 }, Label = i }));
        var model = ml.Transforms.Concatenate("Features", "A")
            .Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 1))
            .Fit(rows);
        var input = Schema(("Prompt", TextDataViewType.Instance), ("A", new VectorDataViewType(NumberDataViewType.Single, 7)));

        var problem = RewardInputDiagnosis.Diagnose(model, input);

        Assert.IsNotNull(problem);
        Assert.AreEqual(1, problem.Stage);
        Assert.AreEqual("Features", problem.Column);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 7), problem.Provided);
        DataViewType wanted = problem.Expected; // a local: the analyzer takes any "Expected" for the expected argument
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 6), wanted);

        // Through the scorer: the message says the column was made inside the chain, not by the scorer.
        var scorer = new RewardScorer(ml, new[] { new RewardModel(model, name: "chain") }, RewardSampleColumn.Vector("A", 7));
        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);
        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 0 ('chain'), stage 1 (");
        StringAssert.Contains(ex.Message, "needs input column 'Features' as Vector<Single, 6>, but an earlier stage of its chain makes it Vector<Single, 7>.");
    }

    [TestMethod]
    public void ATransformerThatDeclaresNothingIsDiagnosedByRetypingTheProvidedColumns()
    {
        // A min-max normaliser keeps its input column internal; it reads Single or a known-size Single vector.
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new FloatScore { Score = i }));
        var normalise = ml.Transforms.NormalizeMinMax("Completion", "Score").Fit(rows);
        Assert.AreEqual(0, RewardInputDiagnosis.DeclaredInputs(normalise).Count);
        var input = Schema(("Prompt", TextDataViewType.Instance), ("Score", TextDataViewType.Instance));

        var problem = RewardInputDiagnosis.Diagnose(normalise, input);

        Assert.IsNotNull(problem);
        Assert.AreEqual("Score", problem.Column);
        DataViewType wanted = problem.Expected; // a local: the analyzer takes any "Expected" for the expected argument
        Assert.AreEqual(NumberDataViewType.Single, wanted);
        Assert.AreEqual(TextDataViewType.Instance, problem.Provided);
        Assert.AreEqual(RewardInputEvidence.Trial, problem.Evidence);

        // The scorer's message says the type was found by trial and quotes ML.NET, which may list other types.
        var scorer = new RewardScorer(ml, new[] { new RewardModel(normalise, scoreColumnName: "Completion", name: "norm") }, RewardSampleColumn.Text("Score"));
        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);
        Console.WriteLine(ex.Message);
        StringAssert.Contains(ex.Message, "reward model 0 ('norm') needs input column 'Score' as Single (Single is a type it accepts, found by trying types; ML.NET says: ");
        StringAssert.Contains(ex.Message, "but the scorer provides it as String.");
    }

    [TestMethod]
    public void AMissingUndeclaredColumnCannotBeNamedSoMLNetsMessageIsQuotedVerbatim()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new FloatScore { Score = i }));
        var normalise = ml.Transforms.NormalizeMinMax("Reward", "Score").Fit(rows);

        Assert.IsNull(RewardInputDiagnosis.Diagnose(normalise, Text));

        var scorer = new RewardScorer(ml, new[] { new RewardModel(normalise, scoreColumnName: "Reward", name: "norm") });
        var ex = Assert.ThrowsExactly<ArgumentException>(scorer.ValidateSchema);
        Console.WriteLine(ex.Message);
        Assert.IsNotNull(ex.InnerException);
        Assert.AreEqual($"reward model 0 ('norm') rejects the scorer's input ('Prompt' (String) and 'Completion' (String)): {ex.InnerException.GetType().Name}: {ex.InnerException.Message} (Parameter 'models')", ex.Message);
    }

    [TestMethod]
    public void WithColumnRetypesInPlaceOrAppends()
    {
        var schema = Text;

        var retyped = RewardInputDiagnosis.WithColumn(schema, "Prompt", NumberDataViewType.Single);
        var added = RewardInputDiagnosis.WithColumn(schema, "Image", BooleanDataViewType.Instance);

        Assert.AreEqual("Prompt:Single,Completion:String", string.Join(",", retyped.Select(c => $"{c.Name}:{c.Type}")));
        Assert.AreEqual("Prompt:String,Completion:String,Image:Boolean", string.Join(",", added.Select(c => $"{c.Name}:{c.Type}")));
    }
}
