using Adrpo.Embedded.TinyLanguage;

namespace Adrpo.Tests.Embedded.TinyLanguage;

[TestClass]
public sealed class TinyLanguageCorpusTests
{
    [TestMethod]
    public void GenerateIsDeterministicBySeed()
    {
        var prompts = TinyLanguageCorpus.Split().Train;
        var a = TinyLanguageCorpus.Generate(prompts, 300, seed: 4);
        var b = TinyLanguageCorpus.Generate(prompts, 300, seed: 4);
        var c = TinyLanguageCorpus.Generate(prompts, 300, seed: 5);
        CollectionAssert.AreEqual(a.ToList(), b.ToList());
        Assert.IsTrue(a.Zip(c).Count(p => p.First != p.Second) > 250, "another seed should give other turns");
    }

    [TestMethod]
    public void SplitIsDisjointAndEveryTopicIsInBothHalves()
    {
        var (train, test) = TinyLanguageCorpus.Split();
        Assert.AreEqual(120, train.Count);
        Assert.AreEqual(24, test.Count);
        Assert.AreEqual(0, train.Intersect(test).Count());
        CollectionAssert.AreEquivalent(TinyLanguageCorpus.AllPrompts.ToList(), train.Concat(test).ToList());
        for (int t = 0; t < TinyLanguageCorpus.TopicNames.Count; t++)
        {
            Assert.AreEqual(1, test.Count(p => TinyLanguageCorpus.TopicOf(p) == t), $"topic {TinyLanguageCorpus.TopicNames[t]}");
            Assert.AreEqual(5, train.Count(p => TinyLanguageCorpus.TopicOf(p) == t), $"topic {TinyLanguageCorpus.TopicNames[t]}");
        }
    }

    [TestMethod]
    public void PretrainingMixIsSkewedToCurtRepliesAndClassifyRecoversEveryStyle()
    {
        var turns = TinyLanguageCorpus.Generate(TinyLanguageCorpus.AllPrompts, 4000, seed: 1);
        double helpful = turns.Count(t => t.Style == ReplyStyle.Helpful) / (double)turns.Count;
        double curt = turns.Count(t => t.Style == ReplyStyle.Curt) / (double)turns.Count;
        Assert.AreEqual(0.3, helpful, 0.03);
        Assert.AreEqual(0.5, curt, 0.03);
        foreach (var turn in turns)
        {
            Assert.AreEqual(turn.Style, TinyLanguageCorpus.Classify(turn.Reply), turn.Reply);
            Assert.AreEqual(TinyLanguageCorpus.TopicOf(turn.Prompt), TinyLanguageCorpus.TopicOf(turn.Prompt.Replace("Tell me about", "How was", StringComparison.Ordinal)));
        }

        Assert.IsNull(TinyLanguageCorpus.Classify(""));
        Assert.AreEqual(1f, turns.Where(t => t.Style == ReplyStyle.Helpful).Max(t => t.Label));
        Assert.AreEqual(0f, turns.Where(t => t.Style == ReplyStyle.Curt).Max(t => t.Label));
    }

    [TestMethod]
    public void HelpfulRepliesTalkAboutThePromptsTopicAndOffTopicOnesDoNot()
    {
        var random = new Random(3);
        string prompt = "How was the concert?";
        for (int i = 0; i < 50; i++)
        {
            StringAssert.Contains(TinyLanguageCorpus.Reply(prompt, ReplyStyle.Helpful, random).Reply, "The concert was");
            Assert.IsFalse(TinyLanguageCorpus.Reply(prompt, ReplyStyle.OffTopic, random).Reply.Contains("The concert was", StringComparison.Ordinal));
        }

        Assert.ThrowsExactly<ArgumentException>(() => TinyLanguageCorpus.Reply("How was the spaceship?", ReplyStyle.Helpful, random));
    }
}
