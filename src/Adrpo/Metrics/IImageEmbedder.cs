namespace Adrpo.Metrics;

/// <summary>Maps images to fixed-size feature vectors, for metrics such as <see cref="ImageDiversity"/>.</summary>
public interface IImageEmbedder
{
    /// <summary>Length of every embedding <see cref="Embed"/> returns.</summary>
    int Dimension { get; }

    /// <summary>Embeds images given as CHW float arrays with values in [-1, 1].</summary>
    /// <param name="images">Images of <c>channels * height * width</c> values each.</param>
    /// <param name="channels">Colour channels of every image.</param>
    /// <param name="height">Rows of every image.</param>
    /// <param name="width">Columns of every image.</param>
    /// <returns>One new <see cref="Dimension"/>-long vector per image, in input order.</returns>
    float[][] Embed(IReadOnlyList<float[]> images, int channels, int height, int width);
}
