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
}
