using Adrpo.Reproduction.GenEval;

namespace Adrpo.Reproduction.Tests.GenEval;

[TestClass]
public sealed class GenEvalPointTests
{
    [TestMethod]
    public void PointsRoundTripExactlyIncludingNaN()
    {
        string path = Path.Combine(Path.GetTempPath(), $"adrpo-geneval-{Guid.NewGuid():N}.csv");
        GenEvalPoint[] points =
        [
            new("Flow-GRPO", 3e-3, 2, 30, 0.1234567890123, 0.47, 0.25, 0.0138, 0, 0.5, 0.0417, 1.0 / 3, 14.8, 3.79e-3, 0.45, 128.5),
            new("pre-trained", 0, 1, 0, 0.074, 0.4758, 0.5, 0, 0, 0.5, 0.02, 0, 14.49, 0, double.NaN, 0),
        ];
        try
        {
            GenEvalPoint.Write(path, points);
            CollectionAssert.AreEqual(points, GenEvalPoint.Read(path));
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
        string path = Path.Combine(Path.GetTempPath(), $"adrpo-geneval-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "a,b\n1,2\n");
            var error = Assert.ThrowsExactly<InvalidDataException>(() => GenEvalPoint.Read(path));
            StringAssert.Contains(error.Message, path);

            GenEvalPoint.Write(path, [new("ADRPO", 1e-3, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)]);
            File.AppendAllText(path, "ADRPO,0.001,1\n");
            error = Assert.ThrowsExactly<InvalidDataException>(() => GenEvalPoint.Read(path));
            StringAssert.Contains(error.Message, "line 3 has 3 fields; expected 16");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void TheCategoriesAreGenEvalsSixInItsOrder() =>
        CollectionAssert.AreEqual(new[] { "single_object", "two_object", "counting", "colors", "position", "color_attr" }, GenEvalPoint.Categories.Select(c => c.Name).ToArray());
}
