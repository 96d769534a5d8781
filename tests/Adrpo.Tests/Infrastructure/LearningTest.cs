using System.Globalization;
using TorchSharp;

namespace Adrpo.Tests.Infrastructure;

/// <summary>
/// Tests that assert learning (a reward rises, a method wins, a loss falls) carry <see cref="Category"/> and take their
/// seeds from here. A seeded run that clears a threshold on one CPU can miss it on another, because the kernels round
/// differently (ATEN_CPU_CAPABILITY, thread counts; see benchmarks/kernel-paths.sh). So each threshold is set from the
/// spread of the effect measured over several seeds and kernel paths by benchmarks/learning-spread.sh, which runs
/// these tests with <c>ADRPO_LEARNING_SEED</c> = 0, 1, 2, ... and collects what <see cref="Record"/> writes to
/// <c>ADRPO_LEARNING_LOG</c>. CI runs them once normally and once more under a forced different kernel path.
/// </summary>
internal static class LearningTest
{
    /// <summary>The MSTest category of learning tests (<c>--filter TestCategory=Learning</c>).</summary>
    public const string Category = "Learning";

    /// <summary>Added to every seed of a learning test; 0 unless the spread script sets <c>ADRPO_LEARNING_SEED</c>.</summary>
    public static int SeedOffset { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("ADRPO_LEARNING_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int offset) ? offset : 0;

    /// <summary>libtorch threads for the training run: <c>ADRPO_TEST_THREADS</c>, else 1 (what the trainers' automatic
    /// <c>ComputeThreads</c> gives on a 2-core machine). Learning tests pass it as <c>ComputeThreads</c> to every trainer
    /// and generator, which set it for their own work and put the previous count back.</summary>
    public static int Threads { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("ADRPO_TEST_THREADS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads) && threads > 0 ? threads : 1;

    /// <summary><paramref name="seed"/> shifted by <see cref="SeedOffset"/>.</summary>
    public static int Seed(int seed) => seed + SeedOffset;

    /// <summary>
    /// Appends one measured effect to <c>ADRPO_LEARNING_LOG</c> (when set), with the seed offset and kernel path,
    /// before the test asserts it: the spread script needs the failing runs too.
    /// </summary>
    /// <param name="statement">What is asserted, e.g. "GRPO held-out reward rise".</param>
    /// <param name="effect">The measured quantity the assertion compares.</param>
    /// <param name="threshold">The value it must exceed.</param>
    public static void Record(string statement, double effect, double threshold)
    {
        string? log = Environment.GetEnvironmentVariable("ADRPO_LEARNING_LOG");
        if (string.IsNullOrEmpty(log))
        {
            return;
        }

        string capability = Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") is { Length: > 0 } c ? c : "native";
        string line = string.Create(CultureInfo.InvariantCulture, $"{statement.Replace(',', ';')},{SeedOffset},{capability},{Threads},{effect:R},{threshold:R}\n");
        lock (typeof(LearningTest))
        {
            File.AppendAllText(log, line);
        }
    }

    /// <summary>Runs <paramref name="body"/> with libtorch on <see cref="Threads"/> threads, restoring the count after.</summary>
    public static T WithThreads<T>(Func<T> body)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(Threads);
        try
        {
            return body();
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }
}
