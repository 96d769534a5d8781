using Adrpo.Generation;
using Adrpo.Losses.Language;
using Adrpo.Models.Language;
using Adrpo.Rewards;
using Adrpo.Tests.Infrastructure;
using Adrpo.Training;
using Adrpo.Training.Language;
using Microsoft.ML;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.Language;

/// <summary>GRPO with LoRA and without a reference model when none is needed (issue 15, items 1 and 2).</summary>
[TestClass]
public sealed class GrpoLoraTests
{
    private static AdrpoGrpoTrainer.Options LoraOptions(MLContext context, string? checkpoint = null, double dropout = 0)
    {
        var options = AdrpoGrpoTrainerTestsAccess.Options(context, checkpoint);
        options.LoraRank = 4;
        options.LoraAlpha = 8;
        options.LoraDropout = dropout;
        options.LearningRate = 5e-2;
        return options;
    }

    private static GrpoTrainingLoop Loop(MLContext context, AdrpoGrpoTrainer.Options options)
    {
        options.Validate();
        var rewards = new RewardScorer(context, options.RewardModels, RewardSampleColumn.Text(options.OutputColumnName), options.PromptColumnName);
        return new GrpoTrainingLoop(options, AdrpoGrpoTrainerTests.TrainPrompts, rewards, 7, TrainingDevice.Select(context));
    }

    [TestMethod]
    public void OnlyTheAdaptersTrainAndTheBaseWeightsStayBitIdentical()
    {
        using var oneThread = new OneIntraOpThread();
        var context = new MLContext(seed: 1);
        var options = LoraOptions(context);
        options.Iterations = 3;
        var model = options.Model!;
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        var transformer = context.FineTuning().AdrpoGrpo(options).Fit(AdrpoGrpoTrainerTestsAccess.TrainData(context));

        Assert.AreSame(model, transformer.Model);
        Assert.IsTrue(model.HasAdapters, "the fine-tuned transformer's model carries the adapters");
        var after = model.state_dict();
        foreach (var (key, value) in before)
        {
            // An adapted projection's weight now lives under {module}.base_layer.weight.
            string module = key[..key.LastIndexOf('.')];
            string moved = model.LoraModules().Any(l => l.Name == module) ? module + ".base_layer" + key[key.LastIndexOf('.')..] : key;
            Assert.IsTrue(after[moved].BitEqual(value), $"{key} unchanged");
        }

        var changed = model.LoraModules().Count(l => l.Lora.Adapters.B.abs().max().item<float>() > 0);
        Assert.AreEqual(model.LoraModules().Count, changed, "every lora_B moved away from zero");

        // The adapters save as a PEFT folder and load onto a fresh base to the same completions.
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-grpo-lora-" + Guid.NewGuid().ToString("N"));
        model.SaveAdapter(folder);
        var fresh = AdrpoGrpoTrainerTests.TinyModel();
        fresh.LoadAdapter(folder);
        fresh.eval();
        var (ids, mask) = (tensor(new long[] { 5, 6, 7, 8 }, new long[] { 1, 4 }), ones(1, 4, dtype: ScalarType.Int64));
        using (no_grad())
        {
            Assert.IsTrue(fresh.forward(ids, mask).BitEqual(model.forward(ids, mask)));
        }

        Directory.Delete(folder, true);

        // The transformer saves a plain Hugging Face folder with the adapters merged; the model in memory keeps them.
        string saved = Path.Combine(Path.GetTempPath(), "adrpo-grpo-lora-merged-" + Guid.NewGuid().ToString("N"));
        transformer.Save(saved);
        Assert.IsTrue(model.HasAdapters);
        var reloaded = CausalLanguageModelTransformer.Load(saved);
        Assert.IsFalse(reloaded.Model.HasAdapters);
        using (no_grad())
        {
            var adapted = model.forward(ids, mask);
            var merged = reloaded.Model.forward(ids, mask);
            Assert.IsTrue(merged.allclose(adapted, rtol: 1e-4, atol: 1e-5), $"merged export = adapted model (max diff {(merged - adapted).abs().max().item<float>()})");
        }

        Directory.Delete(saved, true);
    }

    [TestMethod]
    public void TheReferenceIsACopyOnlyForFullFineTuningAndAbsentForAFixedBetaOfZero()
    {
        using var oneThread = new OneIntraOpThread();
        var context = new MLContext(seed: 1);

        var full = AdrpoGrpoTrainerTestsAccess.Options(context, null);
        using (var loop = Loop(context, full))
        {
            loop.RunIteration(CancellationToken.None);
            Assert.IsTrue(loop.HoldsReferenceCopy);
            Assert.AreEqual(1, loop.ReferencePasses);
        }

        var lora = LoraOptions(context);
        using (var loop = Loop(context, lora))
        {
            loop.RunIteration(CancellationToken.None);
            Assert.IsFalse(loop.HoldsReferenceCopy, "with LoRA the reference is the base with adapters off");
            Assert.AreEqual(1, loop.ReferencePasses);
            Assert.IsTrue(lora.Model!.AdaptersEnabled, "adapters are back on after the reference pass");
        }

        foreach (bool withLora in new[] { false, true })
        {
            var zero = withLora ? LoraOptions(context) : AdrpoGrpoTrainerTestsAccess.Options(context, null, adaptive: false);
            zero.Method = GrpoMethod.Grpo;
            zero.Beta0 = 0;
            using var loop = Loop(context, zero);
            var metrics = loop.RunIteration(CancellationToken.None);
            metrics = loop.RunIteration(CancellationToken.None);
            Assert.IsFalse(loop.UsesReference);
            Assert.IsFalse(loop.HoldsReferenceCopy, "beta 0: no reference copy");
            Assert.AreEqual(0, loop.ReferencePasses, "beta 0: no reference pass");
            Assert.AreEqual(0.0, metrics.Kl, "no KL term");
        }
    }

    [TestMethod]
    public void WithLoraTheReferenceLogProbsAreTheUntouchedBaseModelsExactly()
    {
        using var oneThread = new OneIntraOpThread();
        var context = new MLContext(seed: 1);
        var options = LoraOptions(context);
        using var loop = Loop(context, options);
        loop.RunIteration(CancellationToken.None);
        loop.RunIteration(CancellationToken.None);

        var ids = tensor(new long[] { 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 13, 14, 15, 16, 17, 18 }, new long[] { 2, 8 });
        var attention = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 8 });
        var untouched = AdrpoGrpoTrainerTests.TinyModel();   // the same seeded base weights, never trained
        using var _ = no_grad();
        var reference = loop.ReferenceLogProbs(ids, attention, promptLength: 4, completionLength: 4);
        var expected = TokenLogProbs.FromLogits(untouched.forward(ids, attention), ids).narrow(1, 3, 4);
        Assert.IsTrue(reference.BitEqual(expected), "pi_ref = the base model, bit for bit");
        var policy = TokenLogProbs.FromLogits(options.Model!.forward(ids, attention), ids).narrow(1, 3, 4);
        Assert.IsFalse(policy.allclose(expected, rtol: 1e-5, atol: 1e-5), "while the adapted policy has moved");
        Assert.IsTrue(options.Model.AdaptersEnabled);
    }

    [TestMethod]
    public void FixedBetaZeroTrainsExactlyAsTheSameLossWithAReference()
    {
        // With beta = 0 the KL term contributes 0 * k3, so leaving out the reference must not change the training.
        using var oneThread = new OneIntraOpThread();
        var context = new MLContext(seed: 1);
        var withoutReference = AdrpoGrpoTrainerTestsAccess.Options(context, null, adaptive: false);
        withoutReference.Beta0 = 0;
        var withReference = AdrpoGrpoTrainerTestsAccess.Options(context, null, adaptive: false);
        withReference.Beta0 = 1e-30;   // a KL term that rounds away, but keeps the reference
        using var a = Loop(context, withoutReference);
        using var b = Loop(context, withReference);
        Assert.IsTrue(b.UsesReference);
        for (int i = 0; i < 3; i++)
        {
            var ma = a.RunIteration(CancellationToken.None);
            var mb = b.RunIteration(CancellationToken.None);
            Assert.AreEqual(mb.RewardMean, ma.RewardMean, $"iteration {i + 1}");
            Assert.AreEqual(mb.Entropy, ma.Entropy, 1e-6, $"iteration {i + 1}");
        }
    }

    [TestMethod]
    public void LoraRunResumesToExactlyTheUninterruptedRunAndCheckpointsHoldOnlyAdapters()
    {
        using var oneThread = new OneIntraOpThread();
        string folder = Path.Combine(Path.GetTempPath(), "adrpo-grpo-lora-resume-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var context = new MLContext(seed: 1);
        var data = AdrpoGrpoTrainerTestsAccess.TrainData(context);
        static string Comparable(GrpoIterationMetrics m) => MetricsJson.Of(m with { Seconds = 0, TokensPerSecond = 0 });

        var straight = new List<GrpoIterationMetrics>();
        var options = LoraOptions(context, dropout: 0.1);
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(straight.Add);
        var expected = context.FineTuning().AdrpoGrpo(options).Fit(data).Generate(AdrpoGrpoTrainerTestsAccess.HeldOut);

        string checkpoint = Path.Combine(folder, "run.safetensors");
        using var cancel = new CancellationTokenSource();
        var first = new List<GrpoIterationMetrics>();
        options = LoraOptions(context, checkpoint, dropout: 0.1);
        options.CancellationToken = cancel.Token;
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(m =>
        {
            first.Add(m);
            if (m.Iteration == 3)
            {
                cancel.Cancel();
            }
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => context.FineTuning().AdrpoGrpo(options).Fit(data));

        var header = Adrpo.Persistence.SafeTensorsFile.ReadHeader(checkpoint);
        var weights = header.Tensors.Select(t => t.Name).Where(n => n.StartsWith("model.", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(2 * 14, weights.Count, "lora_A and lora_B of 7 projections x 2 layers");
        Assert.IsTrue(weights.All(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal) || n.EndsWith(".lora_B.weight", StringComparison.Ordinal)), string.Join(", ", weights));
        Assert.IsTrue(header.Tensors.Any(t => t.Name == "rng.lora_dropout"));

        var second = new List<GrpoIterationMetrics>();
        options = LoraOptions(context, checkpoint, dropout: 0.1);
        options.Progress = new SynchronousProgress<GrpoIterationMetrics>(second.Add);
        var actual = context.FineTuning().AdrpoGrpo(options).Fit(data).Generate(AdrpoGrpoTrainerTestsAccess.HeldOut);

        CollectionAssert.AreEqual(new[] { 3, 4, 5, 6 }, second.Select(m => m.Iteration).ToArray());
        CollectionAssert.AreEqual(straight.Select(Comparable).ToList(), first.Take(2).Concat(second).Select(Comparable).ToList(), "metrics equal the uninterrupted run's");
        CollectionAssert.AreEqual(expected, actual, "completions equal the uninterrupted run's");

        // A full fine-tuning run refuses the LoRA checkpoint, naming the setting.
        var full = AdrpoGrpoTrainerTestsAccess.Options(context, checkpoint);
        full.Iterations = 8;
        var error = Assert.ThrowsExactly<InvalidDataException>(() => context.FineTuning().AdrpoGrpo(full).Fit(data));
        StringAssert.Contains(error.Message, "model.model.embed_tokens.weight");
        Directory.Delete(folder, true);
    }

    [TestMethod]
    public void LoraOptionsAreCheckedBeforeTraining()
    {
        var context = new MLContext(seed: 1);
        var options = LoraOptions(context);
        options.LoraTargetModules.Add("qkv");
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options));
        StringAssert.Contains(error.Message, "Option LoraTargetModules");

        options = LoraOptions(context);
        options.LoraDropout = 1;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options)).Message, "Option LoraDropout is 1");

        options = AdrpoGrpoTrainerTestsAccess.Options(context, null);
        options.Model!.AddLoraAdapters(2, 4);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => context.FineTuning().AdrpoGrpo(options)).Message, "the model has LoRA adapters");
    }
}
