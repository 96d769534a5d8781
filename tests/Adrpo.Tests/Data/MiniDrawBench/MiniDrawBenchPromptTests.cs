using Adrpo.Data.MiniDrawBench;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Data.MiniDrawBench;

[TestClass]
public sealed class MiniDrawBenchPromptTests
{
    [TestMethod]
    public void AllPromptsAreDeterministicUniqueAndCoverEveryCategory()
    {
        var first = Bench.AllPrompts().Select(p => p.Text).ToList();
        var second = Bench.AllPrompts().Select(p => p.Text).ToList();
        CollectionAssert.AreEqual(first, second);
        Assert.HasCount(first.Count, first.Distinct(StringComparer.Ordinal).ToList());

        var byCategory = Bench.AllPrompts().GroupBy(p => p.Category).ToDictionary(g => g.Key, g => g.Count());
        // 6 shape pairs x 30 ordered colour pairs; 24 objects x 4 counts; 180 pairs x 4 arrangements.
        Assert.AreEqual(180, byCategory[PromptCategory.ColorBinding]);
        Assert.AreEqual(96, byCategory[PromptCategory.Counting]);
        Assert.AreEqual(720, byCategory[PromptCategory.Spatial]);
    }

    [TestMethod]
    public void PromptTextsDescribeTheirScenes()
    {
        var texts = Bench.AllPrompts().Select(p => p.Text).ToHashSet(StringComparer.Ordinal);
        foreach (string example in new[] { "a red circle and a blue square", "three green triangles", "a yellow star left of a red square", "one white star", "a purple triangle below a green circle" })
        {
            Assert.Contains(example, texts);
        }

        foreach (var prompt in Bench.AllPrompts())
        {
            Assert.AreEqual(prompt.Scene.Category, prompt.Category, prompt.Text);
            Assert.AreEqual(Bench.Describe(prompt.Scene), prompt.Text);
        }

        var counted = Bench.AllPrompts().Single(p => p.Text == "three green triangles").Scene;
        Assert.AreEqual(Scene.Counting(new SceneObject(ShapeKind.Triangle, ShapeColor.Green), 3), counted);
        var placed = Bench.AllPrompts().Single(p => p.Text == "a yellow star left of a red square").Scene;
        Assert.AreEqual(Scene.Spatial(new SceneObject(ShapeKind.Star, ShapeColor.Yellow), SpatialRelation.LeftOf, new SceneObject(ShapeKind.Square, ShapeColor.Red)), placed);
    }

    [TestMethod]
    public void SpatialPromptsListOnePhrasingPerArrangement()
    {
        var spatial = Bench.AllPrompts().Where(p => p.Category == PromptCategory.Spatial).Select(p => p.Scene).ToList();
        var scenes = spatial.ToHashSet();
        foreach (var scene in spatial)
        {
            var opposite = scene.Relation switch
            {
                SpatialRelation.LeftOf => SpatialRelation.RightOf,
                SpatialRelation.RightOf => SpatialRelation.LeftOf,
                SpatialRelation.Above => SpatialRelation.Below,
                _ => SpatialRelation.Above,
            };
            Assert.DoesNotContain(Scene.Spatial(scene.Second!, opposite, scene.First), scenes, $"{Bench.Describe(scene)} is listed twice");
        }

        Assert.HasCount(4, spatial.Select(s => s.Relation).Distinct().ToList());
        Assert.IsTrue(spatial.Any(s => s.First.Shape < s.Second!.Shape) && spatial.Any(s => s.First.Shape > s.Second!.Shape));
    }

    [TestMethod]
    public void SplitIsDeterministicDisjointAndCoversAll()
    {
        var (train, test) = Bench.Split(seed: 3);
        var (trainAgain, testAgain) = Bench.Split(seed: 3);
        CollectionAssert.AreEqual(train.ToList(), trainAgain.ToList());
        CollectionAssert.AreEqual(test.ToList(), testAgain.ToList());

        var trainTexts = train.Select(p => p.Text).ToHashSet(StringComparer.Ordinal);
        Assert.IsFalse(test.Any(p => trainTexts.Contains(p.Text)), "train and test overlap");
        CollectionAssert.AreEquivalent(Bench.AllPrompts().ToList(), train.Concat(test).ToList());

        var (_, otherTest) = Bench.Split(seed: 4);
        CollectionAssert.AreNotEquivalent(test.ToList(), otherTest.ToList());
    }

    [TestMethod]
    public void SplitIsStratifiedByCategory()
    {
        var (_, test) = Bench.Split(seed: 11, testFraction: 0.1);
        var perCategory = test.GroupBy(p => p.Category).ToDictionary(g => g.Key, g => g.Count());
        Assert.AreEqual(18, perCategory[PromptCategory.ColorBinding]);
        Assert.AreEqual(10, perCategory[PromptCategory.Counting]);   // 9.6 rounded
        Assert.AreEqual(72, perCategory[PromptCategory.Spatial]);

        // Extreme fractions still leave every category on both sides.
        var (_, tiny) = Bench.Split(seed: 11, testFraction: 1e-6);
        Assert.HasCount(3, tiny);
        Assert.HasCount(3, tiny.Select(p => p.Category).Distinct().ToList());
        var (huge, _) = Bench.Split(seed: 11, testFraction: 1 - 1e-6);
        Assert.HasCount(3, huge.Select(p => p.Category).Distinct().ToList());
    }

    [TestMethod]
    public void SplitRejectsFractionsOutsideZeroOne()
    {
        foreach (double bad in new[] { 0, 1, -0.1, 1.5, double.NaN })
        {
            Assert.AreEqual("testFraction", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Bench.Split(1, bad)).ParamName);
        }
    }

    [TestMethod]
    public void ScenesValidateTheirObjects()
    {
        var redCircle = new SceneObject(ShapeKind.Circle, ShapeColor.Red);
        Assert.AreEqual("count", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Scene.Counting(redCircle, 0)).ParamName);
        Assert.AreEqual("count", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Scene.Counting(redCircle, Scene.MaxCount + 1)).ParamName);
        Assert.AreEqual("item", Assert.ThrowsExactly<ArgumentException>(() => Scene.Counting(redCircle with { Color = (ShapeColor)42 }, 1)).ParamName);
        Assert.AreEqual("first", Assert.ThrowsExactly<ArgumentNullException>(() => Scene.ColorBinding(null!, redCircle)).ParamName);
        // Same colour, or same shape: the objects could not be told apart by colour, or a swap would be no change.
        Assert.AreEqual("second", Assert.ThrowsExactly<ArgumentException>(() => Scene.ColorBinding(redCircle, new SceneObject(ShapeKind.Square, ShapeColor.Red))).ParamName);
        Assert.AreEqual("second", Assert.ThrowsExactly<ArgumentException>(() => Scene.Spatial(redCircle, SpatialRelation.Above, new SceneObject(ShapeKind.Circle, ShapeColor.Blue))).ParamName);
        var blueSquare = new SceneObject(ShapeKind.Square, ShapeColor.Blue);
        Assert.AreEqual("relation", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Scene.Spatial(redCircle, (SpatialRelation)9, blueSquare)).ParamName);

        Assert.AreEqual(Scene.ColorBinding(redCircle, blueSquare), Scene.ColorBinding(redCircle, blueSquare));
        Assert.AreNotEqual(Scene.ColorBinding(redCircle, blueSquare), Scene.Spatial(redCircle, SpatialRelation.LeftOf, blueSquare));
    }

    [TestMethod]
    public void ColoursAreFarApartInSomeChannel()
    {
        var colors = Enum.GetValues<ShapeColor>();
        foreach (var a in colors)
        {
            foreach (var b in colors.Where(c => c > a))
            {
                var (ra, ga, ba) = a.Rgb();
                var (rb, gb, bb) = b.Rgb();
                int largest = new[] { Math.Abs(ra - rb), Math.Abs(ga - gb), Math.Abs(ba - bb) }.Max();
                Assert.IsGreaterThanOrEqualTo(100, largest, $"{a} vs {b}");
            }
        }

        var (r, g, bl) = ShapeColor.Red.Normalized();
        Assert.AreEqual((230 / 127.5f) - 1, r, 1e-6f);
        Assert.AreEqual((40 / 127.5f) - 1, g, 1e-6f);
        Assert.AreEqual((40 / 127.5f) - 1, bl, 1e-6f);
    }

    [TestMethod]
    public void TheGenEvalSplitHoldsOutEverySingleObjectPromptAndTheSplitsTestPrompts()
    {
        var (train, test) = Bench.Split(seed: 2026);
        var (genEvalTrain, heldOut) = Bench.GenEvalSplit(seed: 2026);

        Assert.AreEqual(24, Bench.AllPrompts().Count(p => p.Scene.IsSingleObject));
        Assert.AreEqual(24, heldOut.Count(p => p.Scene.IsSingleObject));
        Assert.IsFalse(genEvalTrain.Any(p => p.Scene.IsSingleObject));
        CollectionAssert.AreEqual(test.ToList(), heldOut.Take(test.Count).ToList(), "the split's test prompts first, in order");
        Assert.AreEqual(test.Count + 23, heldOut.Count);
        CollectionAssert.AreEquivalent(train.Concat(test).ToList(), genEvalTrain.Concat(heldOut).ToList(), "every prompt on exactly one side");
    }
}
