using Adrpo.Imaging;

namespace Adrpo.Tests.Imaging;

[TestClass]
public sealed class CaptionedGridTests
{
    [TestMethod]
    public void WrapsWordsToTheWidthAndCutsAfterThreeLines()
    {
        CollectionAssert.AreEqual(new[] { "a red", "square" }, CaptionedGrid.Wrap("a red square", 6));
        CollectionAssert.AreEqual(new[] { "abcdef", "gh x" }, CaptionedGrid.Wrap("abcdefgh x", 6));
        var cut = CaptionedGrid.Wrap("one two three four five six seven eight", 9);
        Assert.AreEqual(3, cut.Count);
        CollectionAssert.AreEqual(new[] { "one two", "three", "four f..." }, cut);
    }

    [TestMethod]
    public void TilesAreEnlargedToAtLeast96PixelsWithACaptionBandPerRow()
    {
        // 2 rows x 3 columns of 8x8 RGB tiles: zoom 12 -> 96 px tiles, 4 px padding.
        var tiles = Enumerable.Range(0, 6).Select(i => Enumerable.Repeat(i / 6f, 3 * 8 * 8).ToArray()).ToList();
        byte[] png = CaptionedGrid.Render(tiles, 3, 8, 8, 3, new[] { "a red square", "two blue circles" });
        int width = (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19];
        int height = (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23];
        Assert.AreEqual((3 * (96 + 4)) + 4, width);
        // Per row: tile, padding, three caption lines of 16 px (font 8 px x scale 2), padding.
        Assert.AreEqual((2 * (96 + 4 + (3 * 16) + 4)) + 4, height);
    }

    [TestMethod]
    public void ACountThatDoesNotMatchRowsTimesColumnsIsRefused()
    {
        var tiles = Enumerable.Range(0, 5).Select(_ => new float[3 * 8 * 8]).ToList();
        var error = Assert.ThrowsExactly<ArgumentException>(() => CaptionedGrid.Render(tiles, 3, 8, 8, 3, new[] { "a", "b" }));
        StringAssert.Contains(error.Message, "Expected 2 rows x 3 columns = 6 images, got 5");
    }
}
