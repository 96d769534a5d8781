using System.Text.Json;
using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Tests.Training.Language;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training;

/// <summary>
/// Both trainers take their device once from MLContext.GpuDeviceId / FallbackToCpu (<see cref="TrainingDevice"/>):
/// refused without fallback, the CPU path unchanged with it, and (on a CUDA machine) the whole run on the GPU.
/// </summary>
[TestClass]
public sealed class TrainingDeviceTests
{
    private static AdrpoFlowMatchingTrainer.Options FlowMatchingOptions(MLContext context, int iterations, List<FlowMatchingIterationMetrics> metrics) => new()
    {
        Generator = FlowMatchingTestFixtures.PretrainedTinyDit(),
        TextEncoder = new HashingTextEncoder(),
        RewardModels = { FlowMatchingTestFixtures.RednessReward(context) },
        Method = FineTuningMethod.Adrpo,
        Iterations = iterations,
        SamplesPerPrompt = 4,
        PromptsPerIteration = 2,
        OdeSteps = 4,
        LearningRate = 1e-2,
        LoraRank = 4,
        LoraAlpha = 8,
        Seed = 5,
        ComputeThreads = 1,
        Progress = new SynchronousProgress<FlowMatchingIterationMetrics>(m => metrics.Add(m with { Seconds = 0 })),
    };

    private static AdrpoGrpoTrainer.Options GrpoOptions(MLContext context, int iterations, List<GrpoIterationMetrics> metrics)
    {
        var options = AdrpoGrpoTrainerTestsAccess.Options(context, null);
        options.Iterations = iterations;
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(m => metrics.Add(m with { Seconds = 0, TokensPerSecond = 0 }));
        return options;
    }

    [TestMethod]
    public void BothTrainersRefuseAnUnavailableGpuWithoutFallback()
    {
        // No machine has 1000 CUDA devices: the request fails everywhere, before any training.
        var context = new MLContext(seed: 1) { GpuDeviceId = 1000, FallbackToCpu = false };
        var flowMetrics = new List<FlowMatchingIterationMetrics>();
        var grpoMetrics = new List<GrpoIterationMetrics>();

        var flow = Assert.ThrowsExactly<InvalidOperationException>(() => context.FineTuning().AdrpoFlowMatching(FlowMatchingOptions(context, 1, flowMetrics)).Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts)));
        var grpo = Assert.ThrowsExactly<InvalidOperationException>(() => context.FineTuning().AdrpoGrpo(GrpoOptions(context, 1, grpoMetrics)).Fit(AdrpoGrpoTrainerTestsAccess.TrainData(context)));

        foreach (var error in new[] { flow, grpo })
        {
            StringAssert.Contains(error.Message, "MLContext.GpuDeviceId is 1000");
            StringAssert.Contains(error.Message, "MLContext.FallbackToCpu");
        }

        Assert.AreEqual(0, flowMetrics.Count);
        Assert.AreEqual(0, grpoMetrics.Count);
    }

    [TestMethod]
    public void FallingBackToTheCpuTrainsExactlyAsTheCpu()
    {
        string Run(MLContext context)
        {
            var flowMetrics = new List<FlowMatchingIterationMetrics>();
            var grpoMetrics = new List<GrpoIterationMetrics>();
            context.FineTuning().AdrpoFlowMatching(FlowMatchingOptions(context, 2, flowMetrics)).Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts));
            context.FineTuning().AdrpoGrpo(GrpoOptions(context, 2, grpoMetrics)).Fit(AdrpoGrpoTrainerTestsAccess.TrainData(context));
            return JsonSerializer.Serialize(flowMetrics) + JsonSerializer.Serialize(grpoMetrics);
        }

        using var oneThread = new OneIntraOpThread();
        string cpu = Run(new MLContext(seed: 1));
        string fallback = Run(new MLContext(seed: 1) { GpuDeviceId = 1000, FallbackToCpu = true });

        StringAssert.Contains(cpu, "RewardMean");
        Assert.AreEqual(cpu, fallback);
    }

    [TestMethod]
    [TestCategory(GpuTest.Category)]
    public void BothTrainersAndTheirTransformersRunOnCuda()
    {
        GpuTest.RequireCuda();
        var context = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };

        var flowMetrics = new List<FlowMatchingIterationMetrics>();
        var flowOptions = FlowMatchingOptions(context, 2, flowMetrics);
        var flow = context.FineTuning().AdrpoFlowMatching(flowOptions).Fit(FlowMatchingTestFixtures.Prompts(context, FlowMatchingTestFixtures.TrainPrompts));
        var dit = (Adrpo.Models.Dit.DitVelocityModel)flowOptions.Generator!;
        Assert.IsTrue(dit.parameters().All(p => p.device_type == DeviceType.CUDA), "every generator parameter (LoRA adapters included) is on CUDA");
        Assert.AreEqual(2, flowMetrics.Count);
        Assert.IsTrue(flowMetrics.All(m => double.IsFinite(m.RewardMean) && double.IsFinite(m.Loss) && m.SkippedSteps == 0), JsonSerializer.Serialize(flowMetrics));
        float[][] images = flow.Generate(FlowMatchingTestFixtures.TestPrompts);
        Assert.AreEqual(FlowMatchingTestFixtures.TestPrompts.Length, images.Length);
        Assert.IsTrue(images.All(i => i.Length == 3 * 8 * 8) && images.SelectMany(i => i).All(float.IsFinite));

        // The first iteration samples the untouched model from CPU-drawn noise: its rewards match the CPU's to float tolerance.
        var cpuMetrics = new List<FlowMatchingIterationMetrics>();
        var cpuContext = new MLContext(seed: 1);
        cpuContext.FineTuning().AdrpoFlowMatching(FlowMatchingOptions(cpuContext, 1, cpuMetrics)).Fit(FlowMatchingTestFixtures.Prompts(cpuContext, FlowMatchingTestFixtures.TrainPrompts));
        Assert.AreEqual(cpuMetrics[0].RewardMean, flowMetrics[0].RewardMean, 1e-3);

        var grpoMetrics = new List<GrpoIterationMetrics>();
        var grpoOptions = GrpoOptions(context, 2, grpoMetrics);
        var grpo = context.FineTuning().AdrpoGrpo(grpoOptions).Fit(AdrpoGrpoTrainerTestsAccess.TrainData(context));
        Assert.AreEqual(DeviceType.CUDA, grpo.Model.Device.type);
        Assert.AreEqual(2, grpoMetrics.Count);
        Assert.IsTrue(grpoMetrics.All(m => double.IsFinite(m.RewardMean) && double.IsFinite(m.Loss) && double.IsFinite(m.Kl) && m.SkippedSteps == 0), JsonSerializer.Serialize(grpoMetrics));
        string[] completions = grpo.Generate(AdrpoGrpoTrainerTestsAccess.HeldOut);
        Assert.AreEqual(AdrpoGrpoTrainerTestsAccess.HeldOut.Length, completions.Length);
    }
}
