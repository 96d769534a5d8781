// Peak memory of GRPO's log-probability + entropy + backward pass for one variant, in this process:
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- logprob-memory VARIANT CONFIG
// VARIANT: full (the head on every position, TokenLogProbs + TokenEntropy on [B, S + L, V]: the path before the lean
// log-probs), lean (the head on completion positions only, chunked, plain autograd), recompute (lean, each chunk's
// logits recomputed in backward), ckpt (recompute plus GradientCheckpointing: each decoder layer keeps only its input
// and runs again in backward). CONFIG: tiny (vocab 1280, hidden 32, 8 x (32 + 6) tokens), mid (vocab 151,936, hidden
// 1024, one Qwen3-0.6B-shaped layer, 8 x (32 + 128) tokens) or mid4 (the same with four layers); a suffix -frozen
// freezes the tied embedding / head (as LoRA does), so no [vocab, hidden] gradient hides the layers' activations. Run each variant in its own process
// (benchmarks/logprob-memory.sh): the figure is the rise of the peak RSS (VmHWM, reset through /proc/self/clear_refs)
// over the RSS before the pass, so it includes the decoder's activations and the parameters' gradients, the same in
// every variant.
using System.Globalization;
using Adrpo.Losses.Language;
using Adrpo.Models.Language;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class LogProbMemory
{
    public static void Run(string[] args)
    {
        string variant = args.Length > 1 ? args[1] : "lean";
        string size = args.Length > 2 ? args[2] : "tiny";
        torch.set_num_threads(2);
        bool mid = size.StartsWith("mid", StringComparison.Ordinal);
        var config = new QwenConfig
        {
            ModelType = "qwen3", VocabSize = mid ? 151_936 : 1280, HiddenSize = mid ? 1024 : 32, IntermediateSize = mid ? 3072 : 64,
            NumHiddenLayers = size.StartsWith("mid4", StringComparison.Ordinal) ? 4 : 1, NumAttentionHeads = mid ? 16 : 2, NumKeyValueHeads = mid ? 8 : 1, HeadDim = mid ? 128 : 16,
            MaxPositionEmbeddings = 512, RopeTheta = 1_000_000, TieWordEmbeddings = true,
        };
        long batch = 8, prompt = 32, completion = mid ? 128 : 6;
        using var model = new QwenForCausalLM(config, new Generator(1));
        model.Model.GradientCheckpointing = variant == "ckpt";
        bool frozenHead = size.EndsWith("-frozen", StringComparison.Ordinal);
        model.OutputWeight.requires_grad = !frozenHead;   // as with LoRA: no embedding / head gradient, the layers' activations dominate
        var ids = randint(0, config.VocabSize, new[] { batch, prompt + completion }, generator: new Generator(2));
        var attention = ones(batch, prompt + completion, dtype: ScalarType.Int64);
        var upstream = randn(new[] { batch, completion }, generator: new Generator(3));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5");   // resets VmHWM to the current RSS
        double before = Kib("VmRSS:"), start = Kib("VmHWM:");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            Tensor logp, entropy;
            if (variant == "full")
            {
                var logits = model.Forward(ids, attention, null, null, checkValues: false);
                logp = TokenLogProbs.FromLogits(logits, ids, 1.0, checkValues: false).narrow(1, prompt - 1, completion);
                using (no_grad())
                {
                    entropy = TokenEntropy.FromLogits(logits.detach()).narrow(1, prompt - 1, completion);
                }
            }
            else
            {
                var hidden = model.Model.Forward(ids, attention, null, null, checkValues: false).narrow(1, prompt - 1, completion);
                var result = SelectiveLogProbs.Compute(hidden, model.ComputeLogits, ids.narrow(1, prompt, completion), 1.0, entropy: true, SelectiveLogProbs.DefaultChunkRows, variant is "recompute" or "ckpt" ? model.OutputWeight : null);
                (logp, entropy) = (result.LogProbs, result.Entropy!);
            }

            (logp * upstream).sum().backward();
            RecomputedChunkLogProbs.ReleaseHandedBack();
            CheckpointedDecoderLayer.ReleaseHandedBack();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"check: sum logp {logp.sum().item<float>():F3}, mean entropy {entropy.mean().item<float>():F4}, grad norm {(frozenHead ? model.parameters().Where(p => p.requires_grad).Select(p => p.grad!.norm().item<float>()).Sum() : model.OutputWeight.grad!.norm().item<float>()):G6}"));
        }

        double peak = Kib("VmHWM:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"logprob-memory {variant} {size}: peak RSS rise {(peak - before) / 1024:F1} MiB (RSS before {before / 1024:F1} MiB, HWM reset to {start / 1024:F1} MiB), {watch.Elapsed.TotalSeconds:F2} s"));
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
}
