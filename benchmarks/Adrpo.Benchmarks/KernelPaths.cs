// Which switches change the float results of libtorch's CPU kernels on this machine? Runs the operations the trainers
// lean on (GEMM through MKL, ATen's vectorised softmax / log-softmax / exp / reductions, oneDNN convolution, layer
// norm) on fixed inputs and prints one fingerprint of the float32 result bits per operation. Run it under different
// environments and compare the lines: an operation whose fingerprint changes is computed by another code path.
//   ATEN_CPU_CAPABILITY=default|avx2|avx512  ATen's own vectorised kernels (read once, when libtorch loads)
//   MKL_ENABLE_INSTRUCTIONS=AVX2|AVX512       MKL's GEMM code path
//   threads (the mode's argument)             split of reductions and GEMM blocks across threads
// benchmarks/kernel-paths.sh runs the whole matrix and marks what differs from the machine's native path.
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class KernelPaths
{
    public static void Run(string[] args)
    {
        int threads = Bench.IntArg(args, 1, 1);
        torch.set_num_threads(threads);
        using var scope = NewDisposeScope();
        var generator = new Generator(2026);
        var a = randn(new long[] { 64, 384 }, generator: generator);
        var w = randn(new long[] { 384, 1536 }, generator: generator) / 20;
        var logits = randn(new long[] { 64, 1280 }, generator: generator) * 3;
        var images = randn(new long[] { 16, 3, 32, 32 }, generator: generator);
        var kernel = randn(new long[] { 32, 3, 3, 3 }, generator: generator) / 5;
        var hidden = randn(new long[] { 64, 384 }, generator: generator);
        var ops = new (string Name, Func<Tensor> Op)[]
        {
            ("matmul [64x384]x[384x1536] (MKL sgemm)", () => a.matmul(w)),
            ("log_softmax over 1280 (ATen vectorised)", () => logits.log_softmax(-1)),
            ("softmax over 1280 (ATen vectorised)", () => logits.softmax(-1)),
            ("exp (ATen vectorised)", () => logits.exp()),
            ("sum of 81,920 values (reduction)", () => logits.sum()),
            ("conv2d 3->32, 3x3 (oneDNN)", () => nn.functional.conv2d(images, kernel, padding: new long[] { 1, 1 })),
            ("layer_norm over 384", () => nn.functional.layer_norm(hidden, new long[] { 384 })),
            ("silu (ATen vectorised)", () => nn.functional.silu(hidden)),
        };

        Console.WriteLine($"kernel paths: ATEN_CPU_CAPABILITY={Env("ATEN_CPU_CAPABILITY")}, MKL_ENABLE_INSTRUCTIONS={Env("MKL_ENABLE_INSTRUCTIONS")}, threads {torch.get_num_threads()}");
        foreach (var (name, op) in ops)
        {
            var result = op().contiguous();
            byte[] bits = result.data<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray();
            string fingerprint = Convert.ToHexString(SHA256.HashData(bits))[..16];
            Console.WriteLine($"  {fingerprint}  {name}");
        }
    }

    private static string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : "(unset)";
}
