using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.Tests.Runs;

[TestClass]
public sealed class RunSpecTests
{
    [TestMethod]
    public void EveryMethodAndThePreTrainedModelRunOncePerSeedWithTheSameBudget()
    {
        var profile = ReproductionProfile.Quick;
        var runs = RunSpec.All(profile, [RunSpec.FlowTask, RunSpec.LanguageTask]);
        int seeds = profile.Seeds.Length;
        Assert.AreEqual(seeds * 5, runs.Count(r => r.Task == RunSpec.FlowTask), "pre-trained + ADRPO, ORW-CFM-W2, RAFT, DPO");
        Assert.AreEqual(seeds * 3, runs.Count(r => r.Task == RunSpec.LanguageTask), "pre-trained + ADRPO-GRPO, GRPO");
        Assert.AreEqual(runs.Count, runs.Select(r => r.Name).Distinct().Count(), "one file name per run");
        foreach (string method in new[] { RunSpec.PreTrained, "ADRPO", "ORW-CFM-W2", "RAFT", "DPO" })
        {
            CollectionAssert.AreEquivalent(profile.Seeds, runs.Where(r => r.Task == RunSpec.FlowTask && r.Method == method).Select(r => r.Seed).ToArray(), method);
        }

        Assert.AreEqual(seeds * 5, RunSpec.All(profile, [RunSpec.FlowTask]).Count, "one task alone");
    }

    [TestMethod]
    public void QuickProfileIsSizedForTheThirtyMinuteBudgetAndUnknownNamesAreRejected()
    {
        Assert.AreSame(ReproductionProfile.Quick, ReproductionProfile.Named("quick"));
        Assert.IsLessThanOrEqualTo(30, ReproductionProfile.Quick.ExpectedMinutes);
        var error = Assert.ThrowsExactly<ArgumentException>(() => ReproductionProfile.Named("long"));
        StringAssert.Contains(error.Message, "'long' is unknown; expected quick, full or smoke");
    }
}
