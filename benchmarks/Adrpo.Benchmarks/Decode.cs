// Where one batched decoding step spends its time at the Qwen3-0.6B shape, against the memory-bandwidth limit.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- decode [newTokens=16] [threads=1] [repetitions=3]
// The model is Qwen3-0.6B's published architecture (596M parameters, vocab 151,936, 28 layers, 16/8 heads, head_dim
// 128, tied embeddings) with random float32 weights built in memory (no download): the cost of a step does not depend
// on the weights' values, and EOS is ignored so every row decodes the full length.
// CPU ops are synchronous, so a Stopwatch around each op measures it. The split replays the generator's loop
// (QwenGenerator.Generate with the cache) op group by op group; the whole generator is also timed end to end.
using System.Diagnostics;
using Adrpo.Models.Language;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class Decode
{
    private const string Config = """
        {"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936, "hidden_size": 1024,
         "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
         "head_dim": 128, "max_position_embeddings": 40960, "rope_theta": 1000000, "rms_norm_eps": 1e-6,
         "tie_word_embeddings": true, "attention_bias": false, "hidden_act": "silu", "eos_token_id": 151645,
         "bos_token_id": 151643, "torch_dtype": "float32"}
        """;

    public static void Run(string[] args)
    {
        int newTokens = Bench.IntArg(args, 1, 16), threads = Bench.IntArg(args, 2, 1), repetitions = Bench.IntArg(args, 3, 3);
        torch.set_num_threads(threads);
        const int batch = 8, promptTokens = 32;
        using var _ = no_grad();
        using var model = new QwenForCausalLM(QwenConfig.Parse(Config), new Generator(0));
        long parameters = model.parameters().Sum(p => p.numel());
        Console.WriteLine($"== Decoding at the Qwen3-0.6B shape: {parameters:N0} float32 parameters ({parameters * 4 / 1e9:F2} GB), batch {batch}, {promptTokens}-token prompts, {newTokens} new tokens, temperature 1, EOS ignored; {threads} thread(s); {Bench.Load()}");

        // The memory-bandwidth limit: every decoding step must read every weight once (the tied embedding once, as the
        // output head), so streaming a tensor of the model's size bounds the step from below.
        double streamSeconds;
        using (var big = ones(parameters, dtype: ScalarType.Float32))
        {
            streamSeconds = Enumerable.Range(0, 5).Select(_ => Seconds(() => big.sum().Dispose())).Min();
        }

        Console.WriteLine($"memory bandwidth: sum over {parameters * 4 / 1e9:F2} GB float32 in {streamSeconds * 1e3:F0} ms (best of 5) = {parameters * 4 / 1e9 / streamSeconds:F1} GB/s -> bound {batch / streamSeconds:F1} tokens/s at batch {batch}");

        var prompt = randint(0, model.Config.VocabSize, new long[] { batch, promptTokens }, generator: new Generator(3));
        var promptMask = ones(batch, promptTokens, dtype: ScalarType.Int64);
        var options = new QwenGenerationOptions { MaxNewTokens = newTokens, Temperature = 1.0, EosTokenIds = Array.Empty<long>() };
        for (int r = 0; r < repetitions; r++)
        {
            using var scope = NewDisposeScope();
            var generator = new QwenGenerator(model, 1);
            var watch = Stopwatch.StartNew();
            using var result = generator.Generate(prompt, promptMask, options, checkValues: false);
            double total = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"generator end to end (prefill + {result.Length} steps): {total:F2} s = {batch * result.Length / total:F2} tokens/s");
        }

        for (int r = 0; r < repetitions; r++)
        {
            Split(model, prompt, promptMask, newTokens, batch, streamSeconds);
        }

        KvAppend(model, batch, promptTokens + newTokens);
        Kernels(model.Config, batch);
    }

    /// <summary>The step's GEMMs alone ([8, in] x [out, in]^T, as nn.Linear runs them) against a large square GEMM: at
    /// batch 8 a weight element serves 16 flops, so with few threads the compute rate, not bandwidth, can bind.</summary>
    private static void Kernels(QwenConfig config, int batch)
    {
        using var scope = NewDisposeScope();
        var square = randn(2048, 2048);
        double peak = 2.0 * 2048 * 2048 * 2048 / Enumerable.Range(0, 3).Select(_ => Seconds(() => square.matmul(square).Dispose())).Min() / 1e9;
        Console.WriteLine($"GEMM peak (2048^3 matmul, best of 3): {peak:F0} GFLOP/s");
        long h = config.HiddenSize, q = config.NumAttentionHeads * (long)config.ResolvedHeadDim, kv = config.KeyValueHeads * (long)config.ResolvedHeadDim, i = config.IntermediateSize;
        double layerSeconds = 0;
        foreach (var (name, input, output, perLayer) in new[] { ("q_proj", h, q, 1), ("k_proj/v_proj", h, kv, 2), ("o_proj", q, h, 1), ("gate_proj/up_proj", h, i, 2), ("down_proj", i, h, 1), ("lm_head", h, config.VocabSize, 0) })
        {
            var x = randn(batch, input);
            var w = randn(output, input);
            double s = Enumerable.Range(0, 5).Select(_ => Seconds(() => nn.functional.linear(x, w).Dispose())).Min();
            layerSeconds += s * perLayer * config.NumHiddenLayers;
            Console.WriteLine($"  linear [{batch}, {input}] x [{output}, {input}]^T: {s * 1e3:F2} ms = {2.0 * batch * input * output / s / 1e9:F0} GFLOP/s, weights read at {4.0 * input * output / s / 1e9:F1} GB/s{(perLayer > 0 ? $" (x{perLayer * config.NumHiddenLayers} per step)" : "")}");
        }

        Console.WriteLine($"  the layers' GEMMs alone: {layerSeconds * 1e3:F0} ms per step");
        // The non-GEMM work of one layer (as QwenAttention and RmsNorm run it) and other ways to run the output head.
        {
            {
                long S = 40, H = config.NumAttentionHeads, KV = config.KeyValueHeads, hd = config.ResolvedHeadDim;
                var q4 = randn(batch, H, 1, hd);
                var k4 = randn(batch, KV, S, hd);
                var allowed = ones(batch, 1, 1, S, dtype: ScalarType.Bool);
                var hid = randn(batch, 1, h);
                var normW = ones(h);
                Tensor Rep(Tensor t) => t.unsqueeze(2).expand(batch, KV, H / KV, S, hd).reshape(batch, H, S, hd);
                var parts = new (string, Action)[]
                {
                    ("repeat k and v", () => { Rep(k4).Dispose(); Rep(k4).Dispose(); }),
                    ("scores q.k^T + scale + mask + softmax + weights.v", () =>
                    {
                        using var sc = NewDisposeScope();
                        var kk = Rep(k4);
                        var scores = q4.matmul(kk.transpose(2, 3)).to_type(ScalarType.Float32) * (1.0 / Math.Sqrt(hd));
                        scores = scores.masked_fill(allowed.logical_not(), float.MinValue);
                        scores.softmax(-1).to_type(ScalarType.Float32).matmul(kk).transpose(1, 2).reshape(batch, 1, H * hd);
                    }),
                    ("KV append by cat (keys and values)", () => { cat(new[] { k4, k4.narrow(2, 0, 1) }, 2).Dispose(); cat(new[] { k4, k4.narrow(2, 0, 1) }, 2).Dispose(); }),
                    ("one rms norm of hidden (pow, mean, rsqrt, mul, mul)", () =>
                    {
                        using var sc = NewDisposeScope();
                        _ = hid * (hid.pow(2).mean(new long[] { -1 }, keepdim: true) + 1e-6).rsqrt() * normW;
                    }),
                };
                foreach (var (name, a) in parts)
                {
                    double t = Enumerable.Range(0, 20).Select(_ => Seconds(a)).Min();
                    Console.WriteLine($"  {name} at {S} cached tokens: {t * 1e3:F3} ms per layer");
                }
            }

            var x = randn(batch, h);
            var w = randn(config.VocabSize, h);
            var reference = nn.functional.linear(x, w);
            foreach (var (name, f) in new (string, Func<Tensor>)[] { ("linear", () => nn.functional.linear(x, w)), ("w.matmul(x.t()).t()", () => w.matmul(x.t()).t()), ("mm(x, w.t())", () => x.mm(w.t())), ("chunks of 8192", () => cat(w.split(8192).Select(c => nn.functional.linear(x, c)).ToArray(), 1)) })
            {
                Tensor r = null!;
                double t = Enumerable.Range(0, 5).Select(_ => Seconds(() => r = f())).Min();
                Console.WriteLine($"  lm_head as {name}: {t * 1e3:F1} ms, bit-equal to linear {r.eq(reference).all().item<bool>()}, max diff {(r - reference).abs().max().item<float>()}");
            }
        }
    }

    /// <summary>The generator's loop (cached, temperature 1), each op group timed.</summary>
    private static void Split(QwenForCausalLM model, Tensor prompt, Tensor promptMask, int newTokens, int batch, double streamSeconds)
    {
        using var scope = NewDisposeScope();
        using var cache = model.NewCache();
        var random = new Generator(1);
        var mask = promptMask;
        var input = prompt;
        double prefill = 0, layers = 0, head = 0, sample = 0, other = 0;
        for (int step = 0; step < newTokens; step++)
        {
            Tensor hidden = null!, logits = null!, next = null!;
            double forward = Seconds(() => hidden = model.Model.Forward(input, mask, null, cache, false));
            double h = Seconds(() => logits = model.ComputeLogits(hidden.select(1, hidden.shape[1] - 1)));
            double s = Seconds(() => next = TokenSampler.Next(logits, 1.0, 0, 1.0, random));
            double o = Seconds(() =>
            {
                input = next.unsqueeze(1);
                mask = cat(new[] { mask, ones(batch, 1, dtype: ScalarType.Int64) }, 1);
            });
            if (step == 0)
            {
                prefill = forward + h + s + o;
                continue;
            }

            layers += forward;
            head += h;
            sample += s;
            other += o;
        }

        int steps = newTokens - 1;
        double perStep = (layers + head + sample + other) / steps;
        Console.WriteLine($"split, mean of {steps} decoding steps (prefill {prefill:F2} s apart): step {perStep * 1e3:F0} ms = {batch / perStep:F2} tokens/s ({streamSeconds / perStep * 100:F0}% of the bandwidth bound); " +
            $"decoder stack (28 layers incl. KV append) {layers / steps * 1e3:F0} ms, lm_head 1024x151936 {head / steps * 1e3:F0} ms, sampling over 151,936 {sample / steps * 1e3:F1} ms, loop bookkeeping {other / steps * 1e3:F2} ms");
    }

    /// <summary>The KV-cache update alone: one token appended to all 28 layers of a cache already holding up to
    /// <paramref name="length"/> tokens (the step's share of the decoder stack's time).</summary>
    private static void KvAppend(QwenForCausalLM model, int batch, int length)
    {
        var config = model.Config;
        using var scope = NewDisposeScope();
        using var cache = model.NewCache();
        var k = randn(batch, config.KeyValueHeads, 1, config.ResolvedHeadDim);
        var times = new List<double>();
        for (int t = 0; t < length; t++)
        {
            double s = Seconds(() =>
            {
                for (int layer = 0; layer < config.NumHiddenLayers; layer++)
                {
                    cache.Append(layer, k, k);
                }
            });
            if (t >= length - 16)
            {
                times.Add(s);
            }
        }

        Console.WriteLine($"KV-cache update alone (28 layers, keys and values, one token onto {length - 16}..{length - 1} cached): {times.Average() * 1e3:F2} ms per step");
    }

    private static double Seconds(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }
}
