using Adrpo.Reproduction.Results;
using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.Tests.Results;

[TestClass]
public sealed class StudyDataTests
{
    private static EvaluationPoint Point(string method, int seed, int iteration, double reward) =>
        new(RunSpec.FlowTask, method, seed, iteration, reward, 10 + reward, iteration * 0.001, double.NaN, double.NaN, double.NaN, iteration);

    private static readonly StudyData Data = new(
    [
        Point(RunSpec.PreTrained, 1, 0, 0.10), Point(RunSpec.PreTrained, 2, 0, 0.20),
        Point("ADRPO", 1, 10, 0.30), Point("ADRPO", 1, 20, 0.50), Point("ADRPO", 2, 10, 0.40), Point("ADRPO", 2, 20, 0.60),
        Point("RAFT", 1, 10, 0.05), Point("RAFT", 1, 20, 0.01),
    ]);

    [TestMethod]
    public void EachMethodsTrajectoryStartsAtThePreTrainedModelOfItsSeeds()
    {
        var trajectory = Data.Trajectory(RunSpec.FlowTask, "ADRPO", p => p.Reward);
        CollectionAssert.AreEqual(new[] { 0, 10, 20 }, trajectory.Select(t => t.Iteration).ToArray());
        Assert.AreEqual(0.15, trajectory[0].Mean, 1e-12);
        Assert.AreEqual(0.35, trajectory[1].Mean, 1e-12);
        Assert.AreEqual(0.55, trajectory[2].Mean, 1e-12);

        // RAFT ran seed 1 only, so only seed 1's pre-trained point starts its trajectory.
        Assert.AreEqual(0.10, Data.Trajectory(RunSpec.FlowTask, "RAFT", p => p.Reward)[0].Mean, 1e-12);
    }

    [TestMethod]
    public void FinalIsEachSeedsLastEvaluationAndMethodsKeepTheCanonicalOrder()
    {
        var final = Data.Final(RunSpec.FlowTask, "ADRPO");
        Assert.AreEqual(0.50, final[1].Reward);
        Assert.AreEqual(0.60, final[2].Reward);
        CollectionAssert.AreEqual(new[] { "ADRPO", "RAFT" }, Data.Methods(RunSpec.FlowTask, ["ADRPO", "ORW-CFM-W2", "RAFT", "DPO"]).ToArray());
        Assert.AreEqual(2, Data.PreTrained(RunSpec.FlowTask).Count);
    }
}
