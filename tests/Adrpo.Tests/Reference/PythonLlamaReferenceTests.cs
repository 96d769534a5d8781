using Adrpo.Models.Language;
using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Models.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Reference;

/// <summary>
/// Llama-family checkpoints (Llama 3.x with "llama3" RoPE scaling and biases, SmolLM2, Mistral) written to disk as
/// config.json + model.safetensors, loaded back with <see cref="QwenForCausalLM.FromPretrained"/>, and compared with
/// Reference/llama_reference.py, which parses the same folder itself and runs a float32 PyTorch forward pass written from
/// the Hugging Face Llama architecture, on a left-padded batch.
/// </summary>
[TestClass]
public sealed class PythonLlamaReferenceTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void LlamaFamilyLogitsMatchIndependentPyTorchImplementation()
    {
        using var scope = NewDisposeScope();
        var configs = new Dictionary<string, (string Json, ulong Seed)>
        {
            ["llama3."] = (TinyLlama.Llama3, 201),
            ["smollm2."] = (TinyLlama.SmolLm2, 202),
            ["mistral."] = (TinyLlama.Mistral, 203),
        };
        var (ids, mask) = TinyQwen.LeftPaddedPrompts();
        string dir = TinyQwen.NewFolder();
        try
        {
            var inputs = new Dictionary<string, object>();
            var loaded = new Dictionary<string, QwenForCausalLM>();
            foreach (var (prefix, (json, seed)) in configs)
            {
                string folder = Path.Combine(dir, prefix.TrimEnd('.'));
                PythonQwenReferenceTests.Randomised(QwenConfig.Parse(json), seed).SavePretrained(folder);
                loaded[prefix] = QwenForCausalLM.FromPretrained(folder);
                inputs[prefix + "folder"] = folder;
                inputs[prefix + "input_ids"] = ids;
                inputs[prefix + "attention_mask"] = mask;
            }

            string input = Path.Combine(dir, "input.json"), output = Path.Combine(dir, "output.json");
            TensorJson.Write(input, inputs);
            PythonQwenReferenceTests.RunReference("llama_reference.py", input, output);
            var expected = TensorJson.Read(output);
            foreach (var (prefix, model) in loaded)
            {
                using var _ = no_grad();
                PythonQwenReferenceTests.AssertLogitsMatch(TestContext, prefix, model.forward(ids, mask), mask, expected[prefix + "logits"]);
            }

            Assert.IsNotNull(loaded["llama3."].Config.Llama3Scaling, "the llama3 case exercises the rescaled frequencies");
            Assert.IsTrue(loaded["llama3."].Config.UsesMlpBias && loaded["llama3."].Config.UsesOutputBias, "and every optional bias");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
