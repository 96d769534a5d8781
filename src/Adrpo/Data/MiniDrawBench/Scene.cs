namespace Adrpo.Data.MiniDrawBench;

/// <summary>
/// What an image must show to satisfy a prompt, in one of three exact forms (one per <see cref="PromptCategory"/>):
/// <list type="bullet">
/// <item><see cref="ColorBinding"/>: <see cref="First"/> and <see cref="Second"/>, once each, no arrangement.</item>
/// <item><see cref="Counting"/>: <see cref="Count"/> copies of <see cref="First"/>, nothing else.</item>
/// <item><see cref="Spatial"/>: <see cref="First"/> placed <see cref="Relation"/> <see cref="Second"/>.</item>
/// </list>
/// The two objects of a two-object scene differ in both shape and colour, so every object in an image is
/// identified by its colour alone and a swapped binding ("a blue circle and a red square") is a different scene.
/// </summary>
public sealed record Scene
{
    /// <summary>The largest count a counting scene may ask for.</summary>
    public const int MaxCount = 4;

    private Scene(PromptCategory category, SceneObject first, SceneObject? second, int count, SpatialRelation? relation)
    {
        Category = category;
        First = first;
        Second = second;
        Count = count;
        Relation = relation;
    }

    /// <summary>The category this scene's form belongs to.</summary>
    public PromptCategory Category { get; }

    /// <summary>The first (for counting scenes, the only) object.</summary>
    internal SceneObject First { get; }

    /// <summary>The second object; <see langword="null"/> for counting scenes.</summary>
    internal SceneObject? Second { get; }

    /// <summary>How many copies of <see cref="First"/> the image shows: 1 to <see cref="MaxCount"/> for counting scenes, 1 otherwise.</summary>
    public int Count { get; }

    /// <summary>A count-1 counting scene ("one red circle"): what GenEval's single_object and colors categories score
    /// (<see cref="Verification.SceneVerifier"/>), and what the studies hold out of training so that those categories
    /// rest on all 24 such prompts.</summary>
    internal bool IsSingleObject => Category == PromptCategory.Counting && Count == 1;

    /// <summary>Where <see cref="First"/> lies relative to <see cref="Second"/>; set for spatial scenes only.</summary>
    internal SpatialRelation? Relation { get; }

    /// <summary>Two objects, once each: "a red circle and a blue square".</summary>
    /// <param name="first">The first object.</param>
    /// <param name="second">The second object; differs from <paramref name="first"/> in shape and in colour.</param>
    internal static Scene ColorBinding(SceneObject first, SceneObject second)
    {
        CheckPair(first, second);
        return new Scene(PromptCategory.ColorBinding, first, second, 1, null);
    }

    /// <summary><paramref name="count"/> copies of one object: "three green triangles".</summary>
    /// <param name="item">The object to repeat.</param>
    /// <param name="count">How many copies, 1 to <see cref="MaxCount"/>.</param>
    internal static Scene Counting(SceneObject item, int count)
    {
        ArgumentNullException.ThrowIfNull(item);
        CheckDefined(item, nameof(item));
        if (count < 1 || count > MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be in 1..{MaxCount}.");
        }

        return new Scene(PromptCategory.Counting, item, null, count, null);
    }

    /// <summary>Two objects in an arrangement: "a yellow star left of a red square".</summary>
    /// <param name="first">The object placed relative to <paramref name="second"/>.</param>
    /// <param name="relation">Where <paramref name="first"/> lies relative to <paramref name="second"/>.</param>
    /// <param name="second">The reference object; differs from <paramref name="first"/> in shape and in colour.</param>
    internal static Scene Spatial(SceneObject first, SpatialRelation relation, SceneObject second)
    {
        CheckPair(first, second);
        if (!Enum.IsDefined(relation))
        {
            throw new ArgumentOutOfRangeException(nameof(relation), relation, "Not a defined SpatialRelation.");
        }

        return new Scene(PromptCategory.Spatial, first, second, 1, relation);
    }

    private static void CheckPair(SceneObject first, SceneObject second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        CheckDefined(first, nameof(first));
        CheckDefined(second, nameof(second));
        if (first.Shape == second.Shape || first.Color == second.Color)
        {
            throw new ArgumentException(
                $"The two objects must differ in shape and in colour (got {first} and {second}): objects are told apart by colour.",
                nameof(second));
        }
    }

    private static void CheckDefined(SceneObject item, string name)
    {
        if (!Enum.IsDefined(item.Shape) || !Enum.IsDefined(item.Color))
        {
            throw new ArgumentException($"{item} has an undefined shape or colour.", name);
        }
    }
}
