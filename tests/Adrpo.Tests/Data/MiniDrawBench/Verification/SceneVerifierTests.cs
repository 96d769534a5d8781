using Adrpo.Data.MiniDrawBench;
using Adrpo.Data.MiniDrawBench.Detection;
using Adrpo.Data.MiniDrawBench.Verification;

namespace Adrpo.Tests.Data.MiniDrawBench.Verification;

[TestClass]
public sealed class SceneVerifierTests
{
    private static readonly SceneObject RedCircle = new(ShapeKind.Circle, ShapeColor.Red);
    private static readonly SceneObject BlueSquare = new(ShapeKind.Square, ShapeColor.Blue);

    [TestMethod]
    public void AnExactImageMeetsEveryRequirement()
    {
        var verdict = SceneVerifier.Verify(Scene.Spatial(RedCircle, SpatialRelation.LeftOf, BlueSquare), [Found(RedCircle, 4, 10), Found(BlueSquare, 20, 12)]);
        CollectionAssert.AreEqual(
            new[] { "exactly 2 objects", "a circle", "red", "exactly 1 red circle", "a square", "blue", "exactly 1 blue square", "red circle left of blue square" },
            verdict.Requirements.Select(r => r.Description).ToArray());
        Assert.IsTrue(verdict.Correct);
        Assert.AreEqual(1.0, verdict.Score);
        CollectionAssert.AreEqual(new[] { (GenEvalCategory.Position, true) }, verdict.Categories.ToArray());
    }

    [TestMethod]
    public void PartialCreditIsTheShareOfRequirementsMet()
    {
        // Colours swapped: 2 objects (met), circle and square drawn (met), red and blue drawn (met), but neither
        // binding: 5 of 7 met. Colour attribution fails; two objects (colours ignored) passes.
        var scene = Scene.ColorBinding(RedCircle, BlueSquare);
        var verdict = SceneVerifier.Verify(scene, [Found(RedCircle with { Color = ShapeColor.Blue }, 4, 4), Found(BlueSquare with { Color = ShapeColor.Red }, 20, 20)]);
        Assert.IsFalse(verdict.Correct);
        Assert.AreEqual(5 / 7.0, verdict.Score, 1e-12);
        CollectionAssert.AreEqual(new[] { (GenEvalCategory.TwoObjects, true), (GenEvalCategory.ColorAttribution, false) }, verdict.Categories.ToArray());

        // Nothing drawn: no requirement met.
        Assert.AreEqual(0.0, SceneVerifier.Verify(scene, []).Score);
    }

    [TestMethod]
    public void CountingChecksTheNumberAndEveryCopy()
    {
        var scene = Scene.Counting(RedCircle, 3);
        Assert.IsTrue(SceneVerifier.Verify(scene, [Found(RedCircle, 1, 1), Found(RedCircle, 12, 1), Found(RedCircle, 1, 20)]).Correct);

        // Two of three: the count (1) and the binding (4) fail, shape and colour are drawn: 2 of 4.
        var two = SceneVerifier.Verify(scene, [Found(RedCircle, 1, 1), Found(RedCircle, 12, 1)]);
        Assert.AreEqual(0.5, two.Score);
        CollectionAssert.AreEqual(new[] { (GenEvalCategory.Counting, false) }, two.Categories.ToArray());

        // Three objects, one of them blue: the total is right, the binding is not.
        var oneBlue = SceneVerifier.Verify(scene, [Found(RedCircle, 1, 1), Found(RedCircle, 12, 1), Found(RedCircle with { Color = ShapeColor.Blue }, 1, 20)]);
        Assert.IsFalse(oneBlue.Correct);
        Assert.AreEqual(0.75, oneBlue.Score);
    }

    [TestMethod]
    public void SingleObjectIgnoresTheColourAndColorsDoesNot()
    {
        var scene = Scene.Counting(RedCircle, 1);
        var green = SceneVerifier.Verify(scene, [Found(RedCircle with { Color = ShapeColor.Green }, 8, 8)]);
        CollectionAssert.AreEqual(new[] { (GenEvalCategory.SingleObject, true), (GenEvalCategory.Colors, false) }, green.Categories.ToArray());
        var square = SceneVerifier.Verify(scene, [Found(BlueSquare with { Color = ShapeColor.Red }, 8, 8)]);
        CollectionAssert.AreEqual(new[] { (GenEvalCategory.SingleObject, false), (GenEvalCategory.Colors, false) }, square.Categories.ToArray());
        var two = SceneVerifier.Verify(scene, [Found(RedCircle, 1, 1), Found(RedCircle, 20, 20)]);
        Assert.IsFalse(two.Categories[0].Passed, "two circles are not one");
    }

    [TestMethod]
    public void PositionFollowsGenEvalsMarginAndSixtyDegreeRule()
    {
        // Boxes 10 wide: along-axis margin 0.1 * 20 = 2 px.
        Assert.IsTrue(Holds(SpatialRelation.LeftOf, (5, 10), (13, 10)));    // 8 along, 6 after the margin
        Assert.IsFalse(Holds(SpatialRelation.LeftOf, (5, 10), (6, 10)));    // 1 along: inside the margin
        Assert.IsFalse(Holds(SpatialRelation.RightOf, (5, 10), (13, 10)));
        // 8 along and 8 across: (8 - 2) / 11.3 = 0.53 > 0.5 holds; 8 along and 10 across: 6 / 12.8 = 0.47 does not.
        Assert.IsTrue(Holds(SpatialRelation.LeftOf, (5, 10), (13, 18)));
        Assert.IsFalse(Holds(SpatialRelation.LeftOf, (5, 10), (13, 20)));
        Assert.IsTrue(Holds(SpatialRelation.Above, (10, 5), (10, 15)));
        Assert.IsTrue(Holds(SpatialRelation.Below, (10, 15), (10, 5)));
        Assert.IsFalse(Holds(SpatialRelation.Above, (10, 15), (10, 5)));
    }

    [TestMethod]
    public void ASpatialSceneWithAWrongSideFailsOnlyTheRelation()
    {
        var scene = Scene.Spatial(RedCircle, SpatialRelation.LeftOf, BlueSquare);
        var verdict = SceneVerifier.Verify(scene, [Found(RedCircle, 20, 10), Found(BlueSquare, 4, 12)]);
        Assert.AreEqual(7 / 8.0, verdict.Score, 1e-12);
        Assert.IsFalse(verdict.Requirements[^1].Met);
    }

    private static bool Holds(SpatialRelation relation, (double X, double Y) first, (double X, double Y) second) =>
        SceneVerifier.Holds(relation, Box(first), Box(second));

    // A 10 x 10 object with the given centre.
    private static DetectedObject Box((double X, double Y) centre) =>
        new(ShapeColor.Red, ShapeKind.Square, 100, (int)(centre.X - 5), (int)(centre.Y - 5), 10, 10, [0, 1, 0, 0], 0, 1);

    private static DetectedObject Found(SceneObject item, int left, int top) =>
        new(item.Color, item.Shape, 64, left, top, 8, 8, [1, 1, 1, 1], 0, 1);
}
