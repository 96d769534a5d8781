using Adrpo.Data.MiniDrawBench;
using Adrpo.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Tests.Metrics;

/// <summary>
/// <see cref="ResNetImageEmbedder"/> on the real ResNet-18 ONNX model (copied to the test output by the package's
/// build props) and <see cref="ImageDiversity"/> on top of it. Each embedding costs tens of milliseconds on a busy
/// 2-core machine, so the tests embed few images.
/// </summary>
[TestClass]
public sealed class ImageDiversityResNetTests
{
    private const int Size = MiniDrawBench.ImageSize;
    private const int Channels = MiniDrawBench.Channels;
    private const int NetworkPixels = 3 * ResNetImageEmbedder.InputSize * ResNetImageEmbedder.InputSize;

    // One embedder for the class (loading the 64 MB model takes about a second); its calls are serialized.
    private static ResNetImageEmbedder s_embedder = null!;

    [ClassInitialize]
    public static void Load(TestContext _) => s_embedder = new ResNetImageEmbedder();

    [ClassCleanup]
    public static void Unload() => s_embedder.Dispose();

    private static float[] Scene(int promptIndex, int seed)
        => MiniDrawBench.Render(MiniDrawBench.AllPrompts()[promptIndex].Scene, new Random(seed));

    private static float[] RandomImage(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => ((double)x - y) * ((double)x - y)).Sum());

    [TestMethod]
    public void EmbeddingsAre512dFiniteDistinctAndDeterministic()
    {
        float[] first = Scene(0, 1), second = Scene(500, 2);
        float[][] e = s_embedder.Embed([first, second, first], Channels, Size, Size);
        float[][] again = s_embedder.Embed([first], Channels, Size, Size);

        Assert.AreEqual(3, e.Length);
        Assert.AreEqual(512, s_embedder.Dimension);
        foreach (float[] row in e)
        {
            Assert.AreEqual(512, row.Length);
            Assert.IsTrue(row.All(float.IsFinite), "finite");
            Assert.IsTrue(row.Any(v => v != 0), "not all zero");
        }

        CollectionAssert.AreEqual(e[0], e[2], "the same image twice in one call");
        CollectionAssert.AreEqual(e[0], again[0], "the same image in another call");
        Assert.IsTrue(Distance(e[0], e[1]) > 1e-3 * Math.Sqrt(e[0].Sum(v => (double)v * v)), "different scenes, different embeddings");
    }

    [TestMethod]
    public void IdenticalImagesHaveZeroDiversityAndDifferentScenesMoreThanNearDuplicates()
    {
        var diversity = new ImageDiversity(s_embedder);
        float[] image = Scene(0, 7);
        Assert.AreEqual(0.0, diversity.Measure([image, image, image], Channels, Size, Size));

        // Near duplicates: one render plus noise of 0.01 (about one 8-bit level). Diverse: four prompts of
        // different categories and colours (colour binding, counting, spatial).
        var noise = new Random(11);
        float[][] near = Enumerable.Range(0, 4)
            .Select(_ => image.Select(v => v + (float)((noise.NextDouble() - 0.5) * 0.02)).ToArray()).ToArray();
        float[][] diverse = [Scene(0, 1), Scene(100, 2), Scene(200, 3), Scene(900, 4)];

        double nearDiversity = diversity.Measure(near, Channels, Size, Size);
        double diverseDiversity = diversity.Measure(diverse, Channels, Size, Size);
        double grouped = diversity.MeanOverGroups([.. near, .. diverse], groupSize: 4, Channels, Size, Size);

        Console.WriteLine($"near duplicates {nearDiversity:G5}, different scenes {diverseDiversity:G5}, grouped {grouped:G5}");
        Assert.IsTrue(nearDiversity > 0, "noise moves the embedding a little");
        Assert.IsTrue(diverseDiversity > 3 * nearDiversity, $"different scenes {diverseDiversity} vs near duplicates {nearDiversity}");
        Assert.AreEqual((nearDiversity + diverseDiversity) / 2, grouped, 1e-9 * grouped);
    }

    [TestMethod]
    public void AGreyscaleImageEmbedsLikeItsThreePlaneRgbCopy()
    {
        float[] grey = RandomImage(Size * Size, 5);
        float[] rgb = [.. grey, .. grey, .. grey];
        float[][] e = s_embedder.Embed([rgb], 3, Size, Size);
        float[][] g = s_embedder.Embed([grey], 1, Size, Size);
        CollectionAssert.AreEqual(e[0], g[0]);
    }

    [TestMethod]
    public void TheResizeMatchesTorchBilinearInterpolationWithoutAlignedCorners()
    {
        // Includes values outside [-1, 1] (clamped) and a non-square image.
        const int h = 20, w = 13;
        float[] image = RandomImage(3 * h * w, 9).Select(v => v * 1.2f).ToArray();
        var mine = new float[NetworkPixels];
        ResNetImageEmbedder.ToNetworkPixels(image, 3, h, w, mine);

        using var scope = NewDisposeScope();
        var levels = (tensor(image, new long[] { 1, 3, h, w }).clamp(-1, 1) + 1) * 127.5;
        var resized = nn.functional.interpolate(levels, size: new long[] { 224, 224 }, mode: InterpolationMode.Bilinear, align_corners: false);
        float[] expected = resized.contiguous().data<float>().ToArray();
        double worst = expected.Zip(mine, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsTrue(worst < 1e-3, $"largest difference {worst} (0-255 scale)");
    }

    public sealed class Pixels
    {
        [VectorType(NetworkPixels)]
        public float[] Image { get; set; } = [];
    }

    [TestMethod]
    public void MatchesMlNetsOwnResNet18Featurizer()
    {
        // ML.NET's DnnFeaturizeImage with the package's ResNet18 selector, fed a float vector column of 224 x 224 RGB
        // planes 0-255 (what ExtractPixels gives; no ImageAnalytics). A 224 x 224 image is not resampled by the
        // embedder, so both see the same pixels and must agree; this checks the layout, scale and model wiring.
        const int n = ResNetImageEmbedder.InputSize;
        float[] image = RandomImage(3 * n * n, 21);
        float[] mine = s_embedder.Embed([image], 3, n, n)[0];

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Pixels { Image = image.Select(v => (v + 1f) * 127.5f).ToArray() } });
        var model = ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), nameof(Pixels.Image)).Fit(data);
        float[] theirs = model.Transform(data).GetColumn<float[]>("Features").Single();

        Assert.AreEqual(512, theirs.Length);
        double scale = Math.Sqrt(theirs.Sum(v => (double)v * v));
        double difference = Distance(mine, theirs);
        Console.WriteLine($"|ML.NET| {scale:G5}, |difference| {difference:G3}");
        Assert.IsTrue(difference <= 1e-5 * scale, $"difference {difference} against norm {scale}");
    }

    [TestMethod]
    public void WrongImageLengthAndNonFinitePixelsThrowNamingImages()
    {
        float[] good = Scene(0, 1);
        var length = Assert.ThrowsExactly<ArgumentException>(() => s_embedder.Embed([good, good.AsSpan(1).ToArray()], Channels, Size, Size));
        Assert.AreEqual("images", length.ParamName);
        StringAssert.Contains(length.Message, "Image 1 has 3071 values");
        float[] nan = (float[])good.Clone();
        nan[10] = float.NaN;
        Assert.AreEqual("images", Assert.ThrowsExactly<ArgumentException>(() => s_embedder.Embed([nan], Channels, Size, Size)).ParamName);
        Assert.AreEqual("channels", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => s_embedder.Embed([good], 2, Size, Size)).ParamName);
        Assert.AreEqual(0, s_embedder.Embed(Array.Empty<float[]>(), Channels, Size, Size).Length);
    }

    [TestMethod]
    public void AMissingModelFolderThrowsNamingTheFileAndThePackage()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"adrpo-no-models-{Guid.NewGuid():N}");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => new ResNetImageEmbedder(folder));
        StringAssert.EndsWith(e.FileName, "ResNetPreprocess.onnx");
        StringAssert.Contains(e.Message, folder);
        StringAssert.Contains(e.Message, ResNetImageEmbedder.PackageId);
        // Adrpo does not bring the models in (opt in): the message gives the exact reference to add, or the folder option.
        StringAssert.Contains(e.Message, "<PackageReference Include=\"Microsoft.ML.DnnImageFeaturizer.ResNet18\" Version=\"0.23.1\" />");
        StringAssert.Contains(e.Message, "modelDirectory");
    }

    [TestMethod]
    public void ConcurrentCallsAgreeAndADisposedEmbedderRefusesWork()
    {
        float[] image = Scene(300, 3);
        using (var own = new ResNetImageEmbedder(intraOpThreads: 1))
        {
            var results = new float[2][];
            Parallel.For(0, 2, i => results[i] = own.Embed([image], Channels, Size, Size)[0]);
            CollectionAssert.AreEqual(results[0], results[1]);
            CollectionAssert.AreEqual(s_embedder.Embed([image], Channels, Size, Size)[0], results[0], "thread count does not change the result");
            own.Dispose();
            Assert.ThrowsExactly<ObjectDisposedException>(() => own.Embed([image], Channels, Size, Size));
        }
    }
}
