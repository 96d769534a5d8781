using System.Text;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Tests.Persistence;

[TestClass]
public sealed class SafeTensorsFileTests
{
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string WriteRaw(string header, byte[] data, long? claimedLength = null)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".safetensors");
        byte[] json = Encoding.UTF8.GetBytes(header);
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)(claimedLength ?? json.Length)));
        file.Write(json);
        file.Write(data);
        return path;
    }

    [TestMethod]
    public void ReadsAHandWrittenFile()
    {
        byte[] data = BitConverter.GetBytes(1.5f).Concat(BitConverter.GetBytes(-2f)).Concat(BitConverter.GetBytes(7L)).ToArray();
        string path = WriteRaw("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"n\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[8,16]}}", data);
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        CollectionAssert.AreEqual(new[] { 1.5f, -2f }, tensors["w"].data<float>().ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 1 }, tensors["n"].shape);
        Assert.AreEqual(7L, tensors["n"].item<long>());
        Assert.AreEqual("pt", metadata["format"]);
    }

    [TestMethod]
    public void RoundTripsEveryDTypeExactly()
    {
        var gen = new Generator(3);
        var original = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = randn(new long[] { 5, 3 }, generator: gen),
            ["f64"] = randn(new long[] { 4 }, dtype: ScalarType.Float64, generator: gen),
            ["bf16"] = randn(new long[] { 2, 2 }, generator: gen).to_type(ScalarType.BFloat16),
            ["f16"] = randn(new long[] { 3 }, generator: gen).to_type(ScalarType.Float16),
            ["ids"] = randint(0, 1000, new long[] { 6 }, generator: gen),
            ["mask"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros(0, 4),
            ["strided"] = randn(new long[] { 3, 4 }, generator: gen).t(),
        };
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensorsFile.Save(path, original, new Dictionary<string, string> { ["format"] = "pt" });
        var (loaded, metadata) = SafeTensorsFile.Load(path);
        Assert.AreEqual("pt", metadata["format"]);
        CollectionAssert.AreEquivalent(original.Keys.ToArray(), loaded.Keys.ToArray());
        foreach (var (name, t) in original)
        {
            Assert.AreEqual(t.dtype, loaded[name].dtype, name);
            CollectionAssert.AreEqual(t.shape, loaded[name].shape, name);
            CollectionAssert.AreEqual(t.contiguous().bytes.ToArray(), loaded[name].bytes.ToArray(), $"{name} differs after the round trip");
        }

        Assert.AreEqual(0UL, BitConverter.ToUInt64(File.ReadAllBytes(path), 0) % 8, "header padded to 8 bytes");
    }

    [TestMethod]
    [DataRow("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "outside the 4 data bytes", DisplayName = "offsets past the end")]
    [DataRow("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes but its offsets cover 8", DisplayName = "shape and size disagree")]
    [DataRow("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype 'Q4'", DisplayName = "unknown dtype")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap", DisplayName = "overlapping tensors")]
    [DataRow("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "invalid dimension", DisplayName = "negative dimension")]
    [DataRow("{\"w\":{\"dtype\":\"F32\"}}", 8, "needs 'dtype'", DisplayName = "missing fields")]
    [DataRow("{\"w\": [1, 2", 8, "not valid JSON", DisplayName = "broken JSON")]
    [DataRow("[]", 8, "not a JSON object", DisplayName = "header not an object")]
    public void CorruptHeadersGiveClearErrors(string header, int dataBytes, string expected)
    {
        string path = WriteRaw(header, new byte[dataBytes]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Load(path));
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void AHugeClaimedHeaderIsRejectedBeforeAllocating()
    {
        string path = WriteRaw("{}", new byte[16], claimedLength: long.MaxValue);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.ReadHeader(path)).Message, "header claims");
        string tiny = Path.Combine(_dir, "tiny.safetensors");
        File.WriteAllBytes(tiny, new byte[3]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Load(tiny)).Message, "8-byte header length");
        Assert.ThrowsExactly<FileNotFoundException>(() => SafeTensorsFile.Load(Path.Combine(_dir, "missing.safetensors")));
    }

    [TestMethod]
    public void AFailedSaveLeavesTheOldFileAndNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "keep.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(2) });
        byte[] before = File.ReadAllBytes(path);
        var disposed = ones(3);
        disposed.Dispose();
        Assert.ThrowsExactly<ArgumentException>(() => SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(2), ["b"] = disposed }));
        Assert.ThrowsExactly<NotSupportedException>(() => SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["c"] = ones(2, dtype: ScalarType.ComplexFloat32) }));
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_dir));
    }
}
