// Single kernels and per-op overhead, TorchSharp versus PyTorch (benchmarks/python/kernels.py mirrors the list): the
// layers that dominate the two training steps, each forward + backward on fixed inputs with a fixed upstream gradient.
// Interleaved per round (all kernels here, then all there, order alternating); one thread on both sides.
using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class Kernels
{
    public static void Run(PythonProcess python, int rounds, int reps, int opCount)
    {
        torch.set_num_threads(1);
        python.Send("threads 1");
        PerOp(python, opCount);
        var kernels = Make();
        var ours = kernels.Keys.ToDictionary(k => k, _ => new List<double>());
        var theirs = kernels.Keys.ToDictionary(k => k, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            void Ours()
            {
                foreach (var (name, kernel) in kernels)
                {
                    for (int i = 0; i < reps; i++)
                    {
                        using var scope = NewDisposeScope();
                        var watch = Stopwatch.StartNew();
                        kernel();
                        ours[name].Add(watch.Elapsed.TotalMilliseconds);
                    }
                }
            }

            void Theirs()
            {
                foreach (var (name, times) in JsonSerializer.Deserialize<Dictionary<string, List<double>>>(python.Send($"kernels {reps}"))!)
                {
                    theirs[name].AddRange(times);
                }
            }

            (r % 2 == 0 ? (Action)Ours : Theirs)();
            (r % 2 == 0 ? (Action)Theirs : Ours)();
        }

        Console.WriteLine($"kernels, 1 thread (medians of {rounds * reps}, first round included); {Bench.Load()}");
        Console.WriteLine("| kernel | TorchSharp ms | PyTorch ms | ratio |");
        Console.WriteLine("|---|---|---|---|");
        foreach (string name in kernels.Keys)
        {
            double a = Bench.Median(ours[name]);
            double b = theirs.TryGetValue(name, out var t) && t.Count > 0 ? Bench.Median(t) : double.NaN;
            Console.WriteLine($"| {name} | {Bench.F(a, "F3")} | {(double.IsNaN(b) ? "-" : Bench.F(b, "F3"))} | {(double.IsNaN(b) ? "-" : Bench.F(a / b))} |");
        }
    }

    private static Dictionary<string, Action> Make()
    {
        Tensor R(params long[] shape) => randn(shape).DetachFromDisposeScope();
        Tensor L(params long[] shape) => randn(shape).requires_grad_(true).DetachFromDisposeScope();
        Action FwdBwd(Func<Tensor> forward, params long[] gradShape)
        {
            var g = R(gradShape);
            return () => forward().backward(new[] { g });
        }

        var (x128, w384, x512, w128) = (L(1024, 128), R(384, 128), L(1024, 512), R(128, 512));
        var (h, head) = (L(512, 256), L(4096, 256));
        var (q, k, v) = (L(16, 4, 64, 32), L(16, 4, 64, 32), L(16, 4, 64, 32));
        var (tokens, wide, logits) = (L(16, 64, 128), L(16, 64, 512), L(8, 63, 4096));
        var x128Plain = x128.detach().DetachFromDisposeScope();
        double scale = 1.0 / Math.Sqrt(32);
        // The DiT step's LoRA GEMMs (rank 8: thin) and its masked cross-attention to 13 context slots.
        var (a128, b384, h8, bias384) = (L(8, 128), L(384, 8), L(1024, 8), R(384));
        var (a512, b128, bias128) = (L(8, 512), L(128, 8), R(128));
        var g384 = R(1024, 384);
        var (w13, w13t) = (R(16, 4, 64, 13), R(16, 4, 13, 64));
        var (ck, cv) = (L(16, 4, 13, 32), L(16, 4, 13, 32));
        var keyMask = (arange(13) < 6).reshape(1, 1, 1, 13).expand(16, 1, 1, 13).contiguous().DetachFromDisposeScope();
        var hidden = keyMask.logical_not().DetachFromDisposeScope();
        var hiddenT = hidden.reshape(16, 1, 13, 1).DetachFromDisposeScope();
        Tensor Lora(Tensor x, Tensor w, Tensor b, Tensor a, Tensor up) => nn.functional.linear(x, w, b) + (nn.functional.linear(nn.functional.linear(x, a), up) * 2.0);
        Tensor LoraLinearForm(Tensor x, Tensor w, Tensor b, Tensor a, Tensor up) => nn.functional.linear(x, w, b).addmm(a.mm(x.t()).t(), up.t().contiguous(), 1, 2);
        return new Dictionary<string, Action>
        {
            ["linear fwd [1024,128]->384"] = () => nn.functional.linear(x128Plain, w384),
            ["linear fwd+bwd [1024,128]->384"] = FwdBwd(() => nn.functional.linear(x128, w384), 1024, 384),
            ["linear fwd+bwd [1024,512]->128"] = FwdBwd(() => nn.functional.linear(x512, w128), 1024, 128),
            ["LM head fwd+bwd [512,256]->4096"] = FwdBwd(() => nn.functional.linear(h, head), 512, 4096),
            ["attention (math) fwd+bwd [16,4,64,32]"] = FwdBwd(() => (q.matmul(k.transpose(-2, -1)) * scale).softmax(-1).matmul(v), 16, 4, 64, 32),
            ["attention (sdpa, as DitAttention) fwd+bwd [16,4,64,32]"] = FwdBwd(() => nn.functional.scaled_dot_product_attention(q, k, v), 16, 4, 64, 32),
            ["LoRA A fwd+bwd [1024,128]->8"] = FwdBwd(() => nn.functional.linear(x128, a128), 1024, 8),
            ["LoRA B fwd+bwd [1024,8]->384"] = FwdBwd(() => nn.functional.linear(h8, b384), 1024, 384),
            // LoRA's backward GEMMs in both orientations: libtorch's mm backward picks one from the operands' layouts.
            ["GEMM dL/dh [1024,384]x[384,8] (PEFT form)"] = () => g384.mm(b384.detach()),
            ["GEMM dL/dh^T [8,384]x[384,1024] (LoraLinear)"] = () => b384.detach().t().mm(g384.t()),
            ["GEMM dL/dB [384,1024]x[1024,8] (PEFT form)"] = () => g384.t().mm(h8.detach()),
            ["GEMM dL/dB^T [8,1024]x[1024,384] (LoraLinear)"] = () => h8.detach().t().mm(g384),
            ["LoRA linear fwd+bwd [1024,128]->384 r8 (PEFT form)"] = FwdBwd(() => Lora(x128, w384, bias384, a128, b384), 1024, 384),
            ["LoRA linear fwd+bwd [1024,128]->384 r8 (LoraLinear)"] = FwdBwd(() => LoraLinearForm(x128, w384, bias384, a128, b384), 1024, 384),
            ["LoRA linear fwd+bwd [1024,512]->128 r8 (PEFT form)"] = FwdBwd(() => Lora(x512, w128, bias128, a512, b128), 1024, 128),
            ["LoRA linear fwd+bwd [1024,512]->128 r8 (LoraLinear)"] = FwdBwd(() => LoraLinearForm(x512, w128, bias128, a512, b128), 1024, 128),
            ["softmax over the last dim of [16,4,64,13]"] = () => w13.softmax(-1),
            ["softmax over dim 2 of [16,4,13,64]"] = () => w13t.softmax(2),
            ["cross-attention (math, queries first) fwd+bwd [16,4,64|13,32]"] = FwdBwd(() => (q.matmul(ck.transpose(-2, -1)) * scale).masked_fill(hidden, float.NegativeInfinity).softmax(-1).matmul(cv), 16, 4, 64, 32),
            ["cross-attention (math, keys first, as DitCrossAttention) fwd+bwd"] = FwdBwd(() => (ck.matmul(q.transpose(-2, -1)) * scale).masked_fill(hiddenT, float.NegativeInfinity).softmax(2).transpose(-2, -1).matmul(cv), 16, 4, 64, 32),
            ["cross-attention (sdpa, bool mask) fwd+bwd"] = FwdBwd(() => nn.functional.scaled_dot_product_attention(q, ck, cv, keyMask), 16, 4, 64, 32),
            ["layer_norm fwd+bwd [16,64,128]"] = FwdBwd(() => nn.functional.layer_norm(tokens, new long[] { 128 }, eps: 1e-6), 16, 64, 128),
            ["gelu(tanh) fwd+bwd [16,64,512]"] = FwdBwd(() => nn.functional.gelu(wide, TorchSharp.Modules.GELU.Approximate.tanh), 16, 64, 512),
            ["logsumexp fwd+bwd [8,63,4096]"] = FwdBwd(() => logits.logsumexp(-1), 8, 63),
        };
    }

    /// <summary>Fixed cost of one tiny op (a 4-element add) on each side, with and without autograd recording.</summary>
    private static void PerOp(PythonProcess python, int count)
    {
        var theirs = JsonSerializer.Deserialize<double[]>(python.Send($"ops {count}"))!;
        foreach (bool grad in new[] { false, true })
        {
            var x = ones(4, requires_grad: grad);
            var y = ones(4);
            double disposed = Time(count, () => x.add(y).Dispose());
            double scoped = Time(count, () =>
            {
                using var scope = NewDisposeScope();
                for (int i = 0; i < 100; i++)
                {
                    x.add(y);
                }
            }, 100);
            Console.WriteLine($"per-op cost, 4-element add{(grad ? " with autograd" : string.Empty)}: TorchSharp {Bench.F(disposed)} us (disposed at once), {Bench.F(scoped)} us (DisposeScope of 100); PyTorch {Bench.F(theirs[grad ? 1 : 0])} us");
        }
    }

    private static double Time(int count, Action op, int opsPerCall = 1)
    {
        for (int i = 0; i < 200 / opsPerCall; i++)
        {
            op();
        }

        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count / opsPerCall; i++)
        {
            op();
        }

        return watch.Elapsed.TotalMilliseconds * 1000 / count;
    }
}
