using Adrpo.Embedded.Arithmetic;

namespace Adrpo.Tests.Embedded.Arithmetic;

[TestClass]
public sealed class ArithmeticAnswerTests
{
    [TestMethod]
    [DataRow("17 + 5 = 22, 22 - 8 = 14. Answer: 14", 14, true)]
    [DataRow("3 + 4 = 7. Answer: 7", 7, true)]
    [DataRow("  3 + 4 = 7. Answer: 7\n", 7, true)]
    [DataRow("3 + 4 = 8. Answer: 8", 8, true)]               // wrong arithmetic, still well formed
    [DataRow("Answer: 12", 12, false)]                        // an answer without working
    [DataRow("3 + 4 = 7.Answer:7", 7, false)]
    [DataRow("3 + 4 = 7. Answer: -3", -3, true)]
    public void AWellFormedOrLooseAnswerIsRead(string completion, int expected, bool wellFormed)
    {
        Assert.AreEqual(expected, ArithmeticAnswer.Extract(completion));
        Assert.AreEqual(wellFormed, ArithmeticAnswer.IsWellFormed(completion));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("3 + 4 = 7.")]
    [DataRow("3 + 4 = 7. Answer:")]
    [DataRow("3 + 4 = 7. Answer: seven")]
    [DataRow("3 + 4 = 7. Answer: 7 apples")]                  // something after the number
    [DataRow("Answer: 5. Answer: 7")]                         // two answers: ambiguous
    [DataRow("3 + 4 = 7. Answer: 99999999999")]               // does not fit
    public void AMalformedCompletionHasNoAnswer(string completion)
    {
        Assert.IsNull(ArithmeticAnswer.Extract(completion));
        Assert.IsFalse(ArithmeticAnswer.IsWellFormed(completion));
        Assert.AreEqual(0f, ArithmeticAnswer.Score(completion, 7));
    }

    [TestMethod]
    public void TheScoreIsOneOnlyForTheRightAnswer()
    {
        Assert.AreEqual(1f, ArithmeticAnswer.Score("17 + 5 = 22, 22 - 8 = 14. Answer: 14", 14));
        Assert.AreEqual(0f, ArithmeticAnswer.Score("17 + 5 = 22, 22 - 8 = 15. Answer: 15", 14));
        Assert.AreEqual(1f, ArithmeticAnswer.Score("Answer: 14", 14), "accuracy ignores the format; the format reward checks it");
        Assert.IsNull(ArithmeticAnswer.Extract(null));
        Assert.IsFalse(ArithmeticAnswer.IsWellFormed(null));
    }
}
