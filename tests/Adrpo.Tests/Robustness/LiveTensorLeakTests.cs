using Adrpo.Tests.Infrastructure;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Tests.Models.Language;
using Adrpo.Tests.Text.Tokenization;
using Adrpo.Tests.Training.FlowMatching;
using Adrpo.Training;
using Adrpo.Training.FlowMatching;
using Adrpo.Training.Language;
using Microsoft.ML;
using TorchSharp;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;

namespace Adrpo.Tests.Robustness;

/// <summary>
/// Both trainers run many iterations of a tiny config and the number of live TorchSharp tensors must not grow:
/// every tensor an iteration creates is disposed by the end of that iteration (a leak would grow memory for the
/// whole run, and on a GPU run out of device memory long before the managed heap notices).
/// </summary>
[TestClass]
public sealed class LiveTensorLeakTests
{
    private const int WarmUp = 5;
    private const int Measured = 40;

    public TestContext TestContext { get; set; } = null!;

    private static string CheckpointFile() => Path.Combine(Path.GetTempPath(), $"adrpo-leak-{Guid.NewGuid():N}.safetensors");

    [TestMethod]
    [DataRow(FineTuningMethod.Adrpo)]
    [DataRow(FineTuningMethod.OrwCfmW2)]
    [DataRow(FineTuningMethod.Raft)]
    [DataRow(FineTuningMethod.Dpo)]
    [DataRow(FineTuningMethod.FlowGrpo)]
    public void FlowMatchingTrainerDoesNotAccumulateTensors(FineTuningMethod method)
    {
        var context = new MLContext(seed: 1);
        var probe = new LiveTensorProbe<FlowMatchingIterationMetrics>(m => m.Iteration);
        var options = new AdrpoFlowMatchingTrainer.Options
        {
            Generator = PretrainedTinyDit(),
            TextEncoder = new HashingTextEncoder(),
            RewardModels = { RednessReward(context) },   // every iteration scores through RewardScorer and ML.NET
            Method = method,
            Iterations = WarmUp + Measured,
            SamplesPerPrompt = 4,
            PromptsPerIteration = 2,
            UpdatesPerIteration = 2,
            OdeSteps = 2,
            LearningRate = 1e-3,
            LoraRank = 2,
            LoraAlpha = 4,
            Seed = 5,
            ComputeThreads = 1,   // the caller's one-thread scope (OneIntraOpThread) would otherwise be replaced by the automatic count
            CheckpointPath = CheckpointFile(),   // checkpoint writes every 5 iterations are measured too
            CheckpointInterval = 5,
            Progress = probe,
        };
        using (new OneIntraOpThread())
        {
            context.FineTuning().AdrpoFlowMatching(options).Fit(Prompts(context, TrainPrompts));
        }

        probe.AssertNoGrowth(TestContext);
    }

    [TestMethod]
    [DataRow(1, 0, 1.0)]
    [DataRow(2, 20, 0.9)]   // several updates per batch (old log-probs, the per-update loss outputs); top-k / top-p sampling
    public void GrpoTrainerDoesNotAccumulateTensors(int updatesPerBatch, int topK, double topP)
    {
        var context = new MLContext(seed: 1);
        string folder = TinyQwen.NewFolder();
        try
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TinyTokenizerJson.Build().ToJsonString());
            var probe = new LiveTensorProbe<GrpoIterationMetrics>(m => m.Iteration);
            var options = new AdrpoGrpoTrainer.Options
            {
                Model = new QwenForCausalLM(new QwenConfig
                {
                    ModelType = "qwen3", VocabSize = 1280, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1,
                    NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 8, MaxPositionEmbeddings = 64, RopeTheta = 10000,
                    TieWordEmbeddings = true, EosTokenId = new long[] { TinyTokenizerJson.End },
                }, new TorchSharp.torch.Generator(4)),
                Tokenizer = Adrpo.Text.Tokenization.HuggingFaceTokenizer.FromPretrained(folder),
                UseChatTemplate = false,
                RewardModels = { LetterReward(context) },
                Iterations = WarmUp + Measured,
                SamplesPerPrompt = 4,
                PromptsPerIteration = 2,
                UpdatesPerIteration = updatesPerBatch,
                TopK = topK,
                TopP = topP,
                MaxNewTokens = 4,
                MaxPromptTokens = 16,
                LearningRate = 1e-3,
                Seed = 7,
                ComputeThreads = 1,   // the caller's one-thread scope (OneIntraOpThread) would otherwise be replaced by the automatic count
                CheckpointPath = CheckpointFile(),
                CheckpointInterval = 5,
                Progress = probe,
            };
            var prompts = context.Data.LoadFromEnumerable(new[] { "hello", "hello world", "world", "12 worlds" }.Select(p => new TextRow { Prompt = p }).ToList());
            using (new OneIntraOpThread())
            {
                context.FineTuning().AdrpoGrpo(options).Fit(prompts);
            }

            probe.AssertNoGrowth(TestContext);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TheProbeSeesTensorsThatAreNotDisposed()
    {
        var probe = new LiveTensorProbe<int>(i => i);
        var kept = new List<torch.Tensor>();
        try
        {
            for (int i = 1; i <= 3; i++)
            {
                DropOneTensor();                 // left to the garbage collector: finalized, never disposed
                kept.Add(torch.zeros(1));        // still referenced: holds native memory
                probe.Report(i);
            }

            var c = probe.Counts;
            Assert.AreEqual(2, c[1].ThreadLive - c[0].ThreadLive, "the thread's count sees both: the finalized one and the referenced one");
            Assert.AreEqual(2, c[2].ThreadLive - c[1].ThreadLive);
            Assert.AreEqual(1, c[1].Handles - c[0].Handles, "after a collection only the referenced tensor still holds a native handle");
            Assert.AreEqual(1, c[2].Handles - c[1].Handles);
        }
        finally
        {
            kept.ForEach(t => t.Dispose());
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void DropOneTensor() => _ = torch.zeros(1);

    private static RewardModel LetterReward(MLContext context)
    {
        var estimator = context.Transforms.CustomMapping<TextRow, ScoreRow>((input, output) => output.Score = input.Completion.Count(char.IsAsciiLetter), contractName: null);
        return new RewardModel(estimator.Fit(context.Data.LoadFromEnumerable(new List<TextRow>())), 1.0, "Score", "letters");
    }

    public sealed class TextRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Completion { get; set; } = string.Empty;
    }

    public sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    /// <summary>Tiny tensors gain nothing from a second intra-op thread, and on a busy 2-core machine they wait for it
    /// (about 8 times slower here). Only the training runs on one thread: the shared pre-trained DiT of the other tests
    /// is built before, with the usual setting, which is restored afterwards.</summary>
    /// <summary>
    /// Records, synchronously after each iteration (the trainers call Progress on their own thread, between
    /// iterations), two counts:
    /// <list type="bullet">
    /// <item>TorchSharp's per-thread live count (created minus disposed on this thread, in or out of a dispose scope).
    /// A tensor left to the garbage collector stays counted here even after its finalizer ran (the finalizer runs on
    /// another thread), so this count sees every tensor the loop forgot to dispose, however soon the GC frees it.</item>
    /// <item>The process-wide count of native tensor handles (<c>Tensor.TotalCount</c>) after a full collection and
    /// the pending finalizers: the tensors that really still hold memory. Without the collection this count would
    /// include unreachable tensors waiting for the finalizer, and vary with GC timing.</item>
    /// </list>
    /// Only counts within one run are compared. Both step up with every model built, because TorchSharp 0.107 counts a
    /// Parameter's construction as a new handle and never releases the count of the tensor it takes over; that is a
    /// counter artefact, not memory (ten dropped DiTs with 25 MiB of parameters each raised the RSS by 5 MiB).
    /// </summary>
    private sealed class LiveTensorProbe<T>(Func<T, int> iteration) : IProgress<T>
    {
        private readonly List<(int Iteration, long ThreadLive, long Handles)> _counts = new();

        public IReadOnlyList<(int Iteration, long ThreadLive, long Handles)> Counts => _counts;

        public void Report(T value)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            _counts.Add((iteration(value), DisposeScopeManager.Statistics.ThreadTotalLiveCount, torch.Tensor.TotalCount));
        }

        public void AssertNoGrowth(TestContext context)
        {
            Assert.AreEqual(WarmUp + Measured, _counts.Count, "one report per iteration");
            var start = _counts[WarmUp - 1];
            var end = _counts[^1];
            context.WriteLine($"live tensors (this thread): iteration {start.Iteration} {start.ThreadLive}, iteration {end.Iteration} {end.ThreadLive}; native handles after GC: {start.Handles} -> {end.Handles}");
            context.WriteLine("per iteration: " + string.Join(" ", _counts.Select(c => $"{c.Iteration}:{c.ThreadLive}/{c.Handles}")));
            Assert.AreEqual(start.ThreadLive, end.ThreadLive, $"live tensors grew from iteration {start.Iteration} to {end.Iteration}");
            Assert.AreEqual(start.Handles, end.Handles, $"native tensor handles (after GC) grew from iteration {start.Iteration} to {end.Iteration}");
            // Not only the end points: no iteration after the warm-up holds more than the first measured one.
            Assert.IsTrue(_counts.Skip(WarmUp).All(c => c.ThreadLive == start.ThreadLive && c.Handles == start.Handles), "every iteration after the warm-up ends with the same counts");
        }
    }
}
