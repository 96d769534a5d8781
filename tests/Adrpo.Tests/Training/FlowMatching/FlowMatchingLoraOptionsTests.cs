using Adrpo.Text;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;

namespace Adrpo.Tests.Training.FlowMatching;

/// <summary>The LoRA options now shared by both trainers (issue 15): rank 8 stays the flow-matching default, target
/// modules reach the generator, and LoRA dropout, which the flow-matching trainer does not apply, is refused.</summary>
[TestClass]
public sealed class FlowMatchingLoraOptionsTests
{
    private static AdrpoFlowMatchingTrainer.Options TinyOptions(MLContext context) => new()
    {
        Generator = PretrainedTinyDit(),
        TextEncoder = new HashingTextEncoder(),
        RewardModels = { RednessReward(context) },
        Iterations = 1,
        SamplesPerPrompt = 2,
        PromptsPerIteration = 2,
        OdeSteps = 2,
        LoraRank = 4,
        Seed = 5,
    };

    [TestMethod]
    public void DefaultsAreUnchangedAndTargetModulesReachTheGenerator()
    {
        var defaults = new AdrpoFlowMatchingTrainer.Options();
        Assert.AreEqual(8, defaults.LoraRank);
        Assert.AreEqual(16.0, defaults.LoraAlpha);
        Assert.AreEqual(0, new Adrpo.Training.Language.AdrpoGrpoTrainer.Options().LoraRank, "the language model trains fully by default");

        var context = new MLContext(seed: 1);
        var options = TinyOptions(context);
        options.LoraTargetModules.Add("attn.qkv");
        var generator = (Adrpo.Models.Dit.DitVelocityModel)options.Generator!;
        context.FineTuning().AdrpoFlowMatching(options).Fit(Prompts(context, TrainPrompts));
        var adapted = generator.named_modules().Where(m => m.module is Adrpo.Models.Lora.LoraLinear).Select(m => m.name).ToList();
        Assert.IsTrue(adapted.Count > 0 && adapted.All(n => n.EndsWith(".attn.qkv", StringComparison.Ordinal)), string.Join(", ", adapted));
    }

    [TestMethod]
    public void LoraDropoutIsRefused()
    {
        var context = new MLContext(seed: 1);
        var options = TinyOptions(context);
        options.LoraDropout = 0.1;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoFlowMatching(options));
        StringAssert.Contains(error.Message, "Option LoraDropout is 0.1");
    }
}
