namespace Adrpo.Metrics;

/// <summary>
/// Sample diversity as the ADRPO paper measures it, the mean pairwise Euclidean distance between embeddings of the
/// samples drawn for one prompt, with a pretrained image embedder standing in for CLIP (by default
/// <see cref="ResNetImageEmbedder"/>, ResNet-18 features).
/// </summary>
/// <remarks>
/// The mean is over unordered pairs <c>i &lt; j</c>, the same number as the mean over ordered pairs <c>i != j</c>.
/// Distances are accumulated in double precision. The embedder is not owned: dispose it yourself.
/// Thread-safe when the embedder is.
/// </remarks>
public sealed class ImageDiversity
{
    private readonly IImageEmbedder _embedder;

    /// <summary>Measures diversity with <paramref name="embedder"/>.</summary>
    /// <param name="embedder">Maps images to embeddings, e.g. a <see cref="ResNetImageEmbedder"/>; not disposed here.</param>
    public ImageDiversity(IImageEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        _embedder = embedder;
    }

    /// <summary>Mean Euclidean distance over all pairs of <paramref name="embeddings"/>.</summary>
    /// <param name="embeddings">Vectors of one common length.</param>
    /// <returns>The mean distance; 0 for fewer than two vectors.</returns>
    /// <exception cref="ArgumentNullException">The list or one of its vectors is null.</exception>
    /// <exception cref="ArgumentException">The vectors differ in length or hold a non-finite value.</exception>
    public static double MeanPairwiseDistance(IReadOnlyList<float[]> embeddings)
    {
        CheckEmbeddings(embeddings);
        return MeanPairwiseDistance(embeddings, 0, embeddings.Count);
    }

    /// <summary>
    /// Average over consecutive groups of <paramref name="groupSize"/> embeddings (the samples of one prompt) of each
    /// group's <see cref="MeanPairwiseDistance(IReadOnlyList{float[]})"/>.
    /// </summary>
    /// <param name="embeddings">Vectors of one common length, group after group; the count must be a positive
    /// multiple of <paramref name="groupSize"/>.</param>
    /// <param name="groupSize">Samples per prompt, at least 2.</param>
    /// <returns>The mean of the groups' mean pairwise distances.</returns>
    public static double MeanPairwiseDistanceOverGroups(IReadOnlyList<float[]> embeddings, int groupSize)
    {
        CheckEmbeddings(embeddings);
        CheckGroups(embeddings.Count, groupSize, nameof(embeddings));
        int groups = embeddings.Count / groupSize;
        double sum = 0;
        for (int g = 0; g < groups; g++)
        {
            sum += MeanPairwiseDistance(embeddings, g * groupSize, groupSize);
        }

        return sum / groups;
    }

    /// <summary>Embeds <paramref name="images"/> and returns their mean pairwise embedding distance.</summary>
    /// <param name="images">CHW images with values in [-1, 1], all samples for one prompt.</param>
    /// <param name="channels">Colour channels of every image.</param>
    /// <param name="height">Rows of every image.</param>
    /// <param name="width">Columns of every image.</param>
    /// <returns>The mean distance; 0 for fewer than two images.</returns>
    /// <exception cref="ArgumentException">An image has the wrong length (from the embedder).</exception>
    public double Measure(IReadOnlyList<float[]> images, int channels, int height, int width)
        => MeanPairwiseDistance(EmbedChecked(images, channels, height, width));

    /// <summary>
    /// Embeds <paramref name="images"/> (consecutive groups of <paramref name="groupSize"/> samples, one group per
    /// prompt) and returns the average over groups of each group's mean pairwise embedding distance.
    /// </summary>
    /// <param name="images">CHW images with values in [-1, 1], group after group; the count must be a positive
    /// multiple of <paramref name="groupSize"/>.</param>
    /// <param name="groupSize">Samples per prompt, at least 2.</param>
    /// <param name="channels">Colour channels of every image.</param>
    /// <param name="height">Rows of every image.</param>
    /// <param name="width">Columns of every image.</param>
    /// <returns>The mean of the groups' mean pairwise distances.</returns>
    public double MeanOverGroups(IReadOnlyList<float[]> images, int groupSize, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckGroups(images.Count, groupSize, nameof(images));
        return MeanPairwiseDistanceOverGroups(EmbedChecked(images, channels, height, width), groupSize);
    }

    private float[][] EmbedChecked(IReadOnlyList<float[]> images, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        float[][] embeddings = _embedder.Embed(images, channels, height, width);
        if (embeddings is null || embeddings.Length != images.Count)
        {
            throw new InvalidOperationException($"The embedder returned {embeddings?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} embeddings for {images.Count} images.");
        }

        return embeddings;
    }

    private static double MeanPairwiseDistance(IReadOnlyList<float[]> embeddings, int start, int count)
    {
        if (count < 2)
        {
            return 0;
        }

        double sum = 0;
        for (int i = start; i < start + count; i++)
        {
            float[] a = embeddings[i];
            for (int j = i + 1; j < start + count; j++)
            {
                float[] b = embeddings[j];
                double squared = 0;
                for (int k = 0; k < a.Length; k++)
                {
                    double d = (double)a[k] - b[k];
                    squared += d * d;
                }

                sum += Math.Sqrt(squared);
            }
        }

        return sum / (count * (count - 1) / 2.0);
    }

    private static void CheckEmbeddings(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        for (int i = 0; i < embeddings.Count; i++)
        {
            float[] e = embeddings[i] ?? throw new ArgumentNullException(nameof(embeddings), $"Embedding {i} is null.");
            if (e.Length != embeddings[0].Length)
            {
                throw new ArgumentException($"Embedding {i} has {e.Length} values; embedding 0 has {embeddings[0].Length}.", nameof(embeddings));
            }

            int bad = Array.FindIndex(e, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new ArgumentException($"Embedding {i} holds {e[bad]} at index {bad}.", nameof(embeddings));
            }
        }
    }

    private static void CheckGroups(int count, int groupSize, string listName)
    {
        if (groupSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "groupSize must be at least 2: diversity needs two samples per prompt.");
        }

        if (count == 0 || count % groupSize != 0)
        {
            throw new ArgumentException($"{count} items do not form whole groups of {groupSize}; the count must be a positive multiple of groupSize.", listName);
        }
    }
}
