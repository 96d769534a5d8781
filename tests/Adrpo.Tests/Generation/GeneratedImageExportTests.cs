using Adrpo.Generation;
using Adrpo.Tests.Imaging;
using Adrpo.Tests.Training.FlowMatching;
using Microsoft.ML;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;

namespace Adrpo.Tests.Generation;

[TestClass]
public sealed class GeneratedImageExportTests
{
    [TestMethod]
    public void SamplesGridHasOneLinePerPromptAndItsSamplesInOrder()
    {
        var context = new MLContext(seed: 1);
        var transformed = FlowMatchingGeneratorTransformerTests.Transformer(new HashingTextEncoder(), samplesPerPrompt: 3, batchSize: 4).Transform(Prompts(context, TestPrompts));
        var (rows, n, channels, height, width) = GeneratedImageExport.ReadSamples(transformed);
        Assert.AreEqual((3, 3, 8, 8), (n, channels, height, width));
        Assert.HasCount(TestPrompts.Length, rows);
        var (_, all) = FlowMatchingGeneratorTransformerTests.Read(transformed);
        for (int r = 0; r < rows.Count; r++)
        {
            CollectionAssert.AreEqual(all[r], rows[r].SelectMany(x => x).ToArray(), "ReadSamples splits Images in sample order");
        }

        string folder = Path.Combine(Path.GetTempPath(), "adrpo-grid-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "grid.png");
            File.WriteAllText(path, "an older file, replaced");
            GeneratedImageExport.WriteSamplesGrid(transformed, path, padding: 1);
            var png = PngTestDecoder.Decode(File.ReadAllBytes(path));
            Assert.AreEqual((3 * 9) + 1, png.Width, "3 samples per line");
            Assert.AreEqual((2 * 9) + 1, png.Height, "one line per prompt");
            Assert.AreEqual(3, png.Channels);
            CollectionAssert.AreEqual(new[] { "grid.png" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray(), "no temporary file is left");

            // Prompt 1, sample 2, pixel (x 5, y 6), green channel: tile at left 1 + 2 * 9, top 1 + 1 * 9.
            float value = rows[1][2][(1 * 64) + (6 * 8) + 5];
            byte expected = (byte)Math.Clamp(Math.Round((value + 1.0) * 127.5, MidpointRounding.AwayFromZero), 0, 255);
            Assert.AreEqual(expected, png.Sample(1 + (2 * 9) + 5, 1 + 9 + 6, 1));
            Assert.AreEqual(128, png.Sample(0, 0, 0), "grey padding");

            // A [C, H, W] column draws one sample per line.
            string single = Path.Combine(folder, "single.png");
            GeneratedImageExport.WriteSamplesGrid(transformed, single, column: "Image", padding: 1);
            var column = PngTestDecoder.Decode(File.ReadAllBytes(single));
            Assert.AreEqual((10, 19), (column.Width, column.Height));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SamplesGridRejectsMissingAndMistypedColumns()
    {
        var context = new MLContext(seed: 1);
        var encoder = new HashingTextEncoder();
        var one = FlowMatchingGeneratorTransformerTests.Transformer(encoder, samplesPerPrompt: 1).Transform(Prompts(context, TestPrompts));
        string path = Path.Combine(Path.GetTempPath(), "adrpo-grid-" + Guid.NewGuid().ToString("N") + ".png");
        var missing = Assert.ThrowsExactly<ArgumentException>(() => GeneratedImageExport.WriteSamplesGrid(one, path));
        Assert.AreEqual("column", missing.ParamName);
        StringAssert.Contains(missing.Message, "Column 'Images' was not found");
        StringAssert.Contains(missing.Message, "SamplesPerPrompt > 1");
        var text = Assert.ThrowsExactly<ArgumentException>(() => GeneratedImageExport.WriteSamplesGrid(one, path, column: "Prompt"));
        StringAssert.Contains(text.Message, "Column 'Prompt' is");
        StringAssert.Contains(text.Message, "[samples, channels, height, width]");
        var empty = FlowMatchingGeneratorTransformerTests.Transformer(encoder, samplesPerPrompt: 2).Transform(Prompts(context, Array.Empty<string>()));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GeneratedImageExport.WriteSamplesGrid(empty, path)).Message, "no rows");
        Assert.AreEqual(0, encoder.Calls, "nothing was generated");
        Assert.IsFalse(File.Exists(path));
    }
}
