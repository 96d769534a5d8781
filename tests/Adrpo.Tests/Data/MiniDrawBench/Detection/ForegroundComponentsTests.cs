using Adrpo.Data.MiniDrawBench.Detection;

namespace Adrpo.Tests.Data.MiniDrawBench.Detection;

[TestClass]
public sealed class ForegroundComponentsTests
{
    [TestMethod]
    public void DiagonalNeighboursJoinAndAOnePixelGapSeparates()
    {
        var mask = Mask(
            "##...#",
            "..#..#",
            "......",
            "#....#");
        var components = ForegroundComponents.Find(mask);
        // {(0,0),(1,0),(2,1)} joined diagonally; {(5,0),(5,1)}; {(0,3)}; {(5,3)} (one empty row from (5,1)).
        Assert.HasCount(4, components);
        CollectionAssert.AreEquivalent(new[] { (0, 0), (1, 0), (2, 1) }, components[0]);
        CollectionAssert.AreEquivalent(new[] { (5, 0), (5, 1) }, components[1]);
        CollectionAssert.AreEquivalent(new[] { (0, 3) }, components[2]);
        CollectionAssert.AreEquivalent(new[] { (5, 3) }, components[3]);
    }

    [TestMethod]
    public void AnEmptyMaskHasNoComponents() => Assert.IsEmpty(ForegroundComponents.Find(new bool[4, 4]));

    private static bool[,] Mask(params string[] rows)
    {
        var mask = new bool[rows.Length, rows[0].Length];
        foreach (var (x, y) in HandDrawn.Pixels(rows))
        {
            mask[y, x] = true;
        }

        return mask;
    }
}
