using Adrpo.Data.MiniDrawBench;
using Adrpo.Imaging;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Tests.Imaging;

[TestClass]
public sealed class PngWriterTests
{
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-png-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void PngRgbRoundTripsExactly()
    {
        // 2 rows x 3 columns, CHW. (v + 1) * 127.5 rounded half away from zero, clamped to [0, 255].
        float[] chw =
        [
            -1, 0, 1, /**/ -0.5f, 0.25f, 2,            // R
            -3, (1 / 127.5f) - 1, 0.5f, /**/ 1, -1, 0, // G
            0, 0, 0, /**/ 1, 1, -0.999f,               // B
        ];
        var png = PngTestDecoder.Decode(PngWriter.Encode(chw, 3, 2, 3));
        Assert.AreEqual((3, 2, 8, 2), (png.Width, png.Height, png.BitDepth, png.ColorType));
        CollectionAssert.AreEqual(new[] { "IHDR", "IDAT", "IEND" }, png.Chunks.ToArray());
        byte[] expected =
        [
            0, 0, 128, /**/ 128, 1, 128, /**/ 255, 191, 128,   // row 0: pixels (R, G, B)
            64, 255, 255, /**/ 159, 0, 255, /**/ 255, 128, 0,  // row 1
        ];
        CollectionAssert.AreEqual(expected, png.Samples);
    }

    [TestMethod]
    public void PngGreyscaleRoundTripsExactly()
    {
        float[] chw = [-1, -0.5f, 0, 0.5f, 1, float.PositiveInfinity];
        var png = PngTestDecoder.Decode(PngWriter.Encode(chw, 1, 3, 2));
        Assert.AreEqual((2, 3, 8, 0), (png.Width, png.Height, png.BitDepth, png.ColorType));
        CollectionAssert.AreEqual(new byte[] { 0, 64, 128, 191, 255, 255 }, png.Samples);
    }

    [TestMethod]
    public void PngChunkCrcsMatchKnownValues()
    {
        byte[] bytes = PngWriter.Encode([0f], 1, 1, 1);
        // The IEND chunk is always the same 12 bytes; its CRC 0xAE426082 is the well-known constant.
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 0, 73, 69, 78, 68, 0xAE, 0x42, 0x60, 0x82 }, bytes[^12..]);
        Assert.AreEqual(0xCBF43926u, PngTestDecoder.Crc32("123456789"u8), "the decoder's CRC is CRC-32 (check value)");
        // Decode re-computes every chunk's CRC.
        Assert.AreEqual(1, PngTestDecoder.Decode(bytes).Width);
    }

    [TestMethod]
    public void PngWriteMatchesEncodeAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "image.png");
        float[] first = Enumerable.Range(0, 3 * 4 * 5).Select(i => (i / 30f) - 1).ToArray();
        PngWriter.Write(path, first, 3, 4, 5);
        CollectionAssert.AreEqual(PngWriter.Encode(first, 3, 4, 5), File.ReadAllBytes(path));

        float[] second = first.Select(v => -v).ToArray();
        PngWriter.Write(path, second, 3, 4, 5);   // overwrites
        byte[] kept = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(PngWriter.Encode(second, 3, 4, 5), kept);

        // A failed write changes nothing.
        Assert.ThrowsExactly<ArgumentException>(() => PngWriter.Write(path, new float[7], 3, 4, 5));
        CollectionAssert.AreEqual(kept, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_dir));
    }

    [TestMethod]
    public void PngErrorsNameTheParameter()
    {
        string path = Path.Combine(_dir, "bad.png");
        var wrongLength = Assert.ThrowsExactly<ArgumentException>(() => PngWriter.Write(path, new float[3 * 4 * 4 + 1], 3, 4, 4));
        Assert.AreEqual("chw", wrongLength.ParamName);
        Assert.Contains("49 values", wrongLength.Message);
        Assert.AreEqual("chw", Assert.ThrowsExactly<ArgumentException>(() => PngWriter.Encode([0f, float.NaN], 1, 1, 2)).ParamName);
        Assert.AreEqual("chw", Assert.ThrowsExactly<ArgumentNullException>(() => PngWriter.Encode(null!, 1, 1, 1)).ParamName);
        Assert.AreEqual("channels", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.Encode(new float[2], 2, 1, 1)).ParamName);
        Assert.AreEqual("height", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.Encode([], 1, 0, 1)).ParamName);
        Assert.AreEqual("width", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.Encode([], 1, 1, -1)).ParamName);

        string missing = Path.Combine(_dir, "no-such-folder", "x.png");
        var noFolder = Assert.ThrowsExactly<DirectoryNotFoundException>(() => PngWriter.Write(missing, [0f], 1, 1, 1));
        Assert.Contains("path", noFolder.Message);
        Assert.Contains(Path.Combine(_dir, "no-such-folder"), noFolder.Message);
        Assert.AreEqual("path", Assert.ThrowsExactly<ArgumentException>(() => PngWriter.Write(" ", [0f], 1, 1, 1)).ParamName);

        Assert.AreEqual("images", Assert.ThrowsExactly<ArgumentException>(() => PngWriter.WriteGrid(path, [new float[3], new float[2]], 1, 1, 3, 2)).ParamName);
        Assert.AreEqual("images", Assert.ThrowsExactly<ArgumentException>(() => PngWriter.WriteGrid(path, [], 1, 1, 3, 2)).ParamName);
        Assert.AreEqual("columns", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.WriteGrid(path, [new float[3]], 1, 1, 3, 0)).ParamName);
        Assert.AreEqual("padding", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.WriteGrid(path, [new float[3]], 1, 1, 3, 1, -1)).ParamName);
        Assert.IsEmpty(Directory.GetFileSystemEntries(_dir));
    }

    [TestMethod]
    public void PngGridTilesImagesWithPadding()
    {
        // Five 2 x 3 greyscale images, each filled with its own level, in 3 columns with 1 px padding:
        // 2 rows of tiles, (2 + 1) * 2 + 1 = 7 px high and (3 + 1) * 3 + 1 = 13 px wide.
        float[] levels = [-1, -0.5f, 0.5f, 1, -0.75f];
        var images = levels.Select(l => Enumerable.Repeat(l, 6).ToArray()).ToList();
        string path = Path.Combine(_dir, "grid.png");
        PngWriter.WriteGrid(path, images, channels: 1, height: 2, width: 3, columns: 3, padding: 1);
        var png = PngTestDecoder.Decode(File.ReadAllBytes(path));
        Assert.AreEqual((13, 7), (png.Width, png.Height));
        for (int y = 0; y < 7; y++)
        {
            for (int x = 0; x < 13; x++)
            {
                int col = (x - 1) / 4, row = (y - 1) / 3;
                bool inTile = x >= 1 && y >= 1 && (x - 1) % 4 < 3 && (y - 1) % 3 < 2;
                int index = (row * 3) + col;
                // Padding and the empty sixth cell are mid-grey (0 maps to 128).
                byte expected = inTile && index < images.Count ? (byte)Math.Round((levels[index] + 1) * 127.5, MidpointRounding.AwayFromZero) : (byte)128;
                Assert.AreEqual(expected, png.Sample(x, y, 0), $"pixel ({x}, {y})");
            }
        }

        // Fewer images than columns: one row only as wide as the images need.
        PngWriter.WriteGrid(path, images.Take(2).ToList(), 1, 2, 3, columns: 8, padding: 2);
        var narrow = PngTestDecoder.Decode(File.ReadAllBytes(path));
        Assert.AreEqual((2 + (2 * (3 + 2)), 2 + 2 + 2), (narrow.Width, narrow.Height));
        Assert.HasCount(1, Directory.GetFiles(_dir));
    }

    [TestMethod]
    public void PngGridOfMiniDrawBenchSamplesKeepsTheirPixels()
    {
        // One sample per category, the way the trainer will save them; the tile pixels come back exactly.
        var random = new Random(2);
        var prompts = Bench.AllPrompts().GroupBy(p => p.Category).Select(g => g.First()).ToList();
        var images = prompts.Select(p => Bench.Render(p.Scene, random)).ToList();
        string path = Path.Combine(_dir, "samples.png");
        PngWriter.WriteGrid(path, images, Bench.Channels, Bench.ImageSize, Bench.ImageSize, columns: 2);
        var png = PngTestDecoder.Decode(File.ReadAllBytes(path));
        Assert.AreEqual((2 + (2 * 34), 2 + (2 * 34), 2), (png.Width, png.Height, png.ColorType));
        var single = PngTestDecoder.Decode(PngWriter.Encode(images[2], 3, 32, 32));
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 32; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    // Third image: second row, first column.
                    Assert.AreEqual(single.Sample(x, y, c), png.Sample(2 + x, 36 + y, c));
                }
            }
        }
    }
}
