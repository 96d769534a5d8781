using System.Diagnostics;
using Adrpo.Models.Language;
using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Models.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Reference;

/// <summary>
/// Qwen2/Qwen3 logits against Reference/qwen_reference.py, an independent float32 PyTorch forward pass written from
/// the Hugging Face architecture, on the same random weights and a left-padded batch.
/// </summary>
[TestClass]
public sealed class PythonQwenReferenceTests
{
    private const string Python = "/usr/bin/python3";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void QwenLogitsMatchIndependentPyTorchImplementation()
    {
        using var scope = NewDisposeScope();
        var cases = new Dictionary<string, QwenForCausalLM>
        {
            ["qwen3."] = Randomised(TinyQwen.Qwen3(tied: false), 101),
            ["qwen2."] = Randomised(TinyQwen.Qwen2(tied: true), 102),
        };
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        var inputs = new Dictionary<string, object>();
        foreach (var (prefix, model) in cases)
        {
            foreach (var (key, weight) in model.state_dict())
            {
                inputs[prefix + key] = weight;
            }

            var c = model.Config;
            inputs[prefix + "heads"] = c.NumAttentionHeads;
            inputs[prefix + "kv_heads"] = c.KeyValueHeads;
            inputs[prefix + "head_dim"] = c.ResolvedHeadDim;
            inputs[prefix + "layers"] = c.NumHiddenLayers;
            inputs[prefix + "eps"] = c.RmsNormEps;
            inputs[prefix + "theta"] = c.ResolvedRopeTheta;
            inputs[prefix + "tied"] = c.TieWordEmbeddings ? 1 : 0;
            inputs[prefix + "input_ids"] = ids;
            inputs[prefix + "attention_mask"] = mask;
        }

        string dir = Path.Combine(Path.GetTempPath(), "adrpo-qwen-reference-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string input = Path.Combine(dir, "input.json"), output = Path.Combine(dir, "output.json");
            TensorJson.Write(input, inputs);
            RunReference("qwen_reference.py", input, output);
            var expected = TensorJson.Read(output);
            foreach (var (prefix, model) in cases)
            {
                Tensor ours;
                using (no_grad())
                {
                    ours = model.forward(ids, mask);
                }

                AssertLogitsMatch(TestContext, prefix, ours, mask, expected[prefix + "logits"]);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A tiny model whose norms and biases are random too, so that none of them is a silent no-op.</summary>
    internal static QwenForCausalLM Randomised(QwenConfig config, ulong seed)
    {
        var gen = new Generator(seed);
        var model = new QwenForCausalLM(config, gen, initStd: 0.2);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters().Where(np => np.name.EndsWith("norm.weight") || np.name.EndsWith(".bias")))
        {
            p.copy_((name.EndsWith(".bias") ? 0 : 1) + (randn(p.shape, generator: gen) * 0.3));
        }

        return model;
    }

    /// <summary>Compares every real (unpadded) token's logits with the reference's, to rtol = atol = 1e-4.</summary>
    internal static void AssertLogitsMatch(TestContext context, string prefix, Tensor ours, Tensor mask, (long[] Shape, double[] Data) expected)
    {
        // Padding positions have no defined output; compare every real token of both rows.
        var real = mask.to_type(ScalarType.Bool).unsqueeze(-1).expand_as(ours);
        var reference = tensor(expected.Data, expected.Shape, dtype: ScalarType.Float64);
        var a = ours.to_type(ScalarType.Float64).masked_select(real);
        var b = reference.masked_select(real);
        double worst = (a - b).abs().max().item<double>();
        double scale = b.abs().max().item<double>();
        context.WriteLine($"{prefix}logits {TensorJson_Format(expected.Shape)}: max |C# - reference| = {worst:E2} (max |logit| {scale:F2})");
        Assert.IsTrue(scale > 0.5, $"{prefix}: logits are large enough to be a meaningful comparison");
        Assert.IsTrue(a.allclose(b, rtol: 1e-4, atol: 1e-4), $"{prefix}logits differ from the reference by up to {worst:E2}");
    }

    private static string TensorJson_Format(long[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>Runs Reference/<paramref name="scriptName"/> INPUT OUTPUT under Debian's python3.</summary>
    internal static void RunReference(string scriptName, string input, string output)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Reference", scriptName);
        Assert.IsTrue(File.Exists(Python), $"{Python} not found: the reference check needs Debian's python3 with python3-torch (apt-get install python3-torch).");
        var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(input);
        info.ArgumentList.Add(output);
        using var process = Process.Start(info)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(120_000), "the Python reference did not finish within 120 s");
        Assert.AreEqual(0, process.ExitCode, $"the Python reference failed:\n{stderr}");
    }
}
