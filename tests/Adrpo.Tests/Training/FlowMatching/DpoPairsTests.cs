using Adrpo.Rewards;
using Adrpo.Sampling;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Microsoft.ML;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.FlowMatching;

[TestClass]
public sealed class DpoPairsTests
{
    [TestMethod]
    public void PairsComeFromDistinctRandomPromptsAndThePreferredSampleScoresHigher()
    {
        var context = new MLContext(seed: 1);
        using var model = PretrainedTinyDit();
        model.AddLoraAdapters(2, 4, null, new Generator(3));
        var encoder = new HashingTextEncoder();
        string[] prompts = TrainPrompts.Concat(TestPrompts).ToArray();   // 6 prompts with distinct embeddings
        var conditions = encoder.Encode(prompts);
        var rewards = new RewardScorer(context, new[] { RednessReward(context) }, RewardSampleColumn.Vector("Image", model.SampleShape.Select(d => (int)d).ToArray()));
        var sampler = new FlowMatchingSampler(model, OdeSolver.Euler, 4, 1.0);

        // 4 of the 6 prompts, 3 per sampling pass (so one full and one partial pass).
        var pairs = DpoPairs.FromReference(model, sampler, conditions, prompts, rewards, samplesPerPrompt: 4, pairPrompts: 4, promptsPerPass: 3, new Generator(11));

        Assert.IsTrue(pairs.Count is >= 1 and <= 4, $"at most one pair per chosen prompt, got {pairs.Count}");
        var rows = Enumerable.Range(0, (int)pairs.Count).Select(i => Enumerable.Range(0, prompts.Length).FirstOrDefault(r => conditions[r].eq(pairs.Conditions[i]).all().item<bool>(), -1)).ToList();
        Assert.IsTrue(rows.All(r => r >= 0), "every pair's condition is one of the prompts' embeddings");
        Assert.AreEqual(rows.Count, rows.Distinct().Count(), "distinct prompts (drawn without replacement)");
        float Redness(Tensor image) => MeanRedness(new[] { image.flatten().data<float>().ToArray() });
        for (int i = 0; i < pairs.Count; i++)
        {
            Assert.IsGreaterThan(Redness(pairs.Lose[i]), Redness(pairs.Win[i]), $"pair {i}: the preferred sample has the higher reward");
        }

        Assert.IsTrue(model.AdaptersEnabled, "adapters are switched back on after sampling the reference");
    }

    [TestMethod]
    public void DefaultPairPromptsMatchTheOnlineSampleBudget()
    {
        var options = new AdrpoFlowMatchingTrainer.Options { Iterations = 10, PromptsPerIteration = 4 };
        Assert.AreEqual(40, options.ResolvedDpoPairPrompts(900), "Iterations x PromptsPerIteration prompts, as many samples as the online methods draw");
        Assert.AreEqual(25, options.ResolvedDpoPairPrompts(25), "never more than the prompts there are");
        options.DpoPairPrompts = 7;
        Assert.AreEqual(7, options.ResolvedDpoPairPrompts(900));
    }
}
