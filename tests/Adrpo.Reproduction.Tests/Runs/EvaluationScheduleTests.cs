using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.Tests.Runs;

[TestClass]
public sealed class EvaluationScheduleTests
{
    [TestMethod]
    public void EvaluatesEveryIntervalAndAfterTheLastIterationWithTheWindowSinceThePrevious()
    {
        // 25 iterations of 0.5 s, interval 10: evaluations at 10, 20 and 25 with windows of 10, 10 and 5 iterations.
        var calls = new List<(int Iteration, int[] Window, double Seconds)>();
        var schedule = new EvaluationSchedule<int>(10, 25, i => i, _ => 0.5, (iteration, window, seconds) => calls.Add((iteration, window.ToArray(), seconds)));
        schedule.EvaluateNow(0);
        var progress = schedule.Progress;
        for (int i = 1; i <= 25; i++)
        {
            progress.Report(i);
        }

        CollectionAssert.AreEqual(new[] { 0, 10, 20, 25 }, calls.Select(c => c.Iteration).ToArray());
        CollectionAssert.AreEqual(Array.Empty<int>(), calls[0].Window, "nothing trained before iteration 0");
        CollectionAssert.AreEqual(Enumerable.Range(11, 10).ToArray(), calls[2].Window);
        CollectionAssert.AreEqual(Enumerable.Range(21, 5).ToArray(), calls[3].Window);
        CollectionAssert.AreEqual(new[] { 0.0, 5.0, 10.0, 12.5 }, calls.Select(c => c.Seconds).ToArray(), "training time only, cumulative");
    }
}
