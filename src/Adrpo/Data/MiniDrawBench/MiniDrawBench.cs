namespace Adrpo.Data.MiniDrawBench;

/// <summary>
/// A procedural miniature of DrawBench for the flow-matching track: 32 x 32 RGB images of coloured shapes and
/// prompts that test what the ADRPO paper's DrawBench evaluation tests: colour-attribute binding, counting and
/// spatial position. Everything is generated, so the data set needs no download and every image's content is
/// known exactly (a reward can be computed from the scene instead of a learned detector).
/// </summary>
/// <remarks>
/// Images are float arrays in CHW layout (<see cref="SampleShape"/>), values in [-1, 1]: the background is near
/// -1 (black) with slight noise, shapes are the colour's <see cref="ShapeColorExtensions.Normalized"/> value
/// with slight noise. Shapes are 7-12 px (stars 9-12 px) boxes kept at least 2 px apart.
/// </remarks>
public static class MiniDrawBench
{
    /// <summary>Image height and width in pixels.</summary>
    public const int ImageSize = 32;

    /// <summary>Colour channels (R, G, B).</summary>
    public const int Channels = 3;

    // Noise amplitudes in [-1, 1] units (1/127.5 is one 8-bit level): small enough that colours stay exact to
    // within 3 levels, large enough that a generator cannot score by memorising a few exact pixel values.
    private const float BackgroundNoise = 0.05f;
    private const float ShapeNoise = 0.03f;

    private static readonly string[] CountWords = ["one", "two", "three", "four"];

    private static readonly Lazy<IReadOnlyList<MiniDrawBenchPrompt>> Prompts = new(Enumerate);

    /// <summary>The shape of one image tensor: [<see cref="Channels"/>, <see cref="ImageSize"/>, <see cref="ImageSize"/>].</summary>
    public static long[] SampleShape => [Channels, ImageSize, ImageSize];

    /// <summary>
    /// Every prompt, in a fixed order: 180 colour-binding prompts (each unordered pair of objects that differ in
    /// shape and colour), 96 counting prompts (24 objects x counts 1-4) and 720 spatial prompts (each such pair in
    /// each of the four arrangements): 996 in all, texts unique.
    /// </summary>
    /// <remarks>
    /// An arrangement has two phrasings ("A left of B" is "B right of A"); only one is listed, so that a split
    /// never puts one phrasing in training and its twin in the test set. Which object is named first alternates
    /// from pair to pair, so both word orders and all four relation words appear.
    /// </remarks>
    public static IReadOnlyList<MiniDrawBenchPrompt> AllPrompts() => Prompts.Value;

    /// <summary>
    /// <see cref="Split"/> with every single-object prompt ("one red circle") moved to the held-out side: the split holds
    /// out only one of the 24, and GenEval's single_object and colors categories would rest on it alone. Held-out is the
    /// split's test prompts, then the training split's single-object prompts; both keep <see cref="AllPrompts"/> order.
    /// The quick start, the MiniGenEval study and its learning test train and evaluate on this.
    /// </summary>
    internal static (IReadOnlyList<MiniDrawBenchPrompt> Train, IReadOnlyList<MiniDrawBenchPrompt> HeldOut) GenEvalSplit(int seed)
    {
        var (train, test) = Split(seed);
        return (train.Where(p => !p.Scene.IsSingleObject).ToList(), test.Concat(train.Where(p => p.Scene.IsSingleObject)).ToList());
    }

    /// <summary>
    /// Splits <see cref="AllPrompts"/> into training and held-out test prompts, stratified by category: each
    /// category contributes <c>round(testFraction * n)</c> test prompts (at least 1, at most n - 1). The same seed
    /// always gives the same split, on every platform and runtime; both lists keep <see cref="AllPrompts"/> order.
    /// </summary>
    /// <param name="seed">Selects the split.</param>
    /// <param name="testFraction">Share of each category held out, in (0, 1).</param>
    public static (IReadOnlyList<MiniDrawBenchPrompt> Train, IReadOnlyList<MiniDrawBenchPrompt> Test) Split(int seed, double testFraction = 0.1)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "testFraction must be in (0, 1).");
        }

        var prompts = AllPrompts();
        var isTest = new bool[prompts.Count];
        foreach (var category in Enum.GetValues<PromptCategory>())
        {
            // A keyed hash rather than System.Random: Random's seeded sequence is not guaranteed across .NET versions.
            var members = Enumerable.Range(0, prompts.Count)
                .Where(i => prompts[i].Category == category)
                .OrderBy(i => Mix(((ulong)(uint)seed << 32) | (uint)i))
                .ToList();
            int take = Math.Clamp((int)Math.Round(testFraction * members.Count, MidpointRounding.AwayFromZero), 1, members.Count - 1);
            foreach (int i in members.Take(take))
            {
                isTest[i] = true;
            }
        }

        var train = new List<MiniDrawBenchPrompt>();
        var test = new List<MiniDrawBenchPrompt>();
        for (int i = 0; i < prompts.Count; i++)
        {
            (isTest[i] ? test : train).Add(prompts[i]);
        }

        return (train, test);
    }

    /// <summary>The English text of a scene, as used for prompts: "a red circle and a blue square", "three green triangles", "a yellow star left of a red square".</summary>
    /// <param name="scene">The scene.</param>
    public static string Describe(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return scene.Category switch
        {
            PromptCategory.ColorBinding => $"{Article(scene.First)} and {Article(scene.Second!)}",
            PromptCategory.Counting =>
                $"{CountWords[scene.Count - 1]} {Word(scene.First.Color)} {Word(scene.First.Shape)}{(scene.Count > 1 ? "s" : "")}",
            _ => $"{Article(scene.First)} {Word(scene.Relation!.Value)} {Article(scene.Second!)}",
        };
    }

    /// <summary>
    /// Draws a random image that satisfies <paramref name="scene"/>: exactly the scene's objects (for counting
    /// scenes, <see cref="Scene.Count"/> separate copies), each a separate component of its colour at a random
    /// size and position; for spatial scenes the first object's centre is at least 8 px from the second's along
    /// the relation's axis, and more along it than across it.
    /// </summary>
    /// <param name="scene">What to draw.</param>
    /// <param name="random">Source of sizes, positions and noise; the same state gives the same image.</param>
    /// <returns>[3 * 32 * 32] CHW pixels in [-1, 1].</returns>
    public static float[] Render(Scene scene, Random random)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        return Draw(SceneLayout.Place(scene, random, ImageSize), random);
    }

    /// <summary>
    /// A scene that violates <paramref name="prompt"/> in exactly one attribute, for training a contrastive
    /// reward model: one of three edits is drawn uniformly. Every category can get a wrong colour (one object
    /// takes a colour that is in no object of the prompt) or a wrong shape (likewise); the third edit is the
    /// category's own: colour binding swaps the two colours ("a blue circle and a red square"), counting changes
    /// the count to another of 1-4, spatial swaps the positions (the opposite relation).
    /// </summary>
    /// <param name="prompt">The prompt to violate.</param>
    /// <param name="random">Chooses the edit; the same state gives the same scene.</param>
    public static Scene MismatchScene(MiniDrawBenchPrompt prompt, Random random)
    {
        var scene = CheckPrompt(prompt);
        ArgumentNullException.ThrowIfNull(random);
        int edit = random.Next(3);
        var kind = edit switch
        {
            0 => scene.Category switch
            {
                PromptCategory.ColorBinding => MismatchKind.SwappedColors,
                PromptCategory.Counting => MismatchKind.WrongCount,
                _ => MismatchKind.SwappedSides,
            },
            1 => MismatchKind.WrongColor,
            _ => MismatchKind.WrongShape,
        };
        return MismatchScene(scene, kind, random);
    }

    /// <summary>The kinds of one-attribute edit that apply to a category (see <see cref="MismatchKind"/>).</summary>
    /// <param name="category">The prompt's category.</param>
    internal static IReadOnlyList<MismatchKind> MismatchKinds(PromptCategory category) => category switch
    {
        PromptCategory.ColorBinding => [MismatchKind.WrongColor, MismatchKind.WrongShape, MismatchKind.SwappedColors, MismatchKind.WrongCount],
        PromptCategory.Counting => [MismatchKind.WrongColor, MismatchKind.WrongShape, MismatchKind.WrongCount],
        _ => [MismatchKind.WrongColor, MismatchKind.WrongShape, MismatchKind.SwappedColors, MismatchKind.WrongCount, MismatchKind.SwappedSides],
    };

    /// <summary>
    /// A scene that violates <paramref name="scene"/> by the one edit <paramref name="kind"/> (see <see cref="MismatchKind"/>);
    /// the edits <see cref="MismatchScene(MiniDrawBenchPrompt, Random)"/> draws consume <paramref name="random"/> exactly as it always did.
    /// </summary>
    /// <exception cref="ArgumentException">The kind does not apply to the scene's category (<see cref="MismatchKinds"/>).</exception>
    internal static Scene MismatchScene(Scene scene, MismatchKind kind, Random random)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        if (!MismatchKinds(scene.Category).Contains(kind))
        {
            throw new ArgumentException($"The edit {kind} does not apply to a {scene.Category} scene; expected one of {string.Join(", ", MismatchKinds(scene.Category))}.", nameof(kind));
        }

        var first = scene.First;
        var second = scene.Second;
        switch (kind)
        {
            case MismatchKind.SwappedColors when scene.Relation is { } relation:
                return Scene.Spatial(first with { Color = second!.Color }, relation, second with { Color = first.Color });
            case MismatchKind.SwappedColors:
                return Scene.ColorBinding(first with { Color = second!.Color }, second with { Color = first.Color });
            case MismatchKind.WrongCount when second is null:
                return Scene.Counting(first, Other(random, scene.Count, Enumerable.Range(1, Scene.MaxCount)));
            case MismatchKind.WrongCount:
                // One of the two objects is left out: the scene then takes the form of a single object.
                return Scene.Counting(random.Next(2) == 0 ? first : second, 1);
            case MismatchKind.SwappedSides:
                return Scene.Spatial(first, Opposite(scene.Relation!.Value), second!);
        }

        // Edit one object (either, for two-object scenes) to a colour or shape that no object of the prompt has,
        // so the edited image cannot satisfy the prompt by a re-reading of which object is which.
        bool editSecond = second is not null && random.Next(2) == 1;
        var target = editSecond ? second! : first;
        var edited = kind == MismatchKind.WrongColor
            ? target with { Color = Other(random, first.Color, Enum.GetValues<ShapeColor>(), second?.Color) }
            : target with { Shape = Other(random, first.Shape, Enum.GetValues<ShapeKind>(), second?.Shape) };
        return scene.Category switch
        {
            PromptCategory.ColorBinding => editSecond ? Scene.ColorBinding(first, edited) : Scene.ColorBinding(edited, second!),
            PromptCategory.Counting => Scene.Counting(edited, scene.Count),
            _ => editSecond ? Scene.Spatial(first, scene.Relation!.Value, edited) : Scene.Spatial(edited, scene.Relation!.Value, second!),
        };
    }

    /// <summary>
    /// Draws a random image that violates <paramref name="prompt"/> in exactly one attribute: the scene from
    /// <see cref="MismatchScene(MiniDrawBenchPrompt, Random)"/> (wrong colour, wrong shape, or the category's own edit: swapped colours, wrong
    /// count, swapped positions), drawn by <see cref="Render"/>. Uses <paramref name="random"/> for the edit first,
    /// then for the image.
    /// </summary>
    /// <param name="prompt">The prompt to violate.</param>
    /// <param name="random">Source of the edit, sizes, positions and noise.</param>
    /// <returns>[3 * 32 * 32] CHW pixels in [-1, 1].</returns>
    public static float[] RenderMismatch(MiniDrawBenchPrompt prompt, Random random)
    {
        CheckPrompt(prompt);
        ArgumentNullException.ThrowIfNull(random);
        return Render(MismatchScene(prompt, random), random);
    }

    private static Scene CheckPrompt(MiniDrawBenchPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return prompt.Scene ?? throw new ArgumentException("The prompt has no scene.", nameof(prompt));
    }

    private static float[] Draw(IReadOnlyList<ShapeBox> boxes, Random random)
    {
        const int plane = ImageSize * ImageSize;
        var image = new float[Channels * plane];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = -1 + (BackgroundNoise * random.NextSingle());
        }

        foreach (var box in boxes)
        {
            var (r, g, b) = box.Item.Color.Normalized();
            var mask = ShapeRaster.Mask(box.Item.Shape, box.Size);
            for (int y = 0; y < box.Size; y++)
            {
                for (int x = 0; x < box.Size; x++)
                {
                    if (!mask[y, x])
                    {
                        continue;
                    }

                    int at = ((box.Y + y) * ImageSize) + box.X + x;
                    image[at] = Noisy(r, random);
                    image[plane + at] = Noisy(g, random);
                    image[(2 * plane) + at] = Noisy(b, random);
                }
            }
        }

        return image;
    }

    private static float Noisy(float value, Random random) =>
        Math.Clamp(value + (ShapeNoise * ((2 * random.NextSingle()) - 1)), -1f, 1f);

    private static IReadOnlyList<MiniDrawBenchPrompt> Enumerate()
    {
        var shapes = Enum.GetValues<ShapeKind>();
        var colors = Enum.GetValues<ShapeColor>();
        var pairs = new List<(SceneObject A, SceneObject B)>();
        for (int s1 = 0; s1 < shapes.Length; s1++)
        {
            for (int s2 = s1 + 1; s2 < shapes.Length; s2++)
            {
                foreach (var c1 in colors)
                {
                    foreach (var c2 in colors.Where(c => c != c1))
                    {
                        pairs.Add((new SceneObject(shapes[s1], c1), new SceneObject(shapes[s2], c2)));
                    }
                }
            }
        }

        var scenes = new List<Scene>();
        scenes.AddRange(pairs.Select(p => Scene.ColorBinding(p.A, p.B)));
        foreach (var shape in shapes)
        {
            foreach (var color in colors)
            {
                for (int count = 1; count <= Scene.MaxCount; count++)
                {
                    scenes.Add(Scene.Counting(new SceneObject(shape, color), count));
                }
            }
        }

        for (int p = 0; p < pairs.Count; p++)
        {
            var (a, b) = pairs[p];
            foreach (var relation in Enum.GetValues<SpatialRelation>())
            {
                // "a relation b" and "b opposite(relation) a" are one arrangement: list one phrasing, alternating.
                scenes.Add(p % 2 == 1 ? Scene.Spatial(a, relation, b) : Scene.Spatial(b, Opposite(relation), a));
            }
        }

        return scenes.Select(s => new MiniDrawBenchPrompt(Describe(s), s.Category, s)).ToArray();
    }

    private static SpatialRelation Opposite(SpatialRelation relation) => relation switch
    {
        SpatialRelation.LeftOf => SpatialRelation.RightOf,
        SpatialRelation.RightOf => SpatialRelation.LeftOf,
        SpatialRelation.Above => SpatialRelation.Below,
        _ => SpatialRelation.Above,
    };

    // A uniformly chosen value other than 'current' (and other than 'alsoExcluded' when given).
    private static T Other<T>(Random random, T current, IEnumerable<T> values, T? alsoExcluded = null)
        where T : struct
    {
        var candidates = values.Where(v => !v.Equals(current) && !v.Equals(alsoExcluded)).ToArray();
        return candidates[random.Next(candidates.Length)];
    }

    private static string Article(SceneObject item) => $"a {Word(item.Color)} {Word(item.Shape)}";

    private static string Word(ShapeColor color) => color.ToString().ToLowerInvariant();

    private static string Word(ShapeKind shape) => shape.ToString().ToLowerInvariant();

    private static string Word(SpatialRelation relation) => relation switch
    {
        SpatialRelation.LeftOf => "left of",
        SpatialRelation.RightOf => "right of",
        SpatialRelation.Above => "above",
        _ => "below",
    };

    // SplitMix64's finaliser: a fixed, well-mixed permutation of 64-bit keys.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
