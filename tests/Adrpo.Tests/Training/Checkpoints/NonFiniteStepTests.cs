using Adrpo.Models;
using Adrpo.Models.Dit;
using Adrpo.Persistence;
using Adrpo.Tests.Infrastructure;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using TorchSharp.Modules;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.Checkpoints;

/// <summary>NaN/Inf guards (issue 5, item 3): non-finite steps are skipped and counted; too many in a row stop the run
/// with the last checkpoint intact.</summary>
[TestClass]
public sealed class NonFiniteStepTests
{
    [TestMethod]
    public void ANonFiniteStepIsSkippedCountedAndTrainingGoesOn()
    {
        var context = new MLContext(seed: 1);
        using var poisoned = new PoisonableVelocityModel(PretrainedTinyDit());
        var reported = new List<FlowMatchingIterationMetrics>();
        var options = FlowMatchingResumeTests.Options(context, FineTuningMethod.Adrpo, null, reported);
        options.Generator = poisoned;
        options.UpdatesPerIteration = 1;
        options.Progress = new SynchronousProgress<FlowMatchingIterationMetrics>(m =>
        {
            reported.Add(m);
            poisoned.Poisoned = m.Iteration == 2;   // only iteration 3's gradient step sees NaN velocities
        });

        var trainer = context.FineTuning().AdrpoFlowMatching(options);
        trainer.Fit(Prompts(context, TrainPrompts));

        CollectionAssert.AreEqual(new[] { 0, 0, 1, 0, 0, 0 }, reported.Select(m => m.SkippedSteps).ToArray());
        Assert.IsTrue(double.IsNaN(reported[2].Loss), "the skipped step's loss is reported as it was");
        Assert.IsTrue(reported.Where(m => m.Iteration != 3).All(m => double.IsFinite(m.Loss)));
        Assert.IsTrue(poisoned.TrainableParameters().All(p => isfinite(p).all().item<bool>()), "no NaN reached the weights");
        Assert.AreEqual(6, trainer.Metrics!.Rows.Count);
    }

    [TestMethod]
    public void TooManyNonFiniteStepsInARowStopWithAClearErrorAndTheLastCheckpointIntact()
    {
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-nan-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string checkpoint = Path.Combine(folder, "run.safetensors");
        var context = new MLContext(seed: 1);
        using var poisoned = new PoisonableVelocityModel(PretrainedTinyDit());
        var options = FlowMatchingResumeTests.Options(context, FineTuningMethod.Adrpo, checkpoint, new());
        options.Generator = poisoned;
        options.UpdatesPerIteration = 1;
        options.CheckpointInterval = 1;
        options.MaxConsecutiveSkippedSteps = 3;
        options.Progress = new SynchronousProgress<FlowMatchingIterationMetrics>(m => poisoned.Poisoned = m.Iteration >= 2);

        var ex = Assert.ThrowsExactly<TrainingDivergedException>(() => context.FineTuning().AdrpoFlowMatching(options).Fit(Prompts(context, TrainPrompts)));

        Console.WriteLine(ex.Message);
        Assert.AreEqual(5, ex.Iteration, "iterations 3, 4 and 5 were skipped");
        StringAssert.Contains(ex.Message, "3 consecutive steps had a NaN or infinite loss or gradient norm (option MaxConsecutiveSkippedSteps)");
        var (tensors, metadata) = SafeTensorsFile.Load(checkpoint);
        Assert.AreEqual("4", metadata["iteration"], "the checkpoint of the last completed iteration is intact");
        Assert.AreEqual("2", metadata["skipped_in_a_row"]);
        Assert.IsTrue(tensors.Where(kv => kv.Key.StartsWith("trainable.", StringComparison.Ordinal)).All(kv => isfinite(kv.Value).all().item<bool>()));
        Assert.AreEqual(1, Directory.GetFiles(folder).Length, "no temporary file is left");
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }

        Directory.Delete(folder, true);
    }

    /// <summary>The tiny DiT, but its training-mode forward returns NaN while <see cref="Poisoned"/> is set
    /// (sampling runs in evaluation mode, so rewards stay finite and only the gradient step sees NaN).</summary>
    private sealed class PoisonableVelocityModel(DitVelocityModel inner) : IConditionalVelocityModel, ILoraAdaptable
    {
        private bool _training;

        public bool Poisoned { get; set; }

        public long[] SampleShape => inner.SampleShape;

        public int ConditionDimension => inner.ConditionDimension;

        public bool AdaptersEnabled { get => inner.AdaptersEnabled; set => inner.AdaptersEnabled = value; }

        public bool HasAdapters => inner.HasAdapters;

        public void AddLoraAdapters(int rank, double alpha, IReadOnlyCollection<string>? targets, Generator generator) => inner.AddLoraAdapters(rank, alpha, targets, generator);

        public Tensor Forward(Tensor xt, Tensor t, Tensor condition)
        {
            var v = inner.Forward(xt, t, condition);
            return Poisoned && _training && AdaptersEnabled ? v * float.NaN : v;
        }

        public IReadOnlyList<Parameter> TrainableParameters() => inner.TrainableParameters();

        public void SetTraining(bool training)
        {
            _training = training;
            inner.SetTraining(training);
        }

        public void Dispose() => inner.Dispose();
    }
}
