// TorchSharp versus PyTorch eager on the same training step: same architecture, same weights (written by this side
// as safetensors), same batch, same thread count. Checks that both compute the same thing first, then times them
// interleaved: per round, N steps here and N steps in the Python process (order alternating between rounds).
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- torch-vs-pytorch [rounds=5] [steps=4] [threads=1,2] [cases=lm,dit]
// (naming cases, e.g. "dit", also skips the kernel table: the quick loop for one step's speed work)
using Adrpo.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class TorchVsPyTorch
{
    private static readonly string[] PhaseNames = { "forward", "loss", "backward", "clip+AdamW" };

    /// <summary>Only the kernels and per-op table: <c>kernels [rounds=3] [reps=10]</c>.</summary>
    public static void RunKernels(string[] args)
    {
        torch.set_num_threads(1);
        Console.WriteLine($"== TorchSharp {typeof(torch).Assembly.GetName().Version} ({Bench.NativeLibrary("libtorch_cpu.so")}) versus PyTorch eager; {Bench.Load()}");
        using var python = PythonProcess.TryStart(out string why);
        if (python is null)
        {
            Console.WriteLine($"PyTorch side skipped: {why}");
            return;
        }

        Kernels.Run(python, Bench.IntArg(args, 1, 3), Bench.IntArg(args, 2, 10), 50_000);
    }

    public static void Run(string[] args, bool smoke)
    {
        int rounds = smoke ? 1 : Bench.IntArg(args, 1, 5), steps = smoke ? 1 : Bench.IntArg(args, 2, 4);
        int[] threadCounts = smoke ? new[] { 1 } : (args.Length > 3 ? args[3] : "1,2").Split(',').Select(int.Parse).ToArray();
        torch.set_num_threads(1);   // also loads libtorch, whose path names its version
        Console.WriteLine($"== TorchSharp {typeof(torch).Assembly.GetName().Version} ({Bench.NativeLibrary("libtorch_cpu.so")}) versus PyTorch eager; LD_PRELOAD={Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "(none)"}; {Bench.Load()}");
        using var python = PythonProcess.TryStart(out string why);
        if (python is null)
        {
            Console.WriteLine($"PyTorch side skipped: {why} (install python3-torch and libopenblas0-pthread: ./build.cmd setup)");
            return;
        }

        string[] cases = args.Length > 4 ? args[4].Split(',') : new[] { "lm", "dit" };
        if (args.Length <= 4)
        {
            Kernels.Run(python, smoke ? 1 : 3, smoke ? 1 : 10, smoke ? 2_000 : 50_000);
        }

        foreach (var make in new Func<StepCase>[] { () => new LmStepCase(smoke), () => new DitStepCase(smoke) }.Where((_, i) => cases.Contains(i == 0 ? "lm" : "dit")))
        {
            using var c = make();
            string key = c is LmStepCase ? "lm" : "dit";
            string folder = Path.Combine(Bench.RepoRoot(), "artifacts", "benchmarks", "torch-vs-pytorch", key);
            c.Save(folder);
            Console.WriteLine($"-- {c.Name}: {c.Shape}");
            Console.WriteLine($"python: {python.Send($"setup {key} {folder}")}");
            torch.set_num_threads(1);
            python.Send("threads 1");
            if (!Equivalent(c, python, key, Path.Combine(folder, "check.safetensors")))
            {
                Console.WriteLine("NOT EQUIVALENT: timing skipped (a speed comparison of different computations is worthless).");
                continue;
            }

            // Interop work of one step: every op returns a new TorchSharp tensor handle (autograd's own tensors do not).
            var stats = DisposeScopeManager.Statistics;
            stats.Reset();
            c.Step();
            Console.WriteLine($"TorchSharp tensor handles created per step: {stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount}");
            foreach (int n in threadCounts)
            {
                torch.set_num_threads(n);
                Console.WriteLine($"threads {n}: TorchSharp {torch.get_num_threads()}, PyTorch/OpenBLAS {python.Send($"threads {n}")}");
                Time(c, python, key, rounds, steps, smoke ? 0 : 2);
            }
        }
    }

    /// <summary>Forward output, loss and every trainable gradient of one forward/backward on both sides.</summary>
    private static bool Equivalent(StepCase c, PythonProcess python, string key, string file)
    {
        using var scope = NewDisposeScope();
        var ours = c.Check();
        python.Send($"check {key} {file}");
        var (theirs, _) = SafeTensorsFile.Load(file);
        if (!ours.Keys.Order().SequenceEqual(theirs.Keys.Order()))
        {
            Console.WriteLine($"equivalence: different tensors: C# only {string.Join(", ", ours.Keys.Except(theirs.Keys))}; PyTorch only {string.Join(", ", theirs.Keys.Except(ours.Keys))}");
            return false;
        }

        double Diff(string name) => (ours[name] - theirs[name]).abs().max().item<float>();
        double Max(string name) => ours[name].abs().max().item<float>();
        var compared = c.ComparedOutputPositions;
        double output = compared is null ? Diff("output") : (ours["output"] - theirs["output"]).abs().masked_fill(compared.logical_not(), 0).max().item<float>();
        double loss = Diff("loss");
        var grads = ours.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).ToList();
        double grad = grads.Max(Diff), gradScale = grads.Max(Max);
        bool same = output < 1e-4 && loss < 1e-4 * Math.Max(1, Math.Abs(ours["loss"].item<float>())) && grad < 1e-3 * gradScale;
        Console.WriteLine($"equivalence (1 thread): forward output {Shape(ours["output"])}{(compared is null ? "" : " at its non-padded positions")} max |C# - PyTorch| = {output:E2} (max |output| {Max("output"):F3}); " +
            $"loss {ours["loss"].item<float>():F6} vs {theirs["loss"].item<float>():F6} (diff {loss:E2}); {grads.Count} gradients: max abs diff {grad:E2} (max |grad| {gradScale:E2}) -> {(same ? "equivalent" : "DIFFERENT")}");
        foreach (var t in theirs.Values)
        {
            t.Dispose();
        }

        return same;
    }

    private static void Time(StepCase c, PythonProcess python, string key, int rounds, int steps, int warmUp)
    {
        for (int i = 0; i < warmUp; i++)
        {
            c.Step();
        }

        if (warmUp > 0)
        {
            python.Run(key, warmUp);
        }

        var (sharp, torchPy) = (new List<double>(), new List<double>());
        var (sharpCpu, torchPyCpu) = (new List<double>(), new List<double>());
        var (sharpPhases, pyPhases) = (PhaseLists(), PhaseLists());
        var (sharpCpuPhases, pyCpuPhases) = (PhaseLists(), PhaseLists());
        var (roundRatios, roundCpuRatios) = (new List<double>(), new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            List<double> ours = new(), theirs = new(), oursCpu = new(), theirsCpu = new();
            void Ours()
            {
                for (int s = 0; s < steps; s++)
                {
                    ours.Add(c.Step());
                    oursCpu.Add(c.CpuPhases.Sum());
                    for (int p = 0; p < 4; p++)
                    {
                        sharpPhases[p].Add(c.Phases[p]);
                        sharpCpuPhases[p].Add(c.CpuPhases[p]);
                    }
                }
            }

            void Theirs()
            {
                var (times, phases, cpuPhases) = python.RunTimed(key, steps);
                theirs.AddRange(times);
                theirsCpu.AddRange(Enumerable.Range(0, times.Count).Select(i => cpuPhases.Sum(p => p[i])));
                for (int p = 0; p < 4; p++)
                {
                    pyPhases[p].AddRange(phases[p]);
                    pyCpuPhases[p].AddRange(cpuPhases[p]);
                }
            }

            if (r % 2 == 0)
            {
                Ours();
                Theirs();
            }
            else
            {
                Theirs();
                Ours();
            }

            sharp.AddRange(ours);
            torchPy.AddRange(theirs);
            sharpCpu.AddRange(oursCpu);
            torchPyCpu.AddRange(theirsCpu);
            roundRatios.Add(Bench.Median(ours) / Bench.Median(theirs));
            roundCpuRatios.Add(Bench.Median(oursCpu) / Bench.Median(theirsCpu));
        }

        Console.WriteLine($"  per step (median of {sharp.Count}): TorchSharp {Bench.F(Bench.Median(sharp))} ms, PyTorch {Bench.F(Bench.Median(torchPy))} ms; " +
            $"ratio TorchSharp/PyTorch {Bench.F(Bench.Median(sharp) / Bench.Median(torchPy), "F3")} (median of per-round ratios {Bench.F(Bench.Median(roundRatios), "F3")}, range {Bench.F(roundRatios.Min(), "F3")}-{Bench.F(roundRatios.Max(), "F3")}); {Bench.Load()}");
        Console.WriteLine("  phases (medians, ms): " + string.Join(", ", PhaseNames.Select((name, p) =>
            $"{name} {Bench.F(Bench.Median(sharpPhases[p]))} vs {Bench.F(Bench.Median(pyPhases[p]))}")));
        Console.WriteLine($"  thread CPU time per step (median): TorchSharp {Bench.F(Bench.Median(sharpCpu))} ms, PyTorch {Bench.F(Bench.Median(torchPyCpu))} ms; " +
            $"ratio {Bench.F(Bench.Median(sharpCpu) / Bench.Median(torchPyCpu), "F3")} (per-round {Bench.F(roundCpuRatios.Min(), "F3")}-{Bench.F(roundCpuRatios.Max(), "F3")}); phases: " +
            string.Join(", ", PhaseNames.Select((name, p) => $"{name} {Bench.F(Bench.Median(sharpCpuPhases[p]))} vs {Bench.F(Bench.Median(pyCpuPhases[p]))}")));
    }

    private static List<double>[] PhaseLists() => Enumerable.Range(0, 4).Select(_ => new List<double>()).ToArray();

    private static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
