using Adrpo.Training;

namespace Adrpo.Tests.Training;

[TestClass]
public sealed class ConsoleProgressBarTests
{
    [TestMethod]
    public void RedirectedOutputGetsOnePlainLinePerTenthAndTheFinalStatus()
    {
        var output = new StringWriter();
        using (var bar = new ConsoleProgressBar("fine-tuning", 20, output, interactive: false))
        {
            var progress = bar.For<int>(i => (i, $"iteration {i}"));
            for (int i = 1; i <= 20; i++)
            {
                progress.Report(i);
            }

            bar.Report(20, "done: reward 0.9");
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.IsFalse(output.ToString().Contains('\r'), "no carriage returns in a log");
        // The first unit of work, then 10%, 20%, ..., 100%, then the changed final status.
        Assert.AreEqual(12, lines.Length, string.Join(" | ", lines));
        StringAssert.StartsWith(lines[0], "fine-tuning: 1/20 (5%)");
        StringAssert.Contains(lines[1], "iteration 2");
        StringAssert.StartsWith(lines[10], "fine-tuning: 20/20 (100%)");
        StringAssert.Contains(lines[11], "done: reward 0.9");
        CollectionAssert.AreEqual(
            new[] { "1/20", "2/20", "4/20", "6/20", "8/20", "10/20", "12/20", "14/20", "16/20", "18/20", "20/20", "20/20" },
            lines.Select(l => l.Split(':')[1].Trim().Split(' ')[0]).ToList(), "in order");
    }

    [TestMethod]
    public void ATerminalGetsOneLineRedrawnInPlaceAndANewLineAtTheEnd()
    {
        var output = new StringWriter();
        using (var bar = new ConsoleProgressBar("eval", 4, output, interactive: true))
        {
            bar.Report(4, "reward 0.5");
        }

        string text = output.ToString();
        Assert.IsTrue(text.StartsWith('\r'), text);
        StringAssert.Contains(text, "eval [########################] 4/4");
        StringAssert.Contains(text, "reward 0.5");
        Assert.IsTrue(text.EndsWith(Environment.NewLine), "the bar's line is ended when it is disposed");
        Assert.AreEqual(1, text.Split(Environment.NewLine).Length - 1, "exactly one line break");
    }
}
