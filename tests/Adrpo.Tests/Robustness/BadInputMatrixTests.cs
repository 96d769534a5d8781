using System.Collections.Concurrent;
using System.Text;
using Adrpo.Losses.FlowMatching;
using Adrpo.Losses.Language;
using Adrpo.Models.Dit;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Tests.Infrastructure;
using Adrpo.Tests.Models.Language;
using Adrpo.Tests.Rewards;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Text;
using Microsoft.ML;
using static TorchSharp.torch;

namespace Adrpo.Tests.Robustness;

/// <summary>
/// The bad-input matrix (issue 5): every case feeds one kind of bad input to a trainer, a loader, the reward scorer
/// or a model, and expects a managed exception whose message names the column, option or file and what was expected.
/// No case may crash the process or leave a partial file. Each case has a stable id; <see cref="WriteMessages"/>
/// writes every id with the exception's type and message to <c>artifacts/test-results/bad-input-messages.md</c>.
/// Cases live in the partial files: trainers (.FlowMatching.cs, .Language.cs), loaders (.Loaders.cs) and below
/// (reward scorer, models and losses, whose shape checks must run before libtorch could abort).
/// </summary>
[TestClass]
public sealed partial class BadInputMatrixTests
{
    private static readonly ConcurrentDictionary<string, (string Type, string Message)> Observed = new(StringComparer.Ordinal);

    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("adrpo-badinput-").FullName;

    [TestCleanup]
    public void DeleteFolder()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>Writes the observed messages as a Markdown table, atomically (temp file + rename).</summary>
    [ClassCleanup]
    public static void WriteMessages()
    {
        string folder = Path.Combine(RepoPaths.Root, "artifacts", "test-results");
        Directory.CreateDirectory(folder);
        var text = new StringBuilder()
            .AppendLine("# Bad-input matrix: observed exceptions")
            .AppendLine()
            .AppendLine("Written by `tests/Adrpo.Tests/Robustness/BadInputMatrixTests*.cs` (one row per case that ran).")
            .AppendLine()
            .AppendLine("| Case | Exception | Message |")
            .AppendLine("|---|---|---|");
        foreach (var (id, (type, message)) in Observed.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string cell = message.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);
            text.AppendLine($"| `{id}` | {type} | {cell} |");
        }

        string path = Path.Combine(folder, "bad-input-messages.md");
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, text.ToString());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Runs a case: exactly <typeparamref name="T"/> must be thrown and its message must hold every fragment.</summary>
    private static T Expect<T>(string id, Action action, params string[] fragments)
        where T : Exception
    {
        var e = Assert.ThrowsExactly<T>(action, $"case {id}");
        Observed[id] = (typeof(T).Name, e.Message);
        foreach (string fragment in fragments)
        {
            Assert.IsTrue(e.Message.Contains(fragment, StringComparison.Ordinal), $"case {id}: the message should contain \"{fragment}\" but is: {e.Message}");
        }

        return e;
    }

    /// <summary>Asserts that a failed save left no temporary file and exactly <paramref name="files"/> with these bytes.</summary>
    private static void AssertFolderUnchanged(string folder, IReadOnlyDictionary<string, byte[]> files)
    {
        var names = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(files.Keys.Order(StringComparer.Ordinal).ToArray(), names, $"files left in {folder}: {string.Join(", ", names)}");
        foreach (var (name, bytes) in files)
        {
            CollectionAssert.AreEqual(bytes, File.ReadAllBytes(Path.Combine(folder, name)), $"{name} must be unchanged");
        }
    }

    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);

    // ----- Reward scorer -----

    [TestMethod]
    public void RewardSampleOfTheWrongLength()
    {
        var ml = new MLContext(seed: 1);
        var scorer = new RewardScorer(ml, new[] { FlowMatchingTestFixtures.RednessReward(ml) }, RewardSampleColumn.Vector("Image", 3, 8, 8));
        Expect<ArgumentException>("reward-sample-length", () => scorer.Score(new[] { "p", "p" }, new[] { new float[192], new float[10] }),
            "Sample at index 1 has 10 values", "'Image'", "needs 192");
    }

    [TestMethod]
    public void RewardWeightThatIsNotFinite()
    {
        var ml = new MLContext(seed: 1);
        Expect<ArgumentOutOfRangeException>("reward-weight-nan", () => new RewardModel(RewardMappings.Length(ml), weight: double.NaN),
            "'weight'", "must be a finite number");
    }

    [TestMethod]
    public void RewardPromptAndSampleColumnsWithOneName()
    {
        var ml = new MLContext(seed: 1);
        Expect<ArgumentException>("reward-same-column", () => new RewardScorer(ml, new[] { new RewardModel(RewardMappings.Length(ml)) }, RewardSampleColumn.Text("Prompt")),
            "both named 'Prompt'", "need different names");
    }

    // ----- Models and losses: shapes that would make libtorch abort are rejected in managed code -----

    [TestMethod]
    public void QwenTokenIdOutsideTheVocabulary()
    {
        using var lm = new QwenForCausalLM(TinyQwen.Qwen3(), new TorchSharp.torch.Generator(1));
        using var ids = tensor(new long[] { 3, TinyQwen.Vocab }, new long[] { 1, 2 });
        Expect<ArgumentException>("qwen-token-id-range", () => lm.forward(ids),
            "'inputIds'", $"holds values in [3, {TinyQwen.Vocab}]", $"expected token ids in [0, {TinyQwen.Vocab - 1}]");
    }

    [TestMethod]
    public void QwenAttentionMaskOfTheWrongShape()
    {
        using var lm = new QwenForCausalLM(TinyQwen.Qwen3(), new TorchSharp.torch.Generator(1));
        using var ids = tensor(new long[] { 3, 4, 5, 6 }, new long[] { 1, 4 });
        using var mask = ones(new long[] { 1, 3 }, dtype: ScalarType.Int64);
        Expect<ArgumentException>("qwen-mask-shape", () => lm.forward(ids, mask),
            "'attentionMask' has shape [1, 3]", "expected [1, 4]");
    }

    [TestMethod]
    public void DitSampleOfTheWrongShape()
    {
        using var dit = new DitVelocityModel(FlowMatchingTestFixtures.TinyConfig, new TorchSharp.torch.Generator(1));
        using var xt = zeros(2, 3, 16, 16);
        using var t = rand(2);
        using var condition = zeros(2, HashingTextEncoder.Size);
        Expect<ArgumentException>("dit-sample-shape", () => dit.Forward(xt, t, condition),
            "'xt' has shape [2, 3, 16, 16]", "[batch, 3, 8, 8]");
    }

    [TestMethod]
    public void AdrpoLossWithOneAdvantageTooFew()
    {
        using var v = randn(4, 3, 8, 8);
        using var advantages = zeros(3);
        using var beta = ones(4);
        Expect<ArgumentException>("loss-advantages-length", () => AdrpoFlowMatchingLoss.Compute(v, v, v, advantages, beta),
            "'advantages' has shape [3]", "expected [4]");
    }

    [TestMethod]
    public void TokenLogProbsWithAnIdBeyondTheLogits()
    {
        using var logits = randn(1, 4, 10);
        using var ids = tensor(new long[] { 1, 2, 3, 10 }, new long[] { 1, 4 });
        Expect<ArgumentException>("logprobs-token-id-range", () => TokenLogProbs.FromLogits(logits, ids),
            "'inputIds' holds values in [1, 10]", "in [0, 9]");
    }

    [TestMethod]
    public void GrpoLossWithAMaskOfTheWrongShape()
    {
        using var logp = randn(2, 6);
        using var mask = ones(2, 5);
        using var advantages = zeros(2);
        using var beta = zeros(2);
        Expect<ArgumentException>("loss-grpo-mask-shape", () => GrpoLoss.Compute(logp, null, logp, advantages, beta, mask),
            "'mask' has shape [2, 5]", "expected [2, 6]");
    }

    /// <summary>A text encoder of any width that returns zeros (for dimension mismatches).</summary>
    /// <summary>Claims <paramref name="dimension"/>-d embeddings; returns <paramref name="missingRows"/> fewer rows than asked.</summary>
    private sealed class ZeroEncoder(int dimension, int missingRows = 0) : ITextEncoder
    {
        public int Dimension => dimension;

        public Tensor Encode(IReadOnlyList<string> texts) => zeros(texts.Count - missingRows, dimension);
    }
}
