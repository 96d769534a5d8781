using System.Globalization;
using System.Text.RegularExpressions;
using Adrpo.Embedded.Arithmetic;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Embedded.Arithmetic;

[TestClass]
public sealed class ArithmeticProblemsTests
{
    [TestMethod]
    public void TheGeneratorIsDeterministicForASeedAndDiffersAcrossSeeds()
    {
        var a = ArithmeticProblems.Generate(300, seed: 11, heldOut: false).Select(p => p.Prompt + "|" + p.Solution).ToList();
        var b = ArithmeticProblems.Generate(300, seed: 11, heldOut: false).Select(p => p.Prompt + "|" + p.Solution).ToList();
        var c = ArithmeticProblems.Generate(300, seed: 12, heldOut: false).Select(p => p.Prompt + "|" + p.Solution).ToList();
        CollectionAssert.AreEqual(a, b);
        Assert.IsTrue(a.Zip(c).Count(x => x.First == x.Second) < 10, "another seed should give other problems");
        Assert.AreEqual(300, a.Distinct().Count(), "prompts within one call are distinct");
    }

    [TestMethod]
    public void TheFixedSplitNeverSharesAProblemOrASum()
    {
        var train = ArithmeticProblems.Train;
        var test = ArithmeticProblems.Test;
        Assert.AreEqual(2000, train.Count);
        Assert.AreEqual(500, test.Count);
        Assert.IsTrue(train.All(p => !ArithmeticProblems.IsHeldOut(p)) && test.All(ArithmeticProblems.IsHeldOut));
        Assert.IsFalse(train.Select(p => p.Prompt).Intersect(test.Select(p => p.Prompt)).Any(), "a prompt on both sides");
        Assert.IsFalse(train.Select(p => p.Expression).Intersect(test.Select(p => p.Expression)).Any(), "a sum on both sides");

        // The builder's pre-training corpus and validation set come from the same two sides.
        var corpusSums = ArithmeticProblems.Generate(20_000, seed: 2026, heldOut: false).Select(p => p.Expression).ToHashSet();
        Assert.IsFalse(test.Any(p => corpusSums.Contains(p.Expression)));
        double heldOutShare = test.Select(p => p.Expression).Distinct().Count() / (double)(test.Select(p => p.Expression).Distinct().Count() + corpusSums.Count);
        Assert.IsTrue(heldOutShare > 0.02, $"held-out sums {heldOutShare:P1} of all");
    }

    [TestMethod]
    public void AnswersAndSolutionsRecomputeFromTheStructuredProblemAndFromThePromptText()
    {
        var random = new Random(3);
        int threeNumbers = 0;
        for (int i = 0; i < 2000; i++)
        {
            var p = ArithmeticProblems.Next(random);
            Assert.IsTrue(p.Changes.Count is 1 or 2);
            threeNumbers += p.Changes.Count - 1;
            Assert.IsTrue(p.Start is >= 1 and <= 20 && p.Changes.All(c => c != 0 && Math.Abs(c) <= 20), p.Expression);
            int total = p.Start;
            foreach (int change in p.Changes)
            {
                total += change;
                Assert.IsTrue(total >= 0, $"a running total below zero: {p.Expression}");
            }

            Assert.AreEqual(total, p.Answer);

            // Independently of the record: read the numbers back from the words and apply each verb's sign.
            var words = Regex.Matches(p.Prompt, @"(has|with|buys|finds|gets|given|away|loses|sells|gives) (\d+)");
            int fromText = 0;
            foreach (Match m in words)
            {
                int n = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                fromText += m.Groups[1].Value is "away" or "loses" or "sells" or "gives" ? -n : n;
            }

            Assert.AreEqual(p.Changes.Count + 1, words.Count, p.Prompt);
            Assert.AreEqual(p.Answer, fromText, p.Prompt);
            Assert.AreEqual(p.Answer, ArithmeticAnswer.Extract(p.Solution), p.Solution);
            Assert.IsTrue(ArithmeticAnswer.IsWellFormed(p.Solution), p.Solution);
        }

        Assert.IsTrue(threeNumbers is > 800 and < 1200, $"{threeNumbers} of 2000 with three numbers");
    }

    [TestMethod]
    public void AHandBuiltProblemReadsAsExpected()
    {
        var p = new ArithmeticProblem(17, new[] { 5, -8 }, Name: 0, Item: 0, Template: 0, Gain: new[] { 0, 0 }, Loss: new[] { 0, 0 });
        Assert.AreEqual("Tom has 17 apples and buys 5 more, then gives away 8. How many apples does he have?", p.Prompt);
        Assert.AreEqual("17 + 5 = 22, 22 - 8 = 14. Answer: 14", p.Solution);
        Assert.AreEqual("17 + 5 - 8", p.Expression);
        Assert.AreEqual(14, p.Answer);
    }

    [TestMethod]
    public void TheDataViewsHavePromptAndAnswerTextColumns()
    {
        var context = new MLContext(seed: 1);
        var view = EmbeddedArithmetic.LoadTestData(context);
        var prompts = view.GetColumn<string>("Prompt").ToList();
        var answers = view.GetColumn<string>("Answer").ToList();
        CollectionAssert.AreEqual(ArithmeticProblems.Test.Select(p => p.Prompt).ToList(), prompts);
        CollectionAssert.AreEqual(ArithmeticProblems.Test.Select(p => p.Answer.ToString(CultureInfo.InvariantCulture)).ToList(), answers);
        Assert.AreEqual(2000, EmbeddedArithmetic.LoadTrainData(context).GetColumn<string>("Answer").Count());
    }
}
