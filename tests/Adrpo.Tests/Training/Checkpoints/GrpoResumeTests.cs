using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Training.Language;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Tests.Training.Checkpoints;

/// <summary>Checkpoints, cancellation and exact resume of the GRPO trainer (issue 5, items 2 and 5).</summary>
[TestClass]
public sealed class GrpoResumeTests
{
    private static string Comparable(GrpoIterationMetrics m) => MetricsJson.Of(m with { Seconds = 0, TokensPerSecond = 0 });

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void CancelledRunResumesToExactlyTheMetricsOfAnUninterruptedRun(bool adaptive)
    {
        using var oneThread = new OneIntraOpThread();   // bit-exact comparisons need a fixed BLAS thread count
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-grpo-resume-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var context = new MLContext(seed: 1);
        var data = AdrpoGrpoTrainerTestsAccess.TrainData(context);

        var straight = new List<GrpoIterationMetrics>();
        var options = AdrpoGrpoTrainerTestsAccess.Options(context, null, adaptive);
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(straight.Add);
        var expected = context.FineTuning().AdrpoGrpo(options).Fit(data).Generate(AdrpoGrpoTrainerTestsAccess.HeldOut);

        string checkpoint = Path.Combine(folder, "run.safetensors");
        using var cancel = new CancellationTokenSource();
        var first = new List<GrpoIterationMetrics>();
        options = AdrpoGrpoTrainerTestsAccess.Options(context, checkpoint, adaptive);
        options.CancellationToken = cancel.Token;
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(m =>
        {
            first.Add(m);
            if (m.Iteration == 3)
            {
                cancel.Cancel();
            }
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => context.FineTuning().AdrpoGrpo(options).Fit(data));
        Assert.AreEqual("2", Adrpo.Persistence.SafeTensorsFile.ReadHeader(checkpoint).Metadata["iteration"]);

        var second = new List<GrpoIterationMetrics>();
        options = AdrpoGrpoTrainerTestsAccess.Options(context, checkpoint, adaptive);
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(second.Add);
        var actual = context.FineTuning().AdrpoGrpo(options).Fit(data).Generate(AdrpoGrpoTrainerTestsAccess.HeldOut);

        CollectionAssert.AreEqual(new[] { 3, 4, 5, 6 }, second.Select(m => m.Iteration).ToArray());
        CollectionAssert.AreEqual(straight.Select(Comparable).ToList(), first.Take(2).Concat(second).Select(Comparable).ToList(), "metrics equal the uninterrupted run's");
        CollectionAssert.AreEqual(expected, actual, "completions equal the uninterrupted run's");
        Directory.Delete(folder, true);
    }
}
