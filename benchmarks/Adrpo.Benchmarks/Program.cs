// Adrpo benchmarks. Every speed figure is a ratio of interleaved measurements in one run (A B A B ..., alternating
// which goes first), medians quoted, with the machine's load average printed next to it.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- MODE [arguments]
// Modes:
//   overhead [repetitions=30]                           adaptive vs fixed coefficient, loss + backward only (default)
//   steps [iterations=12] [threads=1] [repetitions=20]  adaptive vs fixed, whole trainer iterations and update steps
//   torch-vs-pytorch [rounds=5] [steps=4] [threads=1,2] the same training step in TorchSharp and PyTorch eager
//   dit-overheads [reps=200]                           what Adrpo's own code adds to the DiT step, item by item
//   kernels [rounds=3] [reps=10]                       single kernels and per-op cost, TorchSharp vs PyTorch
//   kv [repetitions=3] [threads=1]                      generation tokens/s with and without the KV cache
//   decode [newTokens=16] [threads=1] [repetitions=3]  batch-8 decoding step split at the Qwen3-0.6B shape vs memory bandwidth
//   soak [steps=1000]                                   memory soak of both trainers
//   checks [iterations=20] [threads=1]                  GRPO iterations, value checks on internal paths vs at the boundary
//   kernel-paths [threads=1]                            float fingerprints of the kernels (see benchmarks/kernel-paths.sh)
//   threads MODEL=lm|t2i THREADS [iterations=5]      one whole short training run (see benchmarks/threads.sh)
//   geneval [samplesPerPrompt=8] [odeSteps=20] [guidance=1] [seed=2026]  MiniGenEval of the embedded base generator, held-out prompts
//   logprob-memory VARIANT CONFIG                      peak memory of the GRPO log-prob pass (see benchmarks/logprob-memory.sh)
//   scale VARIANT CONFIG [layers=28] [threads=2]      AdrpoGrpoTrainer at the Qwen3-0.6B shape: full|lora|pytorch|bf16, time|memory (see benchmarks/scale.sh)
//   smoke                                               every mode at tiny sizes, one repetition (CI)
using System.Globalization;
using Adrpo.Benchmarks;

string mode = args.Length > 0 && !int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? args[0] : "overhead";
var rest = mode == "overhead" && args.Length > 0 && args[0] != "overhead" ? args.Prepend(mode).ToArray() : args;
switch (mode)
{
    case "overhead":
        LossOverhead.Run(Bench.IntArg(rest, 1, 30), smoke: false);
        break;
    case "steps":
        TrainerSteps.Run(args, smoke: false);
        break;
    case "torch-vs-pytorch":
        TorchVsPyTorch.Run(args, smoke: false);
        break;
    case "dit-overheads":
        DitOverheads.Run(args);
        break;
    case "kernels":
        TorchVsPyTorch.RunKernels(args);
        break;
    case "kv":
        Generation.Run(args, smoke: false);
        break;
    case "decode":
        Decode.Run(args);
        break;
    case "kernel-paths":
        KernelPaths.Run(args);
        break;
    case "threads":
        ThreadsRun.Run(args);
        break;
    case "checks":
        ValueChecks.Run(args, smoke: false);
        break;
    case "geneval":
        GenEvalBaseline.Run(args);
        break;
    case "logprob-memory":
        LogProbMemory.Run(args);
        break;
    case "scale":
        Scale.Run(args, smoke: false);
        break;
    case "soak":
        MemorySoak.Run(Bench.IntArg(args, 1, 1000));
        break;
    case "smoke":
        var watch = System.Diagnostics.Stopwatch.StartNew();
        LossOverhead.Run(1, smoke: true);
        TrainerSteps.Run(args, smoke: true);
        TorchVsPyTorch.Run(args, smoke: true);
        Generation.Run(args, smoke: true);
        ValueChecks.Run(args, smoke: true);
        MemorySoak.Run(2, warmUp: 1, every: 1);
        Scale.Run(args, smoke: true);
        Console.WriteLine($"smoke: every mode ran in {watch.Elapsed.TotalSeconds:F1} s");
        break;
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'; expected overhead, steps, torch-vs-pytorch, dit-overheads, kernels, kv, decode, kernel-paths, threads, logprob-memory, scale, soak, checks, geneval or smoke.");
        Environment.Exit(2);
        break;
}
