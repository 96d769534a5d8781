// What Adrpo's own code (not libtorch's kernels) adds to the DiT ADRPO step, item by item, on the torch-vs-pytorch DiT
// case (cross-attention, LoRA rank 8, batch 16), one thread: the input checks, the context mask, the no-op dtype casts,
// the dispose scopes, the loss's checks, and the part of the reference forward that repeats the policy forward's
// (patch, time, condition and context embeddings: none of them has an adapter).
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- dit-overheads [reps=200]
// Private members are reached by reflection (a diagnostic; the library keeps them private).
using System.Diagnostics;
using System.Reflection;
using Adrpo.Losses.FlowMatching;
using Adrpo.Models.Dit;
using Adrpo.Regularization;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class DitOverheads
{
    private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;

    public static void Run(string[] args)
    {
        int reps = Bench.IntArg(args, 1, 200);
        torch.set_num_threads(1);
        using var c = new DitStepCase(false);
        var model = c.Dit;
        var (xt, t, condition) = (c.Input("xt"), c.Input("t"), c.Input("condition"));
        var validate = typeof(DitVelocityModel).GetMethod("ValidateInputs", Private)!;
        var embedContext = typeof(DitVelocityModel).GetMethod("EmbedContext", Private)!;
        nn.Module<Tensor, Tensor> Field(string name) => (nn.Module<Tensor, Tensor>)typeof(DitVelocityModel).GetField(name, Private)!.GetValue(model)!;
        var (patches, time, pooled) = (Field("x_embedder"), Field("t_embedder"), Field("y_embedder"));
        var stepMs = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            c.Step();
            stepMs.Add(c.CpuPhases.Sum());
        }

        double step = Bench.Median(stepMs);
        Console.WriteLine($"== Adrpo's own overheads in the DiT step (microseconds per call, median of 5 x {reps}; the step: {Bench.F(step)} ms thread CPU); {Bench.Load()}");
        void Report(string what, int perStep, Action action)
        {
            double us = PerCall(reps, action);
            Console.WriteLine($"  {what}: {Bench.F(us)} us x {perStep} per step = {Bench.F(us * perStep / 1000, "F3")} ms ({Bench.F(100 * us * perStep / 1000 / step)}% of the step)");
        }

        Report("DitVelocityModel.ValidateInputs (shape, dtype, device checks)", 2, () => validate.Invoke(model, new object[] { xt, t, condition }));
        Report("EmbedContext: context mask only (abs, amax, > 0, arange, eq, |, reshape)", 2, () =>
        {
            var slots = condition.reshape(16, 13, 384);
            var filled = slots.abs().amax(new long[] { 2 }) > 0;
            var first = arange(13).eq(0).unsqueeze(0);
            _ = (filled | first).reshape(16, 1, 1, 13);
        });
        Report("condition.to_type(same dtype) and t.to_type(same dtype)", 2, () =>
        {
            _ = condition.to_type(xt.dtype);
            _ = t.to_type(xt.dtype);
        });
        Report("an empty DisposeScope (one per module forward: ~45 per forward)", 92, () => NewDisposeScope().Dispose());
        using (no_grad())
        {
            Report("the reference forward's repeated stem (patch + time + condition embeddings, context and mask), no_grad", 1, () =>
            {
                _ = patches.forward(xt);
                _ = time.forward(t) + pooled.forward(condition.narrow(1, 0, 384));
                _ = embedContext.Invoke(model, new object[] { condition });
            });
        }

        using var v = randn(16, 3, 32, 32);
        using var u = randn(16, 3, 32, 32);
        using var reference = randn(16, 3, 32, 32);
        using var advantages = randn(16).clamp(-1, 1);
        using var beta = AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults.Compute(advantages);
        double loss = PerCall(reps, () => AdrpoFlowMatchingLoss.Compute(v, u, reference, advantages, beta));
        double ops = PerCall(reps, () =>
        {
            var matching = (v - u).square().flatten(1).mean(new long[] { 1 });
            var w2 = (v - reference).square().flatten(1).mean(new long[] { 1 });
            var (wm, ww) = (advantages * matching, beta * w2);
            _ = ((wm + ww).mean(), wm.mean().detach(), ww.mean().detach(), w2.mean().detach());
        });
        Console.WriteLine($"  AdrpoFlowMatchingLoss.Compute {Bench.F(loss)} us vs the same ops without checks, scopes or casts {Bench.F(ops)} us: {Bench.F(loss - ops)} us per step ({Bench.F(100 * (loss - ops) / 1000 / step)}%)");
    }

    /// <summary>Median over 5 batches of microseconds per call, each call in its own dispose scope.</summary>
    private static double PerCall(int reps, Action action)
    {
        var batches = new List<double>();
        for (int b = 0; b < 6; b++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
            {
                using var scope = NewDisposeScope();
                action();
            }

            if (b > 0)
            {
                batches.Add(watch.Elapsed.TotalMilliseconds * 1000 / reps);
            }
        }

        return Bench.Median(batches);
    }
}
