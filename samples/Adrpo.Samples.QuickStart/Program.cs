// Adrpo quick start: ADRPO (eq. 6) versus ORW-CFM-W2 on an embedded 2-D conditional flow-matching task.
// 1. Pre-train a conditional velocity field on two-mode data per prompt (conditional flow matching).
// 2. Fine-tune it online (Algorithm 1): sample from the current policy, score, group advantages, then
//    minimise ADRPO's loss (adaptive W2) or ORW-CFM-W2's loss (reward weights, fixed W2).
// 3. Print reward, diversity and W2 distance to the reference before and after; write metrics as CSV.
using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Regularization;
using Adrpo.Samples.QuickStart;
using Microsoft.Data.Analysis;
using TorchSharp;
using static TorchSharp.torch;

const int Seed = 2026, Hidden = 64, OdeSteps = 16, PerPrompt = 16, EvalPerPrompt = 128, Iterations = 150;
torch.set_num_threads(Math.Max(1, Math.Min(Environment.ProcessorCount, 2)));
string outputDir = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("artifacts", "quickstart"));
Directory.CreateDirectory(outputDir);
var clock = Stopwatch.StartNew();

var reference = Pretrain(Seed);
var evalPrompts = arange(ToyPrompts.Count, dtype: ScalarType.Int64).repeat_interleave(EvalPerPrompt);
var baseMetrics = Evaluate(reference, reference, evalPrompts, new Generator(Seed + 1));
Console.WriteLine($"Pre-trained reference in {clock.Elapsed.TotalSeconds:F1} s: reward {baseMetrics.Reward:F3}, diversity {baseMetrics.Diversity:F3}");

var log = new List<(string Method, int Iteration, double Reward, double Diversity, double W2, double Loss)>();
var finals = new Dictionary<string, Metrics>();
foreach (string method in new[] { "ADRPO", "ORW-CFM-W2" })
{
    var policy = Pretrain(Seed); // same weights as the reference, trained again from the same seed
    var optimizer = optim.Adam(policy.parameters(), 1e-3);
    var sampling = new Generator(Seed + 2);
    var coefficient = AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults;
    for (int iteration = 1; iteration <= Iterations; iteration++)
    {
        using var step = NewDisposeScope();
        var prompts = arange(ToyPrompts.Count, dtype: ScalarType.Int64).repeat_interleave(PerPrompt);
        var x1 = policy.Sample(prompts, OdeSteps, sampling);                     // online samples (line 4)
        var rewards = ToyPrompts.Reward(x1, prompts);                             // line 6
        var x0 = randn(x1.shape, generator: sampling);
        var t = rand(new long[] { x1.shape[0] }, generator: sampling);            // line 7
        var xt = FlowMatchingPath.Interpolate(x0, x1, t);                         // line 8
        var u = FlowMatchingPath.TargetVelocity(x0, x1);                          // line 9
        Tensor vRef;
        using (no_grad())
        {
            vRef = reference.forward(xt, t, prompts);
        }

        var v = policy.forward(xt, t, prompts);
        FlowMatchingLossOutput loss;
        if (method == "ADRPO")
        {
            var advantages = GroupAdvantages.Clip(GroupAdvantages.Compute(rewards, PerPrompt), coefficient.MinAdvantage, coefficient.MaxAdvantage);
            loss = AdrpoFlowMatchingLoss.Compute(v, u, vRef, advantages, coefficient.Compute(advantages));   // eq. 6
        }
        else
        {
            loss = OrwCfmW2Loss.Compute(v, u, vRef, rewards);
        }

        optimizer.zero_grad();
        loss.Loss.backward();
        nn.utils.clip_grad_norm_(policy.parameters(), 1.0);
        optimizer.step();

        if (iteration % 25 == 0 || iteration == Iterations)
        {
            var m = Evaluate(policy, reference, evalPrompts, new Generator(Seed + 1));
            log.Add((method, iteration, m.Reward, m.Diversity, m.W2, loss.Loss.item<float>()));
            Console.WriteLine($"  {method,-10} iteration {iteration,3}/{Iterations}: reward {m.Reward:F3}, diversity {m.Diversity:F3}, W2 {m.W2:F4}");
            finals[method] = m;
        }
    }
}

Console.WriteLine();
Console.WriteLine("| model      | reward | diversity | W2 to reference |");
Console.WriteLine("|------------|--------|-----------|-----------------|");
Console.WriteLine($"| reference  | {baseMetrics.Reward,6:F3} | {baseMetrics.Diversity,9:F3} | {0,15:F4} |");
foreach (var (method, m) in finals)
{
    Console.WriteLine($"| {method,-10} | {m.Reward,6:F3} | {m.Diversity,9:F3} | {m.W2,15:F4} |");
}

var frame = new DataFrame(
    new StringDataFrameColumn("method", log.Select(r => r.Method)),
    new Int32DataFrameColumn("iteration", log.Select(r => r.Iteration)),
    new DoubleDataFrameColumn("reward", log.Select(r => r.Reward)),
    new DoubleDataFrameColumn("diversity", log.Select(r => r.Diversity)),
    new DoubleDataFrameColumn("w2", log.Select(r => r.W2)),
    new DoubleDataFrameColumn("loss", log.Select(r => r.Loss)));
string csv = Path.Combine(outputDir, "metrics.csv");
string temp = csv + ".tmp";
DataFrame.SaveCsv(frame, temp);
File.Move(temp, csv, overwrite: true); // never leave a half-written CSV
Console.WriteLine($"\nMetrics: {csv}\nTotal time: {clock.Elapsed.TotalSeconds:F1} s");

static VelocityMlp Pretrain(int seed)
{
    var generator = new Generator((ulong)seed);
    var model = new VelocityMlp(ToyPrompts.Count, Hidden, generator);
    var optimizer = optim.Adam(model.parameters(), 3e-3);
    for (int step = 0; step < 1500; step++)
    {
        using var scope = NewDisposeScope();
        var prompts = randint(0, ToyPrompts.Count, new long[] { 256 }, generator: generator);
        var x1 = ToyPrompts.Data(prompts, generator);
        var x0 = randn(x1.shape, generator: generator);
        var t = rand(new long[] { 256 }, generator: generator);
        var v = model.forward(FlowMatchingPath.Interpolate(x0, x1, t), t, prompts);
        var loss = VelocityError.PerSample(v, FlowMatchingPath.TargetVelocity(x0, x1)).mean();   // eq. 5
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }

    return model;
}

static Metrics Evaluate(VelocityMlp policy, VelocityMlp reference, Tensor prompts, Generator generator)
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    var x = policy.Sample(prompts, OdeSteps, generator);
    double reward = ToyPrompts.Reward(x, prompts).mean().item<float>();
    double diversity = ToyPrompts.Diversity(x, EvalPerPrompt);
    var t = rand(new long[] { prompts.shape[0] }, generator: generator);
    var xt = FlowMatchingPath.Interpolate(randn(x.shape, generator: generator), x, t);
    double w2 = VelocityError.PerSample(policy.forward(xt, t, prompts), reference.forward(xt, t, prompts)).mean().item<float>();
    return new Metrics(reward, diversity, w2);
}

internal sealed record Metrics(double Reward, double Diversity, double W2);
