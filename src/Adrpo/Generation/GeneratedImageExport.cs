using Adrpo.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Generation;

/// <summary>Writes the images of a generated column as PNG files or a grid.</summary>
public static class GeneratedImageExport
{
    /// <summary>Reads the image column of <paramref name="transformed"/> (a [C, H, W] Single vector per row).</summary>
    /// <returns>The images and the (channels, height, width) of each.</returns>
    public static (List<float[]> Images, int Channels, int Height, int Width) ReadImages(IDataView transformed, string column = "Image")
    {
        ArgumentNullException.ThrowIfNull(transformed);
        var schemaColumn = transformed.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentException($"Column '{column}' was not found; it is the generator's OutputColumnName.", nameof(column));
        if (schemaColumn.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType != NumberDataViewType.Single || vector.Dimensions.Length != 3)
        {
            throw new ArgumentException($"Column '{column}' is {schemaColumn.Type}; expected a Single vector with dimensions [channels, height, width].", nameof(column));
        }

        var images = new List<float[]>();
        using var cursor = transformed.GetRowCursor(new[] { schemaColumn });
        var getter = cursor.GetGetter<VBuffer<float>>(schemaColumn);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            images.Add(value.DenseValues().ToArray());
        }

        return (images, vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2]);
    }

    /// <summary>Writes one PNG per row (<c>{prefix}{row:D4}.png</c>) into <paramref name="folder"/>; returns the paths.</summary>
    public static IReadOnlyList<string> WritePngs(IDataView transformed, string folder, string column = "Image", string prefix = "sample_")
    {
        var (images, channels, height, width) = ReadImages(transformed, column);
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (int i = 0; i < images.Count; i++)
        {
            string path = Path.Combine(folder, $"{prefix}{i:D4}.png");
            PngWriter.Write(path, images[i], channels, height, width);
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Writes all rows as one grid PNG with <paramref name="columns"/> images per line.</summary>
    public static void WriteGrid(IDataView transformed, string path, int columns = 8, string column = "Image")
    {
        var (images, channels, height, width) = ReadImages(transformed, column);
        PngWriter.WriteGrid(path, images, channels, height, width, columns);
    }

    /// <summary>
    /// Reads every row's samples from a [N, C, H, W] column (the generator's
    /// <see cref="GenerationSettings.SamplesColumnName"/>, present when SamplesPerPrompt &gt; 1) or from a
    /// [C, H, W] column (one sample per row).
    /// </summary>
    /// <param name="transformed">The output of a generator's Transform.</param>
    /// <param name="column">The samples column. Default "Images".</param>
    /// <returns>Per row its samples in sample order (<c>Samples[row][j]</c>, C*H*W values each), and N, C, H, W.</returns>
    /// <exception cref="ArgumentException">The column is missing or is not a Single vector with 4 (or 3) dimensions.</exception>
    public static (List<float[][]> Samples, int SamplesPerRow, int Channels, int Height, int Width) ReadSamples(IDataView transformed, string column = "Images")
    {
        ArgumentNullException.ThrowIfNull(transformed);
        ArgumentNullException.ThrowIfNull(column);
        var schemaColumn = transformed.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentException($"Column '{column}' was not found. A FlowMatchingGeneratorTransformer adds its SamplesColumnName (default 'Images') only when SamplesPerPrompt > 1; with one sample per prompt, pass its OutputColumnName (default 'Image').", nameof(column));
        if (schemaColumn.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Dimensions.Length is not (3 or 4) || !vector.IsKnownSize)
        {
            throw new ArgumentException($"Column '{column}' is {schemaColumn.Type}; expected a Single vector with dimensions [samples, channels, height, width] or [channels, height, width].", nameof(column));
        }

        var dims = vector.Dimensions;
        int n = dims.Length == 4 ? dims[0] : 1;
        int channels = dims[^3], height = dims[^2], width = dims[^1];
        int size = channels * height * width;
        var rows = new List<float[][]>();
        using var cursor = transformed.GetRowCursor(new[] { schemaColumn });
        var getter = cursor.GetGetter<VBuffer<float>>(schemaColumn);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            float[] all = value.DenseValues().ToArray();
            rows.Add(Enumerable.Range(0, n).Select(j => all.AsSpan(j * size, size).ToArray()).ToArray());
        }

        return (rows, n, channels, height, width);
    }

    /// <summary>
    /// Writes all samples as one grid PNG, atomically (a temporary file renamed over <paramref name="path"/>): one
    /// grid line per row (prompt), its N samples left to right in sample order, grey padding between tiles.
    /// </summary>
    /// <param name="transformed">The output of a generator's Transform.</param>
    /// <param name="path">Destination file; its folder must exist.</param>
    /// <param name="column">A [N, C, H, W] samples column (default "Images"), or a [C, H, W] column for one sample per line.</param>
    /// <param name="padding">Grey pixels around and between tiles, at least 0.</param>
    /// <exception cref="ArgumentException">The column is missing or of the wrong type, or <paramref name="transformed"/> has no rows.</exception>
    public static void WriteSamplesGrid(IDataView transformed, string path, string column = "Images", int padding = 2)
    {
        var (rows, n, channels, height, width) = ReadSamples(transformed, column);
        if (rows.Count == 0)
        {
            throw new ArgumentException("The data view has no rows, so there is nothing to draw.", nameof(transformed));
        }

        PngWriter.WriteGrid(path, rows.SelectMany(r => r).ToList(), channels, height, width, columns: n, padding);
    }
}
