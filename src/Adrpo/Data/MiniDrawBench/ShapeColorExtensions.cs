namespace Adrpo.Data.MiniDrawBench;

/// <summary>The fixed RGB value of each <see cref="ShapeColor"/>.</summary>
internal static class ShapeColorExtensions
{
    /// <summary>
    /// The colour's 8-bit RGB value. The values are far apart (every pair differs by at least 100 in some channel)
    /// so a reward model, or a test, can tell the colours apart after noise.
    /// </summary>
    /// <param name="color">The colour.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="ShapeColor"/>.</exception>
    public static (byte R, byte G, byte B) Rgb(this ShapeColor color) => color switch
    {
        ShapeColor.Red => (230, 40, 40),
        ShapeColor.Green => (40, 200, 60),
        ShapeColor.Blue => (50, 90, 240),
        ShapeColor.Yellow => (240, 220, 40),
        ShapeColor.Purple => (160, 60, 220),
        ShapeColor.White => (240, 240, 240),
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, "Not a defined ShapeColor."),
    };

    /// <summary>
    /// The colour's RGB value in the model's pixel range [-1, 1] (0 maps to -1, 255 to 1), channels R, G, B.
    /// </summary>
    /// <param name="color">The colour.</param>
    public static (float R, float G, float B) Normalized(this ShapeColor color)
    {
        var (r, g, b) = color.Rgb();
        return ((r / 127.5f) - 1f, (g / 127.5f) - 1f, (b / 127.5f) - 1f);
    }
}
