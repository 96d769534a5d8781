using Adrpo.Data.MiniDrawBench;
using Adrpo.Data.MiniDrawBench.Detection;

namespace Adrpo.Tests.Data.MiniDrawBench.Detection;

[TestClass]
public sealed class ShapeMatcherTests
{
    [TestMethod]
    public void EveryRenderedShapeAtEverySizeMatchesItsOwnTemplateExactly()
    {
        foreach (var shape in Enum.GetValues<ShapeKind>())
        {
            for (int size = ShapeRaster.MinSize(shape); size <= ShapeRaster.MaxSize; size++)
            {
                var pixels = MaskPixels(ShapeRaster.Mask(shape, size));
                var scores = ShapeMatcher.Scores(pixels);
                Assert.AreEqual(1.0, scores[(int)shape], 1e-12, $"{shape} {size}");
                // The closest call: a 9 px disc covers 69 of its box's 81 pixels, so the square fits it with IoU 0.85.
                Assert.IsLessThan(0.86, scores.Where((_, i) => i != (int)shape).Max(), $"{shape} {size}: another shape fits nearly as well");
                Assert.AreEqual(shape, ShapeMatcher.Classify(pixels));
            }
        }
    }

    [TestMethod]
    public void IouIsCountedByHand()
    {
        // A 9 px disc: the 9 px square template contains all 69 of its pixels, so IoU = 69 / 81, and no square
        // placement does better (a smaller square loses disc pixels faster than it drops empty corners).
        var disc = MaskPixels(ShapeRaster.Mask(ShapeKind.Circle, 9));
        Assert.HasCount(69, disc);
        Assert.AreEqual(69.0 / 81, ShapeMatcher.Scores(disc)[(int)ShapeKind.Square], 1e-12);
    }

    [TestMethod]
    public void BlobsThatFitNoTemplateHaveNoShape()
    {
        // A 3 px wide bar, 12 long: nothing the renderer draws.
        Assert.IsNull(ShapeMatcher.Classify(HandDrawn.Pixels(Enumerable.Repeat("###", 12).ToArray())));
        // An L shape.
        Assert.IsNull(ShapeMatcher.Classify(HandDrawn.Pixels(
            "###.....",
            "###.....",
            "###.....",
            "###.....",
            "########",
            "########",
            "########")));
        // A ring: a square outline one pixel wide.
        var ring = HandDrawn.Pixels(
            "##########",
            "#........#",
            "#........#",
            "#........#",
            "#........#",
            "#........#",
            "#........#",
            "#........#",
            "#........#",
            "##########");
        Assert.IsNull(ShapeMatcher.Classify(ring));
    }

    [TestMethod]
    public void ARaggedEdgeKeepsTheShape()
    {
        // A 9 px square with two bites out of its edge and one pixel added beside it.
        var pixels = MaskPixels(ShapeRaster.Mask(ShapeKind.Square, 9)).Where(p => p != (0, 4) && p != (8, 2)).Append((9, 6)).ToList();
        Assert.AreEqual(ShapeKind.Square, ShapeMatcher.Classify(pixels));
    }

    [TestMethod]
    public void AnEmptyComponentIsRejected() =>
        Assert.AreEqual("pixels", Assert.ThrowsExactly<ArgumentException>(() => ShapeMatcher.Scores(new List<(int, int)>())).ParamName);

    private static List<(int X, int Y)> MaskPixels(bool[,] mask)
    {
        var pixels = new List<(int X, int Y)>();
        for (int y = 0; y < mask.GetLength(0); y++)
        {
            for (int x = 0; x < mask.GetLength(1); x++)
            {
                if (mask[y, x])
                {
                    pixels.Add((x, y));
                }
            }
        }

        return pixels;
    }
}
