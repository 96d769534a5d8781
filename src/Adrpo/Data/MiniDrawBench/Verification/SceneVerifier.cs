using Adrpo.Data.MiniDrawBench.Detection;

namespace Adrpo.Data.MiniDrawBench.Verification;

/// <summary>
/// Compares the objects detected in an image (<see cref="SceneDetector"/>) with a prompt's <see cref="Scene"/>: the
/// verifiable half of MiniGenEval.
/// </summary>
/// <remarks>
/// <para>A scene asks for one or two kinds of object (shape + colour), each a number of times (the count of a
/// counting scene, else once). Its requirements, in this order:</para>
/// <list type="number">
/// <item>the number of objects in all is the scene's (nothing missing, nothing extra);</item>
/// <item>per kind: its shape is drawn (some object has it), its colour is drawn, and exactly the asked number of
/// objects have both (the binding);</item>
/// <item>spatial scenes: the first object lies on the named side of the second (<see cref="Holds"/>).</item>
/// </list>
/// <para>All met is GenEval's binary verdict (the image shows exactly the scene). The share met is partial credit:
/// a wrong count, a swapped colour or a wrong side still earns the shape and colour requirements, so samples of one
/// prompt that all fail are still ranked (group-relative advantages are zero when every reward in a group is equal).</para>
/// </remarks>
internal static class SceneVerifier
{
    /// <summary>
    /// GenEval's position margin: the centres' offset along the relation's axis must exceed a tenth of the two boxes'
    /// extents along it, and what remains must point within 60 degrees of the named direction (its share of the
    /// whole offset above one half). The renderer keeps box centres at least 8 px apart along the axis and at most
    /// half that across it, which passes with room to spare.
    /// </summary>
    public const double PositionMargin = 0.1;

    /// <summary>Checks <paramref name="objects"/> against <paramref name="scene"/>.</summary>
    public static SceneVerdict Verify(Scene scene, IReadOnlyList<DetectedObject> objects)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(objects);
        var kinds = scene.Second is null ? new[] { (Item: scene.First, Count: scene.Count) } : new[] { (Item: scene.First, Count: 1), (Item: scene.Second, Count: 1) };
        int total = kinds.Sum(k => k.Count);
        var requirements = new List<Requirement> { new($"exactly {total} object{(total > 1 ? "s" : "")}", objects.Count == total) };
        foreach (var (item, count) in kinds)
        {
            string shape = Word(item.Shape), color = Word(item.Color);
            requirements.Add(new($"a {shape}", objects.Any(o => o.Shape == item.Shape)));
            requirements.Add(new($"{color}", objects.Any(o => o.Color == item.Color)));
            requirements.Add(new($"exactly {count} {color} {shape}", Bound(objects, item).Count == count));
        }

        if (scene.Relation is { } relation)
        {
            var first = Bound(objects, scene.First);
            var second = Bound(objects, scene.Second!);
            bool holds = first.Count == 1 && second.Count == 1 && Holds(relation, first[0], second[0]);
            requirements.Add(new($"{Word(scene.First.Color)} {Word(scene.First.Shape)} {Word(relation)} {Word(scene.Second!.Color)} {Word(scene.Second.Shape)}", holds));
        }

        bool correct = requirements.All(r => r.Met);
        var categories = new List<(GenEvalCategory, bool)>();
        switch (scene.Category)
        {
            case PromptCategory.Counting when scene.IsSingleObject:
                categories.Add((GenEvalCategory.SingleObject, objects.Count == 1 && objects[0].Shape == scene.First.Shape));
                categories.Add((GenEvalCategory.Colors, correct));
                break;
            case PromptCategory.Counting:
                categories.Add((GenEvalCategory.Counting, correct));
                break;
            case PromptCategory.ColorBinding:
                categories.Add((GenEvalCategory.TwoObjects, objects.Count == 2 &&
                    objects.Count(o => o.Shape == scene.First.Shape) == 1 && objects.Count(o => o.Shape == scene.Second!.Shape) == 1));
                categories.Add((GenEvalCategory.ColorAttribution, correct));
                break;
            default:
                categories.Add((GenEvalCategory.Position, correct));
                break;
        }

        return new SceneVerdict(requirements, categories);
    }

    /// <summary>Whether <paramref name="first"/> lies <paramref name="relation"/> <paramref name="second"/>, by bounding-box centres (see <see cref="PositionMargin"/>).</summary>
    public static bool Holds(SpatialRelation relation, DetectedObject first, DetectedObject second)
    {
        double dx = first.CentreX - second.CentreX, dy = first.CentreY - second.CentreY;
        double length = Math.Sqrt((dx * dx) + (dy * dy));
        var (along, extent) = relation switch
        {
            SpatialRelation.LeftOf => (-dx, first.Width + second.Width),
            SpatialRelation.RightOf => (dx, first.Width + second.Width),
            SpatialRelation.Above => (-dy, first.Height + second.Height),
            _ => (dy, first.Height + second.Height),
        };
        double revised = along - (PositionMargin * extent);
        return revised > 0 && revised > 0.5 * length;
    }

    private static List<DetectedObject> Bound(IReadOnlyList<DetectedObject> objects, SceneObject item) =>
        objects.Where(o => o.Shape == item.Shape && o.Color == item.Color).ToList();

    private static string Word(ShapeKind shape) => shape.ToString().ToLowerInvariant();

    private static string Word(ShapeColor color) => color.ToString().ToLowerInvariant();

    private static string Word(SpatialRelation relation) => relation switch
    {
        SpatialRelation.LeftOf => "left of",
        SpatialRelation.RightOf => "right of",
        SpatialRelation.Above => "above",
        _ => "below",
    };
}
