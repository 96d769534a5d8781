using Adrpo.Reproduction.GenEval;

namespace Adrpo.Reproduction.Tests.GenEval;

[TestClass]
public sealed class GenEvalStudyTests
{
    [TestMethod]
    public void RatesGivenPerMethodAreReadInOrder()
    {
        var rates = GenEvalStudy.ParseRates("ADRPO=1e-3,Flow-GRPO=3e-3,DPO=0.0005");
        CollectionAssert.AreEqual(new[] { "ADRPO", "Flow-GRPO", "DPO" }, rates.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { 1e-3, 3e-3, 5e-4 }, rates.Values.ToArray());
    }

    [TestMethod]
    [DataRow("ADRPO", "METHOD=RATE")]
    [DataRow("ADRPO=", "METHOD=RATE")]
    [DataRow("ADRPO=0", "positive")]
    [DataRow("ADRPO=-1e-3", "positive")]
    [DataRow("ADRPO=1e-3=2", "METHOD=RATE")]
    [DataRow("ADRPO=1e-3,ADRPO=3e-3", "ADRPO twice")]
    [DataRow("PPO=1e-3", "Flow-GRPO")]
    public void BadRatesAreRejectedSayingWhatWasExpected(string value, string expected)
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => GenEvalStudy.ParseRates(value));
        StringAssert.Contains(error.Message, expected);
    }
}
