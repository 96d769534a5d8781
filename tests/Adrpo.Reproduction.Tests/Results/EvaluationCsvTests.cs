using Adrpo.Reproduction.Results;

namespace Adrpo.Reproduction.Tests.Results;

[TestClass]
public sealed class EvaluationCsvTests
{
    [TestMethod]
    public void PointsRoundTripExactlyIncludingNaN()
    {
        string path = Path.Combine(Path.GetTempPath(), $"adrpo-points-{Guid.NewGuid():N}.csv");
        EvaluationPoint[] points =
        [
            new("text-to-image", "ORW-CFM-W2", 2, 40, 0.1234567890123, 17.25, 3.79e-3, double.NaN, double.NaN, 0.2, 128.5),
            new("language-model", "GRPO", 3, 0, 0.5, double.NaN, double.NaN, 0.41, 0.07, double.NaN, 0),
        ];
        try
        {
            EvaluationCsv.Write(path, points);
            CollectionAssert.AreEqual(points, EvaluationCsv.Read(path));
            Assert.IsFalse(File.Exists(path + ".tmp"), "written through a temporary file that is renamed");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AFileWithAnotherHeaderOrAShortLineIsRejectedNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"adrpo-points-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "a,b\n1,2\n");
            var error = Assert.ThrowsExactly<InvalidDataException>(() => EvaluationCsv.Read(path));
            StringAssert.Contains(error.Message, path);

            EvaluationCsv.Write(path, [new("t", "m", 1, 0, 1, 1, 1, 1, 1, 1, 1)]);
            File.AppendAllText(path, "t,m,1\n");
            error = Assert.ThrowsExactly<InvalidDataException>(() => EvaluationCsv.Read(path));
            StringAssert.Contains(error.Message, "line 3 has 3 fields; expected 11");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
