using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Losses.Language;
using Adrpo.Regularization;
using Adrpo.Sampling;
using Adrpo.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Reference;

/// <summary>
/// Every loss, intermediate and gradient against Reference/adrpo_reference.py, an independent implementation
/// in Debian's PyTorch (python3-torch, run by /usr/bin/python3), on the same random float64 inputs.
/// </summary>
[TestClass]
public sealed class PythonReferenceTests
{
    private const string Python = "/usr/bin/python3";
    private const int Batch = 6, GroupSize = 3, Tokens = 7, Vocab = 11;
    private const double Temperature = 0.8, EpsLow = 0.2, EpsHigh = 0.28, Beta0 = 0.04, AMin = -0.04, AMax = 0.04, FixedBeta = 0.04;
    private const long MaxCompletionLength = 8;
    private const double GlobalTokenCount = 40;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void LossesAndGradientsMatchIndependentPyTorchImplementation()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(20261126);
        var inputs = new Dictionary<string, object>();
        var ours = new Dictionary<string, Tensor>();

        AddLanguageCase(gen, inputs, ours);
        AddDpoCase(gen, inputs, ours);
        AddFlowCase(gen, inputs, ours);
        AddFlowGrpoCase(gen, inputs, ours);

        string dir = Path.Combine(Path.GetTempPath(), "adrpo-reference-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string input = Path.Combine(dir, "input.json"), output = Path.Combine(dir, "output.json");
            TensorJson.Write(input, inputs);
            RunReference(input, output);
            var expected = TensorJson.Read(output);

            CollectionAssert.AreEquivalent(expected.Keys.ToArray(), ours.Keys.ToArray(), "the C# side and the reference compute the same quantities");
            double worst = 0;
            string worstName = "";
            foreach (var (name, (shape, data)) in expected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                double rel = TensorAssert.Close(name, ours[name], shape, data);
                TestContext.WriteLine($"{name,-24} {TensorAssert_Format(shape),-14} max relative difference {rel:E2}");
                if (rel > worst)
                {
                    worst = rel;
                    worstName = name;
                }
            }

            TestContext.WriteLine($"Compared {expected.Count} quantities; largest relative difference {worst:E2} ({worstName}).");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string TensorAssert_Format(long[] shape) => "[" + string.Join(",", shape) + "]";

    private static void AddLanguageCase(Generator gen, Dictionary<string, object> inputs, Dictionary<string, Tensor> ours)
    {
        var logits = randn(new long[] { Batch, Tokens, Vocab }, dtype: ScalarType.Float64, generator: gen) * 2;
        var ids = randint(0, Vocab, new long[] { Batch, Tokens }, generator: gen);
        // Completion tokens start after a 2-token prompt; sequences end at different lengths (padding after).
        var maskData = new double[Batch * (Tokens - 1)];
        for (int b = 0; b < Batch; b++)
        {
            int length = 2 + (b % 4);
            for (int t = 1; t < 1 + length && t < Tokens - 1; t++)
            {
                maskData[(b * (Tokens - 1)) + t] = 1;
            }
        }

        var mask = tensor(maskData, new long[] { Batch, Tokens - 1 }, dtype: ScalarType.Float64);
        var rewards = randn(new long[] { Batch }, dtype: ScalarType.Float64, generator: gen);
        Tensor logp;
        using (no_grad())
        {
            logp = TokenLogProbs.FromLogits(logits, ids, Temperature);
        }

        var oldLogp = logp + (randn(logp.shape, dtype: ScalarType.Float64, generator: gen) * 0.3);
        var refLogp = logp + (randn(logp.shape, dtype: ScalarType.Float64, generator: gen) * 0.5);

        inputs["logits"] = logits;
        inputs["input_ids"] = ids;
        inputs["mask"] = mask;
        inputs["old_logp"] = oldLogp;
        inputs["ref_logp"] = refLogp;
        inputs["rewards"] = rewards;
        inputs["group_size"] = GroupSize;
        inputs["temperature"] = Temperature;
        inputs["beta0"] = Beta0;
        inputs["a_min"] = AMin;
        inputs["a_max"] = AMax;
        inputs["fixed_beta"] = FixedBeta;
        inputs["eps_low"] = EpsLow;
        inputs["eps_high"] = EpsHigh;
        inputs["max_completion_length"] = (double)MaxCompletionLength;
        inputs["global_token_count"] = GlobalTokenCount;

        ours["adv_none"] = GroupAdvantages.Compute(rewards, GroupSize, AdvantageScaling.None);
        ours["adv_group"] = GroupAdvantages.Compute(rewards, GroupSize, AdvantageScaling.Group);
        ours["adv_batch"] = GroupAdvantages.Compute(rewards, GroupSize, AdvantageScaling.Batch);
        var advantages = ours["adv_group"];
        var betas = new Dictionary<string, Tensor>
        {
            ["adaptive"] = new AdaptiveDivergenceCoefficient(Beta0, AMin, AMax).Compute(advantages),
            ["fixed"] = new FixedDivergenceCoefficient(FixedBeta).Compute(advantages),
        };
        ours["beta_adaptive"] = betas["adaptive"];
        ours["token_logp"] = logp;
        ours["token_entropy"] = TokenEntropy.FromLogits(logits, Temperature);
        ours["token_kl"] = KlEstimator.K3(logp, refLogp);

        var modes = new Dictionary<string, LossAggregation>
        {
            ["grpo"] = LossAggregation.Grpo,
            ["bnpo"] = LossAggregation.Bnpo,
            ["dr_grpo"] = LossAggregation.DrGrpo,
            ["dapo"] = LossAggregation.Dapo,
        };
        foreach (var (modeName, mode) in modes)
        {
            foreach (var (betaName, beta) in betas)
            {
                var leaf = logits.detach().clone().requires_grad_(true);
                var settings = new GrpoLossSettings
                {
                    EpsilonLow = EpsLow,
                    EpsilonHigh = EpsHigh,
                    Aggregation = mode,
                    MaxCompletionLength = MaxCompletionLength,
                    GlobalTokenCount = GlobalTokenCount,
                };
                var output = GrpoLoss.Compute(TokenLogProbs.FromLogits(leaf, ids, Temperature), oldLogp, refLogp, advantages, beta, mask, settings);
                output.Loss.backward();
                ours[$"loss_{modeName}_{betaName}"] = output.Loss.reshape(1);
                ours[$"grad_{modeName}_{betaName}"] = leaf.grad!;
            }
        }
    }

    private static void AddDpoCase(Generator gen, Dictionary<string, object> inputs, Dictionary<string, Tensor> ours)
    {
        const int pairs = 5;
        const double beta = 0.1, smoothing = 0.1;
        var chosen = randn(new long[] { pairs }, dtype: ScalarType.Float64, generator: gen) * 5 - 20;
        var rejected = randn(new long[] { pairs }, dtype: ScalarType.Float64, generator: gen) * 5 - 20;
        var refChosen = chosen + randn(new long[] { pairs }, dtype: ScalarType.Float64, generator: gen);
        var refRejected = rejected + randn(new long[] { pairs }, dtype: ScalarType.Float64, generator: gen);
        inputs["chosen"] = chosen;
        inputs["rejected"] = rejected;
        inputs["ref_chosen"] = refChosen;
        inputs["ref_rejected"] = refRejected;
        inputs["dpo_beta"] = beta;
        inputs["label_smoothing"] = smoothing;

        var c = chosen.detach().clone().requires_grad_(true);
        var r = rejected.detach().clone().requires_grad_(true);
        var (loss, _) = DpoLoss.Sigmoid(c, r, refChosen, refRejected, beta, smoothing);
        loss.backward();
        ours["dpo_loss"] = loss.reshape(1);
        ours["dpo_grad_chosen"] = c.grad!;
        ours["dpo_grad_rejected"] = r.grad!;
    }

    private static void AddFlowCase(Generator gen, Dictionary<string, object> inputs, Dictionary<string, Tensor> ours)
    {
        const int n = 8, g = 4;
        const double tau = 0.5, alpha = 1.0, fraction = 0.5, dpoBeta = 50, beta0 = 1.0, aMin = -1.0, aMax = 1.0;
        long[] shape = { n, 3, 4, 4 };
        var x0 = randn(shape, dtype: ScalarType.Float64, generator: gen);
        var x1 = randn(shape, dtype: ScalarType.Float64, generator: gen);
        var t = rand(new long[] { n }, dtype: ScalarType.Float64, generator: gen);
        var v = randn(shape, dtype: ScalarType.Float64, generator: gen);
        var vRef = v + (randn(shape, dtype: ScalarType.Float64, generator: gen) * 0.3);
        // Rewards spread wider than the clip range so clipping is exercised.
        var rewards = randn(new long[] { n }, dtype: ScalarType.Float64, generator: gen) * 1.5;
        long[] pairShape = { 3, 3, 4, 4 };
        var vWin = randn(pairShape, dtype: ScalarType.Float64, generator: gen);
        var uWin = randn(pairShape, dtype: ScalarType.Float64, generator: gen);
        var vRefWin = vWin + (randn(pairShape, dtype: ScalarType.Float64, generator: gen) * 0.2);
        var vLose = randn(pairShape, dtype: ScalarType.Float64, generator: gen);
        var uLose = randn(pairShape, dtype: ScalarType.Float64, generator: gen);
        var vRefLose = vLose + (randn(pairShape, dtype: ScalarType.Float64, generator: gen) * 0.2);

        inputs["x0"] = x0;
        inputs["x1"] = x1;
        inputs["t"] = t;
        inputs["v"] = v;
        inputs["v_ref"] = vRef;
        inputs["fm_rewards"] = rewards;
        inputs["fm_group_size"] = g;
        inputs["fm_beta0"] = beta0;
        inputs["fm_a_min"] = aMin;
        inputs["fm_a_max"] = aMax;
        inputs["tau"] = tau;
        inputs["alpha"] = alpha;
        inputs["raft_fraction"] = fraction;
        inputs["fm_dpo_beta"] = dpoBeta;
        inputs["v_win"] = vWin;
        inputs["u_win"] = uWin;
        inputs["v_ref_win"] = vRefWin;
        inputs["v_lose"] = vLose;
        inputs["u_lose"] = uLose;
        inputs["v_ref_lose"] = vRefLose;

        ours["xt"] = FlowMatchingPath.Interpolate(x0, x1, t);
        var u = FlowMatchingPath.TargetVelocity(x0, x1);
        ours["u"] = u;
        var adv = GroupAdvantages.Clip(GroupAdvantages.Compute(rewards, g), aMin, aMax);
        var beta = new AdaptiveDivergenceCoefficient(beta0, aMin, aMax).Compute(adv);
        ours["fm_adv"] = adv;
        ours["fm_beta"] = beta;

        var leaf = v.detach().clone().requires_grad_(true);
        var adrpo = AdrpoFlowMatchingLoss.Compute(leaf, u, vRef, adv, beta);
        adrpo.Loss.backward();
        ours["adrpo_loss"] = adrpo.Loss.reshape(1);
        ours["adrpo_grad"] = leaf.grad!;

        ours["orw_weights"] = OrwCfmW2Loss.Weights(rewards, tau);
        leaf = v.detach().clone().requires_grad_(true);
        var orw = OrwCfmW2Loss.Compute(leaf, u, vRef, rewards, tau, alpha);
        orw.Loss.backward();
        ours["orw_loss"] = orw.Loss.reshape(1);
        ours["orw_grad"] = leaf.grad!;

        var keep = RaftLoss.SelectTop(rewards, g, fraction);
        ours["raft_keep"] = keep;
        leaf = v.detach().clone().requires_grad_(true);
        var raft = RaftLoss.Compute(leaf, u, keep);
        raft.Loss.backward();
        ours["raft_loss"] = raft.Loss.reshape(1);
        ours["raft_grad"] = leaf.grad!;

        var w = vWin.detach().clone().requires_grad_(true);
        var l = vLose.detach().clone().requires_grad_(true);
        var (dpoLoss, _) = FlowMatchingDpoLoss.Compute(w, uWin, vRefWin, l, uLose, vRefLose, dpoBeta);
        dpoLoss.backward();
        ours["fmdpo_loss"] = dpoLoss.reshape(1);
        ours["fmdpo_grad_win"] = w.grad!;
        ours["fmdpo_grad_lose"] = l.grad!;
    }

    private static void AddFlowGrpoCase(Generator gen, Dictionary<string, object> inputs, Dictionary<string, Tensor> ours)
    {
        // One SDE step per sample at assorted times on a grid of h = 1/5, t = 0 included (its clamped noise level);
        // recorded old log-probabilities off by up to ~0.1 and a clip range of 0.05, so some ratios are clipped.
        const int n = 6;
        const double h = 0.2, a = 0.7, clip = 0.05, beta = 0.04;
        long[] shape = { n, 2, 3, 3 };
        var x = randn(shape, dtype: ScalarType.Float64, generator: gen);
        var v = randn(shape, dtype: ScalarType.Float64, generator: gen);
        var vRef = v + (randn(shape, dtype: ScalarType.Float64, generator: gen) * 0.3);
        var t = tensor(new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 0.0 }, dtype: ScalarType.Float64);
        var std = FlowSdeStep.Std(t, h, a);
        var mean = FlowSdeStep.Mean(x, v, t, h, a);
        var next = mean + (randn(shape, dtype: ScalarType.Float64, generator: gen) * std.reshape(n, 1, 1, 1));
        var oldLogp = FlowSdeStep.LogProb(next, mean, std) + (randn(new long[] { n }, dtype: ScalarType.Float64, generator: gen) * 0.06);
        var adv = tensor(new[] { 1.0, -0.5, 0.3, -1.2, 0.8, -0.1 }, dtype: ScalarType.Float64);
        inputs["g_x"] = x;
        inputs["g_v"] = v;
        inputs["g_v_ref"] = vRef;
        inputs["g_t"] = t;
        inputs["g_next"] = next;
        inputs["g_old_logp"] = oldLogp;
        inputs["g_adv"] = adv;
        inputs["g_h"] = h;
        inputs["g_noise_level"] = a;
        inputs["g_clip"] = clip;
        inputs["g_beta"] = beta;

        ours["g_std"] = std;
        var leaf = v.detach().clone().requires_grad_(true);
        var current = FlowSdeStep.Mean(x, leaf, t, h, a);
        var reference = FlowSdeStep.Mean(x, vRef, t, h, a);
        ours["g_mean"] = current.detach();
        ours["g_ref_mean"] = reference;
        ours["g_logp"] = FlowSdeStep.LogProb(next, current, std).detach();
        ours["g_kl"] = FlowSdeStep.Kl(current, reference, std).detach();
        var loss = FlowGrpoLoss.Compute(next, current, reference, std, oldLogp, adv, clip, beta);
        loss.Loss.backward();
        ours["g_loss"] = loss.Loss.reshape(1);
        ours["g_grad"] = leaf.grad!;
    }

    private static void RunReference(string input, string output)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Reference", "adrpo_reference.py");
        Assert.IsTrue(File.Exists(Python), $"{Python} not found: the reference check needs Debian's python3 with python3-torch (apt-get install python3-torch); .ci/run installs it.");
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(input);
        info.ArgumentList.Add(output);
        using var process = Process.Start(info)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(120_000), "the Python reference did not finish within 120 s");
        Assert.AreEqual(0, process.ExitCode, $"the Python reference failed (is python3-torch installed? apt-get install python3-torch):\n{stderr}");
    }
}
