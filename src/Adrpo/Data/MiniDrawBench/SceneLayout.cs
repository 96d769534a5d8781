namespace Adrpo.Data.MiniDrawBench;

/// <summary>
/// Chooses random sizes and positions for a scene's objects: boxes never touch (so each object is one connected
/// component) and spatial scenes get an unambiguous arrangement.
/// </summary>
internal static class SceneLayout
{
    /// <summary>Empty pixels kept between boxes: objects stay separate components with room to spare.</summary>
    public const int Gap = 2;

    /// <summary>The least distance, along the relation's axis, between the centres of a spatial scene's objects.</summary>
    public const double MinSpatialOffset = 8;

    // Random layouts tried per size limit before the largest size is lowered by one pixel.
    private const int TriesPerSizeLimit = 64;

    /// <summary>The scene's objects in drawing order: <see cref="Scene.Count"/> copies of a counting scene's object, else first and second.</summary>
    public static SceneObject[] Items(Scene scene) =>
        scene.Second is null ? Enumerable.Repeat(scene.First, scene.Count).ToArray() : [scene.First, scene.Second];

    /// <summary>A random layout of <paramref name="scene"/> in a square image of side <paramref name="imageSize"/>.</summary>
    public static ShapeBox[] Place(Scene scene, Random random, int imageSize)
    {
        var items = Items(scene);
        // Rejection sampling; crowded scenes (four copies, large sizes) are retried with smaller shapes.
        for (int limit = ShapeRaster.MaxSize; ; limit--)
        {
            for (int attempt = 0; attempt < TriesPerSizeLimit; attempt++)
            {
                var boxes = new ShapeBox[items.Length];
                bool apart = true;
                for (int i = 0; i < items.Length && apart; i++)
                {
                    int size = random.Next(ShapeRaster.MinSize(items[i].Shape), Math.Max(ShapeRaster.MinSize(items[i].Shape), limit) + 1);
                    boxes[i] = new ShapeBox(items[i], random.Next(imageSize - size + 1), random.Next(imageSize - size + 1), size);
                    for (int j = 0; j < i && apart; j++)
                    {
                        apart = boxes[j].IsApart(boxes[i], Gap);
                    }
                }

                if (apart && Satisfies(scene, boxes))
                {
                    return boxes;
                }
            }

            if (items.All(item => limit <= ShapeRaster.MinSize(item.Shape)))
            {
                // Practically unreachable for 32 px images; keeps Render total rather than probabilistic.
                return Fallback(scene, imageSize);
            }
        }
    }

    /// <summary>Whether a spatial scene's boxes show its relation clearly; always true for the other forms.</summary>
    public static bool Satisfies(Scene scene, IReadOnlyList<ShapeBox> boxes)
    {
        if (scene.Relation is not { } relation)
        {
            return true;
        }

        double dx = boxes[0].CentreX - boxes[1].CentreX;
        double dy = boxes[0].CentreY - boxes[1].CentreY;
        var (along, across) = relation switch
        {
            SpatialRelation.LeftOf => (-dx, dy),
            SpatialRelation.RightOf => (dx, dy),
            SpatialRelation.Above => (-dy, dx),
            _ => (dy, dx),
        };

        // "Clearly": far enough along the axis, and more along it than across it, so "left of" never reads as "above".
        return along >= MinSpatialOffset && Math.Abs(across) <= along / 2;
    }

    /// <summary>A fixed layout at the smallest sizes: a 2 x 2 grid for copies, a row or column for two objects.</summary>
    public static ShapeBox[] Fallback(Scene scene, int imageSize)
    {
        var items = Items(scene);
        int cell = imageSize / 2;
        var boxes = new ShapeBox[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            int size = ShapeRaster.MinSize(items[i].Shape);
            // Item i goes to grid cell (i % 2, i / 2); a spatial scene's first object takes the cell its relation names.
            int col = i % 2, row = i / 2;
            switch (scene.Relation)
            {
                case SpatialRelation.RightOf:
                    col = 1 - col;
                    break;
                case SpatialRelation.Above:
                    (col, row) = (0, i);
                    break;
                case SpatialRelation.Below:
                    (col, row) = (0, 1 - i);
                    break;
            }

            boxes[i] = new ShapeBox(items[i], (col * cell) + ((cell - size) / 2), (row * cell) + ((cell - size) / 2), size);
        }

        return boxes;
    }
}
