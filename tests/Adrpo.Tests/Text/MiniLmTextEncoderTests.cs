using Adrpo.Text;
using static TorchSharp.torch;

namespace Adrpo.Tests.Text;

[TestClass]
public sealed class MiniLmTextEncoderTests
{
    // One encoder for the class: loading the 91 MB ONNX model costs 0.3-2 s. Methods of a class run one at a time
    // (class-level parallelism), so a test may clear its cache.
    private static MiniLmTextEncoder s_encoder = null!;

    [ClassInitialize]
    public static void Load(TestContext _) => s_encoder = new MiniLmTextEncoder();

    [ClassCleanup]
    public static void Unload() => s_encoder.Dispose();

    private static float[][] Rows(Tensor embeddings)
    {
        float[] flat = embeddings.data<float>().ToArray();
        int d = (int)embeddings.shape[1];
        return Enumerable.Range(0, (int)embeddings.shape[0]).Select(i => flat.AsSpan(i * d, d).ToArray()).ToArray();
    }

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [TestMethod]
    public void GivesOneUnitNorm384dFloat32RowPerPrompt()
    {
        using var e = s_encoder.Encode(new[] { "a red circle", "three green triangles", "a blue square on a white background" });
        Assert.AreEqual(384, s_encoder.Dimension);
        CollectionAssert.AreEqual(new long[] { 3, 384 }, e.shape);
        Assert.AreEqual(ScalarType.Float32, e.dtype);
        foreach (var row in Rows(e))
        {
            Assert.AreEqual(1.0, Math.Sqrt(Dot(row, row)), 1e-4);
        }
    }

    [TestMethod]
    public void CloseSentencesAreMoreSimilarThanUnrelatedOnes()
    {
        using var e = s_encoder.Encode(new[] { "a red circle", "a red round disc", "three green triangles" });
        var r = Rows(e);
        double close = Dot(r[0], r[1]);
        double far = Dot(r[0], r[2]);
        Console.WriteLine($"cos close {close:F3}, far {far:F3}");
        Assert.IsTrue(close > far + 0.1, $"cos(red circle, red round disc) = {close:F3} should exceed cos(red circle, three green triangles) = {far:F3}");
    }

    [TestMethod]
    public void IdenticalPromptsAndCacheHitsGiveIdenticalVectors()
    {
        const string prompt = "a yellow star above a purple moon";
        var encoder = s_encoder;
        encoder.ClearCache();
        using var first = encoder.Encode(new[] { prompt, "a dog", prompt });
        Assert.AreEqual(2, encoder.CachedPromptCount, "duplicates in one call are encoded and cached once");
        using var second = encoder.Encode(new[] { prompt });
        var a = Rows(first);
        CollectionAssert.AreEqual(a[0], a[2]);
        CollectionAssert.AreEqual(a[0], Rows(second)[0]);

        // The cache hands out copies: changing a returned tensor must not change later results.
        first.mul_(0);
        using var third = encoder.Encode(new[] { prompt });
        CollectionAssert.AreEqual(Rows(second)[0], Rows(third)[0]);
    }

    [TestMethod]
    public void CachedAndFreshEncodingsAgree()
    {
        var cached = s_encoder;
        using var uncached = new MiniLmTextEncoder(maxCachedPrompts: 0);
        string[] prompts = { "two small circles", "a large triangle" };
        using var warm = cached.Encode(prompts);
        using var hit = cached.Encode(prompts);
        using var fresh = uncached.Encode(prompts);
        Assert.AreEqual(0, uncached.CachedPromptCount);
        var h = Rows(hit);
        var f = Rows(fresh);
        for (int i = 0; i < prompts.Length; i++)
        {
            // A batch of different composition may round differently inside ONNX Runtime, so compare with a tolerance.
            Assert.AreEqual(1.0, Dot(h[i], f[i]), 1e-5, prompts[i]);
        }
    }

    [TestMethod]
    public void BadInputsAreRejectedWithTheIndex()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => s_encoder.Encode(null!)).Message, "null");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => s_encoder.Encode(Array.Empty<string>())).Message, "empty");
        var ex = Assert.ThrowsExactly<ArgumentException>(() => s_encoder.Encode(new[] { "fine", "" }));
        StringAssert.Contains(ex.Message, "index 1");
        Assert.AreEqual("texts", ex.ParamName);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => s_encoder.Encode(new[] { "  " })).Message, "index 0");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MiniLmTextEncoder(-1));
    }

    [TestMethod]
    public void DisposedEncoderThrows()
    {
        var encoder = new MiniLmTextEncoder();
        encoder.Dispose();
        encoder.Dispose(); // idempotent
        Assert.ThrowsExactly<ObjectDisposedException>(() => encoder.Encode(new[] { "a" }));
    }

    [TestMethod]
    public void ConcurrentCallsAgree()
    {
        var encoder = s_encoder;
        encoder.ClearCache(); // the first call to get the lock encodes; the others wait and read the cache
        string[] prompts = { "a red circle", "a green square", "a red circle" };
        var results = new float[4][];
        Parallel.For(0, results.Length, i =>
        {
            using var e = encoder.Encode(prompts);
            results[i] = e.data<float>().ToArray();
        });
        for (int i = 1; i < results.Length; i++)
        {
            CollectionAssert.AreEqual(results[0], results[i]);
        }
    }

    [TestMethod]
    public void TokenSlotsAppendTheTokenStatesAfterAnUnchangedPooledVector()
    {
        using var slotted = new MiniLmTextEncoder { TokenSlots = 12 };
        string[] prompts = { "a red circle left of a blue square", "one star" };
        using var rows = slotted.Encode(prompts);
        using var pooled = s_encoder.Encode(prompts);
        Assert.AreEqual(384 * 13, slotted.Dimension);
        CollectionAssert.AreEqual(new long[] { 2, 384 * 13 }, rows.shape);
        Assert.IsTrue(rows.narrow(1, 0, 384).equal(pooled).all().item<bool>(), "the pooled part is bit-identical to the encoder without slots");

        // Independent check: all-MiniLM-L6-v2's sentence vector is the mean of its token states, normalised. So the
        // mean of the real token slots, normalised, must reproduce the pooled part (when every token fits).
        var tokens = rows.narrow(1, 384, 12 * 384).reshape(2, 12, 384);
        var real = tokens.abs().amax(new long[] { 2 }) > 0;                                   // [2, 12]
        long[] lengths = real.sum(1).data<long>().ToArray();
        CollectionAssert.AreEqual(new long[] { 10, 4 }, lengths, "[CLS] + word pieces + [SEP]; zero slots after them");
        Assert.IsTrue(real.narrow(1, 0, (int)lengths[1]).all().item<bool>(), "real tokens come first");
        var mean = (tokens * real.unsqueeze(2)).sum(1) / real.sum(1, keepdim: true);
        var normalised = mean / mean.norm(1, keepdim: true);
        double diff = (normalised - pooled).abs().max().item<float>();
        Assert.IsTrue(diff < 1e-5, $"mean-pooled token slots differ from the sentence vector by {diff}");
    }

    [TestMethod]
    public void TokenSlotsTruncateLongPromptsAndRejectBadCounts()
    {
        using var few = new MiniLmTextEncoder { TokenSlots = 3 };
        using var many = new MiniLmTextEncoder { TokenSlots = 12 };
        string[] prompt = { "a green square right of a red circle" };
        using var a = few.Encode(prompt);
        using var b = many.Encode(prompt);
        Assert.IsTrue(a.equal(b.narrow(1, 0, 4 * 384)).all().item<bool>(), "three slots hold the first three token states");
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MiniLmTextEncoder { TokenSlots = -1 });
        Assert.AreEqual("TokenSlots", e.ParamName);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MiniLmTextEncoder { TokenSlots = MiniLmTextEncoder.MaxTokenSlots + 1 });
    }
}
