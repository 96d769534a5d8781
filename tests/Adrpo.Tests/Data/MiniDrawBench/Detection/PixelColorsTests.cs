using Adrpo.Data.MiniDrawBench;
using Adrpo.Data.MiniDrawBench.Detection;

namespace Adrpo.Tests.Data.MiniDrawBench.Detection;

[TestClass]
public sealed class PixelColorsTests
{
    [TestMethod]
    public void AnglesAreThoseOfTheRgbVectors()
    {
        Assert.AreEqual(0, PixelColors.Angle((1, 2, 3), (2, 4, 6)), 1e-6, "a scaled colour keeps its direction");
        Assert.AreEqual(90, PixelColors.Angle((1, 0, 0), (0, 1, 0)), 1e-9);
        Assert.AreEqual(45, PixelColors.Angle((1, 1, 0), (1, 0, 0)), 1e-9);
        Assert.AreEqual(90, PixelColors.Angle((0, 0, 0), (1, 0, 0)), 1e-9, "black has no direction");

        // Purple (160, 60, 220) and white (240, 240, 240), by hand: dot = 240 * (160 + 60 + 220) = 105,600;
        // |purple| = sqrt(25,600 + 3,600 + 48,400) = 278.57; |white| = 415.69; acos(0.91191) = 24.23 degrees.
        Assert.AreEqual(24.23, PixelColors.Angle(ShapeColor.Purple.Rgb(), ShapeColor.White.Rgb()), 0.01);
        Assert.AreEqual(24.23, PixelColors.MinPaletteAngle, 0.01, "purple and white are the closest pair");
    }

    [TestMethod]
    public void EveryPaletteColourIsReadBackAlsoWhenDimmedOrTinted()
    {
        foreach (var color in Enum.GetValues<ShapeColor>())
        {
            var (r, g, b) = color.Rgb();
            Assert.AreEqual(color, PixelColors.Nearest((r, g, b)).Color);
            Assert.AreEqual(0, PixelColors.Nearest((r, g, b)).Angle, 1e-6);
            // Half brightness (an edge pixel half covered) keeps the hue.
            Assert.AreEqual(color, PixelColors.Nearest((r / 2.0, g / 2.0, b / 2.0)).Color);
            // A tint of 15 levels in every channel (the generator's typical colour error) stays nearest and within tolerance.
            var tinted = (R: Math.Min(255, r + 15.0), G: Math.Max(0, g - 15.0), B: Math.Min(255, b + 15.0));
            var (found, angle) = PixelColors.Nearest(tinted);
            Assert.AreEqual(color, found, $"{color} tinted");
            Assert.IsLessThan(PixelColors.MaxObjectAngle, angle);
        }

        // Cyan is 21.6 degrees from blue, its nearest palette colour: further than the tolerance, so no palette colour.
        Assert.IsGreaterThan(PixelColors.MaxObjectAngle, PixelColors.Nearest((40, 200, 220)).Angle);
    }

    [TestMethod]
    public void ForegroundIsHalfTheDimmestColoursPeak()
    {
        Assert.IsTrue(PixelColors.IsForeground((0, 100, 0)));
        Assert.IsFalse(PixelColors.IsForeground((99, 99, 99)));
        Assert.IsFalse(PixelColors.IsForeground((6, 6, 6)), "the renderer's background");
        var image = HandDrawn.Blank();
        HandDrawn.Set(image, 3, 2, (10, 200, 250));
        var (r, g, b) = PixelColors.Rgb(image, 1024, (2 * 32) + 3);
        Assert.AreEqual(10, r, 1e-3);
        Assert.AreEqual(200, g, 1e-3);
        Assert.AreEqual(250, b, 1e-3);
        image[0] = 3f;
        Assert.AreEqual(255f, PixelColors.Rgb(image, 1024, 0).R, "values above 1 are clamped");
    }
}
