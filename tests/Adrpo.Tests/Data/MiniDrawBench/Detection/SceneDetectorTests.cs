using Adrpo.Data.MiniDrawBench;
using Adrpo.Data.MiniDrawBench.Detection;

namespace Adrpo.Tests.Data.MiniDrawBench.Detection;

[TestClass]
public sealed class SceneDetectorTests
{
    [TestMethod]
    public void ReadsColourShapeAndBoxOfEachObject()
    {
        var image = HandDrawn.Blank();
        HandDrawn.Shape(image, ShapeKind.Circle, ShapeColor.Red, 2, 3, 9);
        HandDrawn.Shape(image, ShapeKind.Triangle, ShapeColor.Purple, 20, 18, 10);
        var objects = SceneDetector.Detect(image);
        Assert.HasCount(2, objects);
        var (circle, triangle) = (objects[0], objects[1]);
        Assert.AreEqual((ShapeColor.Red, ShapeKind.Circle), (circle.Color, circle.Shape));
        Assert.AreEqual((ShapeColor.Purple, ShapeKind.Triangle), (triangle.Color, triangle.Shape));
        // A 9 px disc fills its box: left 2, top 3, 9 x 9, centre (6.5, 7.5).
        Assert.AreEqual((2, 3, 9, 9), (circle.Left, circle.Top, circle.Width, circle.Height));
        Assert.AreEqual((6.5, 7.5), (circle.CentreX, circle.CentreY));
        Assert.AreEqual(ShapeRaster.Mask(ShapeKind.Circle, 9).Cast<bool>().Count(b => b), circle.Area);
        Assert.AreEqual(1.0, circle.ColorPurity);
    }

    [TestMethod]
    public void SpecklesBelowTheMinimumAreaAreNoise()
    {
        var image = HandDrawn.Blank();
        HandDrawn.Rect(image, 5, 5, 8, 8, ShapeColor.Green);
        HandDrawn.Rect(image, 25, 25, 2, 3, ShapeColor.White);   // 6 px < 8: ignored
        HandDrawn.Rect(image, 25, 2, 2, 4, ShapeColor.White);    // 8 px: an object, of no shape
        var objects = SceneDetector.Detect(image);
        // Objects come in raster order of their first pixel: the bar (row 2), then the square (row 5).
        Assert.HasCount(2, objects);
        Assert.AreEqual(ShapeColor.White, objects[0].Color);
        Assert.IsNull(objects[0].Shape);
        Assert.AreEqual((ShapeColor.Green, ShapeKind.Square), (objects[1].Color, objects[1].Shape));
    }

    [TestMethod]
    public void TwoColoursRunTogetherAreOneObjectOfNoColour()
    {
        // A red and a green square touching: one component; its mean colour points near yellow, but no pixel does.
        var image = HandDrawn.Blank();
        HandDrawn.Rect(image, 4, 4, 5, 10, ShapeColor.Red);
        HandDrawn.Rect(image, 9, 4, 5, 10, ShapeColor.Green);
        var found = SceneDetector.Detect(image).Single();
        Assert.IsNull(found.Color);
        Assert.IsLessThan(SceneDetector.MinColorPurity, found.ColorPurity);
        Assert.AreEqual(100, found.Area);
    }

    [TestMethod]
    public void ABlurredEdgeIsCutAtHalfTheObjectsOwnBrightness()
    {
        // A white 8x8 square (peak 240) with a ring of edge pixels at 45% brightness (108, above the global level
        // of 100) and a green one (peak 200) with a ring at 55% (110): each keeps its drawn 64 pixels.
        var image = HandDrawn.Blank();
        FillRect(image, 2, 2, 10, 10, (108, 108, 108));
        HandDrawn.Rect(image, 3, 3, 8, 8, ShapeColor.White);
        FillRect(image, 18, 18, 10, 10, (22, 110, 33));
        HandDrawn.Rect(image, 19, 19, 8, 8, ShapeColor.Green);
        var objects = SceneDetector.Detect(image);
        Assert.HasCount(2, objects);
        Assert.AreEqual(64, objects[0].Area, "white: the 45% ring is outside");
        Assert.AreEqual(100, objects[1].Area, "green: a 55% ring is inside its half-brightness");
        Assert.AreEqual(120, SceneDetector.EdgeLevel(Enumerable.Repeat(240f, 64).Concat(Enumerable.Repeat(108f, 36)).ToList()));
        Assert.AreEqual(PixelColors.ForegroundLevel, SceneDetector.EdgeLevel(Enumerable.Repeat(150f, 10).ToList()), "never below the global level");
    }

    [TestMethod]
    public void AnImageOfTheWrongSizeIsRejectedByName()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => SceneDetector.Detect(new float[100]));
        Assert.AreEqual("image", error.ParamName);
        StringAssert.Contains(error.Message, "3072");
        Assert.IsEmpty(SceneDetector.Detect(HandDrawn.Blank()));
    }

    private static void FillRect(float[] image, int x, int y, int width, int height, (byte R, byte G, byte B) rgb)
    {
        for (int dy = 0; dy < height; dy++)
        {
            for (int dx = 0; dx < width; dx++)
            {
                HandDrawn.Set(image, x + dx, y + dy, rgb);
            }
        }
    }
}
