using Adrpo.Models.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

[TestClass]
public sealed class QwenGeneratorTests
{
    private static readonly QwenForCausalLM Model = new(TinyQwen.Qwen3(), new Generator(31), initStd: 0.5);

    private static Tensor Run(QwenGenerationOptions options, ulong seed = 1)
    {
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        return new QwenGenerator(Model, seed).Generate(ids, mask, options).Tokens;
    }

    private static void AssertSame(Tensor expected, Tensor actual, string message) =>
        Assert.IsTrue(expected.shape.SequenceEqual(actual.shape) && expected.equal(actual).all().item<bool>(), $"{message}\nexpected {expected.ToString(TorchSharp.TensorStringStyle.Numpy)}\nactual   {actual.ToString(TorchSharp.TensorStringStyle.Numpy)}");

    [TestMethod]
    public void CachedGreedyGenerationEqualsUncachedTokenForToken()
    {
        var greedy = new QwenGenerationOptions { Temperature = 0, MaxNewTokens = 12, EosTokenIds = Array.Empty<long>() };
        var cached = Run(greedy);
        var uncached = Run(new QwenGenerationOptions { Temperature = 0, MaxNewTokens = 12, EosTokenIds = Array.Empty<long>(), UseCache = false });
        CollectionAssert.AreEqual(new long[] { 2, 12 }, cached.shape);
        AssertSame(uncached, cached, "KV cache on/off");
        Assert.IsTrue(cached.unique().Item1.shape[0] > 3, "the model does not just repeat one token");
    }

    [TestMethod]
    public void TemperatureZeroIsArgmaxOfTheFullForwardAndTopK1AndTinyTopPAreGreedy()
    {
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        var greedy = Run(new QwenGenerationOptions { Temperature = 0, MaxNewTokens = 6, EosTokenIds = Array.Empty<long>() });
        using (no_grad())
        {
            // Reference loop: argmax of the last position of a plain forward over the growing sequence.
            var sequence = ids;
            var fullMask = mask;
            for (int t = 0; t < 6; t++)
            {
                var next = Model.forward(sequence, fullMask).select(1, sequence.shape[1] - 1).argmax(-1);
                AssertSame(next, greedy.select(1, t), $"step {t}");
                sequence = cat(new[] { sequence, next.unsqueeze(1) }, 1);
                fullMask = cat(new[] { fullMask, ones(2, 1, dtype: ScalarType.Int64) }, 1);
            }
        }

        AssertSame(greedy, Run(new QwenGenerationOptions { Temperature = 1.3, TopK = 1, MaxNewTokens = 6, EosTokenIds = Array.Empty<long>() }, seed: 5), "top_k = 1");
        AssertSame(greedy, Run(new QwenGenerationOptions { Temperature = 0.7, TopP = 1e-6, MaxNewTokens = 6, EosTokenIds = Array.Empty<long>() }, seed: 6), "tiny top_p");
    }

    [TestMethod]
    public void SamplingWithTheSameSeedIsReproducible()
    {
        var options = new QwenGenerationOptions { Temperature = 1.0, TopK = 20, TopP = 0.95, MaxNewTokens = 10, EosTokenIds = Array.Empty<long>() };
        var a = Run(options, seed: 42);
        AssertSame(a, Run(options, seed: 42), "same seed");
        AssertSame(a, Run(new QwenGenerationOptions { Temperature = 1.0, TopK = 20, TopP = 0.95, MaxNewTokens = 10, EosTokenIds = Array.Empty<long>(), UseCache = false }, seed: 42), "cache does not change samples");
        Assert.IsFalse(a.equal(Run(options, seed: 43)).all().item<bool>(), "another seed gives other samples");
        Assert.IsFalse(a.equal(Run(new QwenGenerationOptions { Temperature = 0, MaxNewTokens = 10, EosTokenIds = Array.Empty<long>() })).all().item<bool>(), "sampling is not greedy");
    }

    [TestMethod]
    public void RowsStopAtEosAndEmitPadAfterwards()
    {
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        var free = Run(new QwenGenerationOptions { Temperature = 0, MaxNewTokens = 8, EosTokenIds = Array.Empty<long>() });
        long[] row0 = free.select(0, 0).data<long>().ToArray();
        int stop = Enumerable.Range(1, 7).First(t => Array.IndexOf(row0, row0[t]) == t); // first token not seen before in row 0
        long eos = row0[stop];
        long[] row1 = free.select(0, 1).data<long>().ToArray();
        int stop1 = Array.IndexOf(row1, eos);
        var result = new QwenGenerator(Model, 1).Generate(ids, mask, new QwenGenerationOptions { Temperature = 0, MaxNewTokens = 8, EosTokenIds = new[] { eos }, PadTokenId = 0 });
        long[] tokens = result.Tokens.select(0, 0).data<long>().ToArray();
        long[] completion = result.CompletionMask.select(0, 0).data<long>().ToArray();
        long expectedLength = stop1 < 0 ? 8 : Math.Max(stop, stop1) + 1;
        Assert.AreEqual(expectedLength, result.Length, "generation ends when every row has stopped (or at MaxNewTokens)");
        for (int t = 0; t < result.Length; t++)
        {
            Assert.AreEqual(t <= stop ? row0[t] : 0, tokens[t], $"token {t}");
            Assert.AreEqual(t <= stop ? 1 : 0, completion[t], $"mask {t}: EOS included, padding after");
        }
    }

    [TestMethod]
    public void InvalidPromptsAndOptionsAreRejected()
    {
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        var generator = new QwenGenerator(Model, 1);
        var rightPadded = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, new long[] { 2, 5 });
        Assert.AreEqual("promptMask", Assert.ThrowsExactly<ArgumentException>(() => generator.Generate(ids, rightPadded, new QwenGenerationOptions())).ParamName);
        Assert.AreEqual("promptMask", Assert.ThrowsExactly<ArgumentException>(() => generator.Generate(ids, mask.narrow(1, 0, 4), new QwenGenerationOptions())).ParamName);
        Assert.AreEqual("TopP", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => generator.Generate(ids, mask, new QwenGenerationOptions { TopP = 0 })).ParamName);
        Assert.AreEqual("Temperature", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => generator.Generate(ids, mask, new QwenGenerationOptions { Temperature = -1 })).ParamName);
    }
}
