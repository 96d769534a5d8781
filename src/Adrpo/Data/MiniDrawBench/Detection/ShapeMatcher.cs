namespace Adrpo.Data.MiniDrawBench.Detection;

/// <summary>
/// Names a component's shape by template matching: the intersection over union (IoU) of its pixels with each
/// shape's rasterised template (<see cref="ShapeTemplates"/>), at box sizes within two pixels of the component's
/// and at every one-pixel shift around the aligned bounding boxes; the shape with the best IoU wins if that IoU is
/// high enough and clearly ahead of the runner-up.
/// </summary>
/// <remarks>
/// Why templates rather than thresholds on hand-picked features (fill ratio, solidity, centroid): at 7-12 px the
/// features of a circle and a square, or a star and a triangle, differ by a few pixels, and a ragged edge moves every
/// bounding-box feature at once (a square with 15% of its boundary pixels flipped had a fill ratio as low as 0.63, a
/// disc's is 0.76-0.85). The IoU weighs every pixel alike, so a few flipped pixels cost the right template and the
/// wrong ones about equally. The renderer's own masks are the templates, so a clean render matches its shape with IoU 1.
/// </remarks>
internal static class ShapeMatcher
{
    /// <summary>
    /// The least IoU with the best template for a component to count as that shape: a blob that overlaps no shape's
    /// template this well (a bar, an L, a ring, a smear) is no shape at all. Clean renders match their own template
    /// with IoU 1; at the base generator's noise level (MiniGenEval's tests) nearly all still clear it.
    /// </summary>
    public const double MinIoU = 0.7;

    /// <summary>
    /// The least lead of the best shape's IoU over the second best; closer calls are no shape. The closest pair of
    /// clean templates is a 9 px disc against the square around it (IoU 69 / 81 = 0.85, a lead of 0.15).
    /// </summary>
    public const double MinMargin = 0.02;

    /// <summary>The best IoU of each shape, indexed by <see cref="ShapeKind"/>.</summary>
    public static double[] Scores(IReadOnlyList<(int X, int Y)> pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Count == 0)
        {
            throw new ArgumentException("A component has at least one pixel.", nameof(pixels));
        }

        int left = pixels.Min(p => p.X), top = pixels.Min(p => p.Y);
        int width = pixels.Max(p => p.X) - left + 1, height = pixels.Max(p => p.Y) - top + 1;
        // The component on a grid with a margin wide enough for every template placement tried below.
        const int margin = ShapeTemplates.MaxSize;
        var grid = new bool[height + (2 * margin), width + (2 * margin)];
        foreach (var (x, y) in pixels)
        {
            grid[y - top + margin, x - left + margin] = true;
        }

        var shapes = Enum.GetValues<ShapeKind>();
        var best = new double[shapes.Length];
        int side = Math.Max(width, height);
        foreach (var shape in shapes)
        {
            for (int size = Math.Max(ShapeTemplates.MinSize, side - 2); size <= Math.Min(ShapeTemplates.MaxSize, side + 2); size++)
            {
                var template = ShapeTemplates.Get(shape, size);
                // Centre the template's tight box on the component's, then try every one-pixel shift around that.
                int baseX = margin + ((width - template.Width) / 2), baseY = margin + ((height - template.Height) / 2);
                for (int dy = -1; dy <= 1; dy++)
                {
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int overlap = 0;
                        foreach (var (tx, ty) in template.Pixels)
                        {
                            overlap += grid[baseY + dy + ty, baseX + dx + tx] ? 1 : 0;
                        }

                        double iou = overlap / (double)(template.Pixels.Length + pixels.Count - overlap);
                        best[(int)shape] = Math.Max(best[(int)shape], iou);
                    }
                }
            }
        }

        return best;
    }

    /// <summary>The shape of the component, or null when no template fits well (<see cref="MinIoU"/>) and clearly (<see cref="MinMargin"/>).</summary>
    public static ShapeKind? Classify(IReadOnlyList<(int X, int Y)> pixels) => Decide(Scores(pixels));

    /// <summary>The shape that <see cref="Scores"/> name, or null (see <see cref="Classify"/>).</summary>
    public static ShapeKind? Decide(IReadOnlyList<double> scores)
    {
        int winner = Enumerable.Range(0, scores.Count).MaxBy(i => scores[i]);
        double runnerUp = scores.Where((_, i) => i != winner).Max();
        return scores[winner] >= MinIoU && scores[winner] - runnerUp >= MinMargin ? (ShapeKind)winner : null;
    }
}
