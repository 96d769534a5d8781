// Generation throughput (tokens/s) with and without the KV cache.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- kv [repetitions=3] [threads=1] [cached-only]
// ("cached-only": only the KV-cache runs, for comparing two builds of the library process against process.)
// The embedded tiny Qwen3 has a 256-position context, too short for 16 + 256 tokens, so this uses a Qwen3 of the same
// shape (726,784 parameters) with max_position_embeddings 512 and random weights: EOS is ignored anyway, so every row
// generates the full length, and the cost does not depend on the weights' values.
using System.Diagnostics;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class Generation
{
    public static void Run(string[] args, bool smoke)
    {
        int repetitions = smoke ? 1 : Bench.IntArg(args, 1, 3), threads = Bench.IntArg(args, 2, 1);
        torch.set_num_threads(threads);
        using var model = Model();
        int batch = 4, promptTokens = 16;
        Console.WriteLine($"== Generation throughput, Qwen3-shaped {model.parameters().Sum(p => p.numel()):N0} parameters (context {model.Config.MaxPositionEmbeddings}), batch {batch}, {promptTokens}-token prompts, temperature 1, EOS ignored; {threads} thread(s); {Bench.Load()}");
        var prompt = randint(0, model.Config.VocabSize, new long[] { batch, promptTokens }, generator: new Generator(3));
        var mask = ones(batch, promptTokens, dtype: ScalarType.Int64);
        // Every op returns a new TorchSharp tensor handle (a native call, a managed object with a finalizer and a
        // dispose-scope registration): their count per generated token is the interop work of one decoding step.
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        using (new QwenGenerator(model, 1).Generate(prompt, mask, new QwenGenerationOptions { MaxNewTokens = 32, UseCache = true, EosTokenIds = Array.Empty<long>() }))
        {
            Console.WriteLine($"tensor handles created per decoding step with the KV cache: {Bench.F((stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount) / 32.0, "F1")} (batch {batch}, {model.Config.NumHiddenLayers} layers)");
        }

        foreach (int tokens in smoke ? new[] { 8 } : new[] { 64, 256 })
        {
            double Rate(bool useCache)
            {
                var generator = new QwenGenerator(model, 1);
                var watch = Stopwatch.StartNew();
                using var result = generator.Generate(prompt, mask, new QwenGenerationOptions
                {
                    MaxNewTokens = tokens, Temperature = 1.0, UseCache = useCache, EosTokenIds = Array.Empty<long>(),
                });
                return batch * result.Length / watch.Elapsed.TotalSeconds;
            }

            if (args.Length > 3 && args[3] == "cached-only")
            {
                var rates = Enumerable.Range(0, repetitions + 1).Select(_ => Rate(true)).Skip(1).ToList();
                Console.WriteLine($"{tokens} new tokens x {batch} rows: {Bench.F(Bench.Median(rates), "F0")} tokens/s with KV cache (median of {repetitions})");
                continue;
            }

            // Rates, not times: Interleave takes each call's return value as its measurement.
            var (cached, uncached) = Bench.Interleave(() => Rate(true), () => Rate(false), repetitions, smoke ? 0 : 1);
            Console.WriteLine($"{tokens} new tokens x {batch} rows: {Bench.F(Bench.Median(cached), "F0")} tokens/s with KV cache, {Bench.F(Bench.Median(uncached), "F0")} without " +
                $"(medians of {repetitions}); ratio {Bench.F(Bench.Median(cached) / Bench.Median(uncached))} (median of paired ratios {Bench.F(Bench.PairedRatio(cached, uncached))}); {Bench.Load()}");
        }
    }

    private static QwenForCausalLM Model()
    {
        using var embedded = EmbeddedTinyLanguage.LoadModel();
        var config = QwenConfig.Parse(embedded.Config.ToJson());
        config.MaxPositionEmbeddings = 512;
        return new QwenForCausalLM(config, new Generator(5));
    }
}
