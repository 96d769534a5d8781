using Adrpo.Advantages;
using Adrpo.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Adrpo.Tests.Advantages;

[TestClass]
public sealed class GroupAdvantagesTests
{
    private static Tensor Rewards(params double[] values) => tensor(values, dtype: ScalarType.Float64);

    [TestMethod]
    public void SubtractsEachPromptsMeanReward()
    {
        using var a = GroupAdvantages.Compute(Rewards(1, 2, 3, 10, 10, 13), groupSize: 3);
        TensorAssert.Close(a, new[] { -1.0, 0, 1, -1, -1, 2 });
    }

    [TestMethod]
    public void GroupScalingDividesByTheGroupsUnbiasedStandardDeviation()
    {
        using var a = GroupAdvantages.Compute(Rewards(1, 2, 3, 10, 10, 13), 3, AdvantageScaling.Group);
        double s2 = Math.Sqrt(3) + 1e-4; // deviations -1, -1, 2: variance 6 / 2
        TensorAssert.Close(a, new[] { -1 / 1.0001, 0, 1 / 1.0001, -1 / s2, -1 / s2, 2 / s2 }, 1e-9);
    }

    [TestMethod]
    public void BatchScalingDividesByTheStandardDeviationOfAllRewards()
    {
        using var a = GroupAdvantages.Compute(Rewards(1, 2, 3, 10, 10, 13), 3, AdvantageScaling.Batch);
        double std = Math.Sqrt(129.5 / 5) + 1e-4; // mean 6.5, squared deviations sum to 129.5
        TensorAssert.Close(a, new[] { -1 / std, 0, 1 / std, -1 / std, -1 / std, 2 / std }, 1e-9);
    }

    [TestMethod]
    public void RaggedGroupsAndSingletonsGiveFiniteAdvantages()
    {
        using var groups = tensor(new long[] { 0, 1, 0, 1, 2 });
        using var a = GroupAdvantages.Compute(Rewards(1, 5, 3, 9, 7), groups, AdvantageScaling.Group);
        double s = Math.Sqrt(2) + 1e-4; // groups {1,3} and {5,9}: deviations +-1 and +-2, std sqrt(2) and sqrt(8)
        double s8 = Math.Sqrt(8) + 1e-4;
        TensorAssert.Close(a, new[] { -1 / s, -2 / s8, 1 / s, 2 / s8, 0 }, 1e-9);
    }

    [TestMethod]
    public void ConstantGroupGivesZeroNotNaN()
    {
        using var a = GroupAdvantages.Compute(Rewards(4, 4, 4), 3, AdvantageScaling.Group);
        TensorAssert.Close(a, new[] { 0.0, 0, 0 });
    }

    [TestMethod]
    public void ClipBoundsAdvantages()
    {
        using var a = GroupAdvantages.Clip(Rewards(-3, -0.5, 0.2, 7), -1, 1);
        TensorAssert.Close(a, new[] { -1.0, -0.5, 0.2, 1 });
    }

    [TestMethod]
    public void BadInputsNameTheParameter()
    {
        using var r = Rewards(1, 2, 3, 4);
        Assert.AreEqual("groupSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GroupAdvantages.Compute(r, 0)).ParamName);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GroupAdvantages.Compute(r, 3)).Message, "not a multiple of groupSize 3");
        using var outOfRange = tensor(new long[] { 0, 1, 9, 1 });
        Assert.AreEqual("groupIndex", Assert.ThrowsExactly<ArgumentException>(() => GroupAdvantages.Compute(r, outOfRange)).ParamName);
        using var wrongLength = tensor(new long[] { 0, 1 });
        Assert.AreEqual("groupIndex", Assert.ThrowsExactly<ArgumentException>(() => GroupAdvantages.Compute(r, wrongLength)).ParamName);
        using var matrix = ones(2, 2);
        Assert.AreEqual("rewards", Assert.ThrowsExactly<ArgumentException>(() => GroupAdvantages.Compute(matrix, 2)).ParamName);
        Assert.AreEqual("minAdvantage", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GroupAdvantages.Clip(r, 1, -1)).ParamName);
    }
}
