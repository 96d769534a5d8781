using Adrpo.Data.MiniDrawBench;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Data.MiniDrawBench;

[TestClass]
public sealed class MiniDrawBenchRenderTests
{
    private static readonly SceneObject RedCircle = new(ShapeKind.Circle, ShapeColor.Red);
    private static readonly SceneObject BlueSquare = new(ShapeKind.Square, ShapeColor.Blue);

    [TestMethod]
    public void RenderedImagesAreChwInMinusOneToOne()
    {
        Assert.AreEqual(Bench.Channels * Bench.ImageSize * Bench.ImageSize, Bench.SampleShape.Aggregate(1L, (a, b) => a * b));
        CollectionAssert.AreEqual(new long[] { 3, 32, 32 }, Bench.SampleShape);
        var random = new Random(1);
        foreach (var prompt in Bench.AllPrompts())
        {
            float[] image = Bench.Render(prompt.Scene, random);
            Assert.HasCount(3 * 32 * 32, image);
            Assert.IsTrue(image.All(v => v is >= -1f and <= 1f), prompt.Text);
            // Mostly background: the shapes cover a minority of the image.
            Assert.IsGreaterThan(512, Enumerable.Range(0, 1024).Count(i => ImageProbe.IsBackground(image, i % 32, i / 32)), prompt.Text);
        }
    }

    [TestMethod]
    public void EveryRenderSatisfiesItsPrompt()
    {
        // Colours, shapes, counts and arrangements, read back from the pixels alone (see ImageProbe.Satisfies).
        for (int seed = 0; seed < 2; seed++)
        {
            var random = new Random(seed);
            foreach (var prompt in Bench.AllPrompts())
            {
                float[] image = Bench.Render(prompt.Scene, random);
                Assert.IsTrue(ImageProbe.Satisfies(image, prompt.Scene), $"seed {seed}: '{prompt.Text}' is not what was drawn");
            }
        }
    }

    [TestMethod]
    public void RequestedColoursAppear()
    {
        var random = new Random(5);
        var scene = Scene.ColorBinding(RedCircle, BlueSquare);
        for (int i = 0; i < 20; i++)
        {
            float[] image = Bench.Render(scene, random);
            // A 7 px circle covers at least 37 pixels; a 7 px square 49.
            Assert.IsGreaterThanOrEqualTo(30, ImageProbe.CountPixels(image, ShapeColor.Red));
            Assert.IsGreaterThanOrEqualTo(49, ImageProbe.CountPixels(image, ShapeColor.Blue));
            foreach (var absent in new[] { ShapeColor.Green, ShapeColor.Yellow, ShapeColor.Purple, ShapeColor.White })
            {
                Assert.AreEqual(0, ImageProbe.CountPixels(image, absent), absent.ToString());
            }
        }
    }

    [TestMethod]
    public void CountingScenesHaveCountSeparateObjects()
    {
        var random = new Random(7);
        foreach (var shape in Enum.GetValues<ShapeKind>())
        {
            for (int count = 1; count <= Scene.MaxCount; count++)
            {
                var scene = Scene.Counting(new SceneObject(shape, ShapeColor.Green), count);
                for (int i = 0; i < 25; i++)
                {
                    var objects = ImageProbe.Objects(Bench.Render(scene, random));
                    Assert.HasCount(count, objects, Bench.Describe(scene));
                    Assert.IsTrue(objects.All(o => o.Color == ShapeColor.Green && o.Shape == shape), Bench.Describe(scene));
                }
            }
        }
    }

    [TestMethod]
    public void SpatialScenesPutTheFirstObjectOnTheNamedSide()
    {
        var random = new Random(9);
        foreach (var relation in Enum.GetValues<SpatialRelation>())
        {
            var scene = Scene.Spatial(RedCircle, relation, BlueSquare);
            for (int i = 0; i < 50; i++)
            {
                var objects = ImageProbe.Objects(Bench.Render(scene, random));
                var first = objects.Single(o => o.Color == ShapeColor.Red);
                var second = objects.Single(o => o.Color == ShapeColor.Blue);
                // Box centres are >= 8 px apart along the axis; a circle's and a square's centroids are their box centres
                // to within half a pixel, so the centroids keep almost all of it.
                Assert.IsGreaterThanOrEqualTo(7.0, ImageProbe.Along(relation, first, second), relation.ToString());
                if (relation == SpatialRelation.LeftOf)
                {
                    Assert.IsLessThan(second.CentroidX, first.CentroidX);
                }
            }
        }
    }

    [TestMethod]
    public void ShapesAreTellableApartByTheirSilhouettes()
    {
        var random = new Random(13);
        foreach (var shape in Enum.GetValues<ShapeKind>())
        {
            for (int i = 0; i < 100; i++)
            {
                var found = ImageProbe.Objects(Bench.Render(Scene.Counting(new SceneObject(shape, ShapeColor.White), 1), random)).Single();
                Assert.AreEqual(shape, found.Shape);
            }
        }
    }

    [TestMethod]
    public void TheSameRandomStateGivesTheSameImage()
    {
        var scene = Scene.Counting(new SceneObject(ShapeKind.Star, ShapeColor.Yellow), 3);
        CollectionAssert.AreEqual(Bench.Render(scene, new Random(4)), Bench.Render(scene, new Random(4)));
        CollectionAssert.AreNotEqual(Bench.Render(scene, new Random(4)), Bench.Render(scene, new Random(5)));
    }

    [TestMethod]
    public void TheFixedFallbackLayoutAlsoSatisfiesEveryScene()
    {
        // Rendering falls back to this layout when random placement keeps failing; it must be valid on its own.
        foreach (var prompt in Bench.AllPrompts())
        {
            var boxes = SceneLayout.Fallback(prompt.Scene, Bench.ImageSize);
            Assert.IsTrue(SceneLayout.Satisfies(prompt.Scene, boxes), prompt.Text);
            for (int i = 0; i < boxes.Length; i++)
            {
                Assert.IsTrue(boxes[i].X >= 0 && boxes[i].Y >= 0 && boxes[i].X + boxes[i].Size <= 32 && boxes[i].Y + boxes[i].Size <= 32, prompt.Text);
                for (int j = 0; j < i; j++)
                {
                    Assert.IsTrue(boxes[i].IsApart(boxes[j], SceneLayout.Gap), prompt.Text);
                }
            }
        }
    }

    [TestMethod]
    public void RenderNamesTheMissingArgument()
    {
        Assert.AreEqual("scene", Assert.ThrowsExactly<ArgumentNullException>(() => Bench.Render(null!, new Random(1))).ParamName);
        Assert.AreEqual("random", Assert.ThrowsExactly<ArgumentNullException>(() => Bench.Render(Scene.Counting(RedCircle, 1), null!)).ParamName);
        Assert.AreEqual("scene", Assert.ThrowsExactly<ArgumentNullException>(() => Bench.Describe(null!)).ParamName);
    }
}
