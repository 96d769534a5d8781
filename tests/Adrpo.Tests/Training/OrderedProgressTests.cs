using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Tests.Training.Language;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Tests.Training;

/// <summary>Progress reports reach a <see cref="Progress{T}"/> in order and before Fit returns (issue 12, item 10).</summary>
[TestClass]
public sealed class OrderedProgressTests
{
    [TestMethod]
    public void ASlowProgressHandlerSeesEveryLanguageIterationInOrderBeforeFitReturns()
    {
        var context = new MLContext(seed: 3);
        var seen = new List<int>();
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = AdrpoGrpoTrainerTests.TinyModel(),
            Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
            RewardModels = { AdrpoGrpoTrainerTests.LetterReward(context) },
            Iterations = 4,
            SamplesPerPrompt = 2,
            PromptsPerIteration = 1,
            MaxNewTokens = 2,
            MaxPromptTokens = 32,
            Seed = 7,
            Progress = new Progress<GrpoIterationMetrics>(m => SlowAppend(seen, m.Iteration)),
        };
        context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts));
        lock (seen)
        {
            CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, seen);
        }
    }

    [TestMethod]
    public void ASlowProgressHandlerSeesEveryFlowMatchingIterationInOrderBeforeFitReturns()
    {
        var context = new MLContext(seed: 3);
        var seen = new List<int>();
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = FlowMatchingTestFixtures.PretrainedTinyDit(),
            TextEncoder = new HashingTextEncoder(),
            RewardModels = { FlowMatchingTestFixtures.RednessReward(context) },
            Iterations = 4,
            SamplesPerPrompt = 2,
            PromptsPerIteration = 1,
            OdeSteps = 1,
            LoraRank = 4,
            Seed = 5,
            Progress = new Progress<FlowMatchingIterationMetrics>(m => SlowAppend(seen, m.Iteration)),
        };
        context.FineTuning().AdrpoFlowMatching(options).Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts));
        lock (seen)
        {
            CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, seen);
        }
    }

    [TestMethod]
    public void OnlyAProgressOfTOnAThreadWithoutACustomContextIsWaitedFor()
    {
        using (var plain = new OrderedProgress<int>(new Progress<int>(_ => { }), _ => { }))
        {
            Assert.IsTrue(plain.WaitsForDelivery, "no synchronization context: waited for");
        }

        using (var direct = new OrderedProgress<int>(new Direct(), _ => { }))
        {
            Assert.IsFalse(direct.WaitsForDelivery, "another IProgress is called on the training thread");
        }

        var previous = SynchronizationContext.Current;
        try
        {
            SynchronizationContext.SetSynchronizationContext(new SynchronizationContext());
            using (var baseContext = new OrderedProgress<int>(new Progress<int>(_ => { }), _ => { }))
            {
                Assert.IsTrue(baseContext.WaitsForDelivery, "the base SynchronizationContext posts to the thread pool: waited for");
            }

            SynchronizationContext.SetSynchronizationContext(new UiLikeContext());
            var handled = new List<int>();
            using var ui = new OrderedProgress<int>(new Progress<int>(handled.Add), _ => Assert.Fail("no wait, so no timeout warning"), TimeSpan.FromMilliseconds(10));
            Assert.IsFalse(ui.WaitsForDelivery, "a custom (UI) context would deadlock: not waited for");
            ui.Report(1);
            Assert.AreEqual(0, handled.Count, "the report waits for the UI context, which never runs it here");
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    [TestMethod]
    public void AHandlerSlowerThanTheTimeoutGetsOneWarningAndNoMoreWaiting()
    {
        var warnings = new List<string>();
        var release = new ManualResetEventSlim(false);   // not disposed: both handlers may still run after the test returns
        var progress = new Progress<int>(_ => release.Wait(TimeSpan.FromSeconds(30)));
        using (var ordered = new OrderedProgress<int>(progress, warnings.Add, TimeSpan.FromMilliseconds(50)))
        {
            ordered.Report(1);
            ordered.Report(2);
        }

        release.Set();
        Assert.AreEqual(1, warnings.Count);
        StringAssert.Contains(warnings[0], "Options.Progress's handler did not finish a report within 0.05 s");
        StringAssert.Contains(warnings[0], "may arrive out of order or after Fit returns");
    }

    private static void SlowAppend(List<int> seen, int iteration)
    {
        Thread.Sleep(100);   // longer than a tiny iteration: without the wait, reports would overtake each other or Fit's return
        lock (seen)
        {
            seen.Add(iteration);
        }
    }

    private sealed class Direct : IProgress<int>
    {
        public void Report(int value)
        {
        }
    }

    /// <summary>Stands for a UI thread's context: posts are queued and never run (the UI thread is busy in Fit).</summary>
    private sealed class UiLikeContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
        }
    }
}
