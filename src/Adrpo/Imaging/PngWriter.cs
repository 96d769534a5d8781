using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Adrpo.Imaging;

/// <summary>
/// A dependency-free PNG encoder for model images: float CHW pixels in [-1, 1] become an 8-bit greyscale (one
/// channel) or RGB (three channels) PNG, so samples can be looked at without an imaging package.
/// </summary>
/// <remarks>
/// Pixels map linearly, -1 to 0 and 1 to 255, rounded to nearest and clamped; NaN is rejected. Every row uses
/// filter 0 (none): model images are tiny and the encoder stays obviously correct. Files are written atomically.
/// </remarks>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // The CRC-32 of PNG (ISO 3309, polynomial 0xEDB88320 reflected), one table entry per byte value.
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes one image as PNG bytes.</summary>
    /// <param name="chw">Pixels in CHW layout, length <c>channels * height * width</c>, values in [-1, 1].</param>
    /// <param name="channels">1 (greyscale) or 3 (RGB).</param>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="width">Columns, at least 1.</param>
    /// <returns>The complete PNG file.</returns>
    public static byte[] Encode(float[] chw, int channels, int height, int width)
    {
        CheckImage(chw, nameof(chw), channels, height, width);

        // Raw scanlines: a filter-type byte (0) then the row's interleaved samples.
        int rowBytes = 1 + (channels * width);
        var raw = new byte[(long)rowBytes * height];
        int plane = height * width;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    raw[((long)y * rowBytes) + 1 + (x * channels) + c] = ToByte(chw[(c * plane) + (y * width) + x]);
                }
            }
        }

        return EncodeScanlines(raw, channels, height, width);
    }

    /// <summary>Encodes 8-bit interleaved RGB pixels (row-major, <c>height * width * 3</c> bytes) as PNG bytes.</summary>
    internal static byte[] EncodeRgb(byte[] rgb, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (rgb.LongLength != (long)height * width * 3)
        {
            throw new ArgumentException($"rgb has {rgb.Length} bytes; height * width * 3 = {(long)height * width * 3}.", nameof(rgb));
        }

        int rowBytes = 1 + (3 * width);
        var raw = new byte[(long)rowBytes * height];
        for (int y = 0; y < height; y++)
        {
            Array.Copy(rgb, (long)y * width * 3, raw, ((long)y * rowBytes) + 1, width * 3);
        }

        return EncodeScanlines(raw, 3, height, width);
    }

    /// <summary>Writes finished PNG bytes to <paramref name="path"/> atomically, as <see cref="Write"/> does.</summary>
    internal static void WriteBytes(string path, byte[] png) => WriteAtomically(CheckPath(path), png);

    // Raw scanlines (each a filter byte 0 then the row's samples) into a complete PNG file.
    private static byte[] EncodeScanlines(byte[] raw, int channels, int height, int width)
    {
        using var png = new MemoryStream();
        png.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(0), (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8;                                  // bit depth
        header[9] = (byte)(channels == 1 ? 0 : 2);      // colour type: greyscale or truecolour
        // header[10..12]: compression 0 (deflate), filter method 0, no interlace.
        WriteChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(raw);
            }

            WriteChunk(png, "IDAT", compressed.ToArray());
        }

        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// Writes one image as a PNG file, atomically: a temporary file in the same folder is written, flushed and
    /// renamed over <paramref name="path"/>; on failure the temporary file is deleted and an existing file is kept.
    /// </summary>
    /// <param name="path">Destination file; its folder must exist.</param>
    /// <param name="chw">Pixels in CHW layout, length <c>channels * height * width</c>, values in [-1, 1].</param>
    /// <param name="channels">1 (greyscale) or 3 (RGB).</param>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="width">Columns, at least 1.</param>
    public static void Write(string path, float[] chw, int channels, int height, int width)
    {
        string full = CheckPath(path);
        WriteAtomically(full, Encode(chw, channels, height, width));
    }

    /// <summary>
    /// Writes images of one size as a grid in a single PNG file (atomically, as <see cref="Write"/>): row-major,
    /// <c>min(columns, count)</c> tiles per row, <paramref name="padding"/> pixels of mid-grey (0 in [-1, 1])
    /// around and between tiles so black-background images stay apart. Unused cells of the last row are grey.
    /// </summary>
    /// <param name="path">Destination file; its folder must exist.</param>
    /// <param name="images">At least one image, each in CHW layout of length <c>channels * height * width</c>.</param>
    /// <param name="channels">1 (greyscale) or 3 (RGB).</param>
    /// <param name="height">Rows of each image, at least 1.</param>
    /// <param name="width">Columns of each image, at least 1.</param>
    /// <param name="columns">Tiles per grid row, at least 1.</param>
    /// <param name="padding">Grey pixels around and between tiles, at least 0.</param>
    public static void WriteGrid(string path, IReadOnlyList<float[]> images, int channels, int height, int width, int columns, int padding = 2)
    {
        string full = CheckPath(path);
        var (grid, gridHeight, gridWidth) = Tile(images, channels, height, width, columns, padding);
        WriteAtomically(full, Encode(grid, channels, gridHeight, gridWidth));
    }

    /// <summary>The grid of <see cref="WriteGrid"/> as one CHW image.</summary>
    internal static (float[] Grid, int Height, int Width) Tile(IReadOnlyList<float[]> images, int channels, int height, int width, int columns, int padding)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("images must hold at least one image.", nameof(images));
        }

        for (int i = 0; i < images.Count; i++)
        {
            CheckImage(images[i], $"{nameof(images)}[{i}]", channels, height, width, nameof(images));
        }

        if (columns < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be at least 1.");
        }

        if (padding < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be at least 0.");
        }

        int cols = Math.Min(columns, images.Count);
        int rows = (images.Count + cols - 1) / cols;
        long gridHeight = (rows * ((long)height + padding)) + padding;
        long gridWidth = (cols * ((long)width + padding)) + padding;
        if (gridHeight * gridWidth * channels > Array.MaxLength)
        {
            throw new ArgumentException($"A {gridHeight} x {gridWidth} grid is too large for one image.", nameof(images));
        }

        int gh = (int)gridHeight, gw = (int)gridWidth;
        var grid = new float[channels * gh * gw];     // 0 is mid-grey, the padding colour
        for (int i = 0; i < images.Count; i++)
        {
            int top = padding + ((i / cols) * (height + padding));
            int left = padding + ((i % cols) * (width + padding));
            for (int c = 0; c < channels; c++)
            {
                for (int y = 0; y < height; y++)
                {
                    Array.Copy(images[i], (c * height * width) + (y * width), grid, (c * gh * gw) + ((top + y) * gw) + left, width);
                }
            }
        }

        return (grid, gh, gw);
    }

    private static void CheckImage(float[] image, string name, int channels, int height, int width, string? paramName = null)
    {
        paramName ??= name;
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (greyscale) or 3 (RGB).");
        }

        if (height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, "height must be at least 1.");
        }

        if (width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "width must be at least 1.");
        }

        if (image is null)
        {
            throw new ArgumentNullException(paramName, $"Image '{name}' is required.");
        }

        long expected = (long)channels * height * width;
        if (image.Length != expected)
        {
            throw new ArgumentException(
                $"Image '{name}' has {image.Length} values; channels * height * width = {channels} * {height} * {width} = {expected}.",
                paramName);
        }

        int nan = Array.FindIndex(image, float.IsNaN);
        if (nan >= 0)
        {
            throw new ArgumentException($"Image '{name}' holds NaN at index {nan}; pixels must be numbers in [-1, 1].", paramName);
        }
    }

    private static string CheckPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot write '{full}' (parameter 'path'): folder '{folder}' does not exist.");
        }

        return full;
    }

    private static void WriteAtomically(string full, byte[] bytes)
    {
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static byte ToByte(float value) =>
        (byte)Math.Clamp(Math.Round((value + 1.0) * 127.5, MidpointRounding.AwayFromZero), 0, 255);

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        png.Write(word);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        // The CRC covers the chunk type and data, not the length.
        uint crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        png.Write(word);
    }

    private static uint Crc32(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
