using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Generation;
using Adrpo.Losses.Language;
using Adrpo.Models.Language;
using Adrpo.Regularization;
using Adrpo.Rewards;
using Adrpo.Training.Checkpoints;
using Adrpo.Training.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Training.Language;

/// <summary>
/// One GRPO / ADRPO-GRPO iteration at a time: sample prompts, generate G completions each (no autograd, KV cache),
/// score them, compute group advantages and per-sample KL coefficients, then take the clipped-surrogate + KL steps
/// (eq. 3 / eq. 7). The reference model is a frozen copy of the initial weights for full fine-tuning, the model
/// itself with its LoRA adapters switched off when <see cref="FineTuningOptions{TMetrics}.LoraRank"/> is above 0, and
/// absent for GRPO with a fixed beta of 0 (the KL term vanishes, so no reference pass runs).
/// </summary>
internal sealed class GrpoTrainingLoop : IResumableTrainingLoop<GrpoIterationMetrics>, IDisposable
{
    private readonly AdrpoGrpoTrainer.Options _options;
    private readonly IReadOnlyList<string> _prompts;
    private readonly RewardScorer _rewards;
    private readonly QwenForCausalLM _model;
    private readonly QwenForCausalLM? _reference;
    private readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> _trainable;
    private readonly LanguagePromptEncoder _encoder;
    private readonly QwenGenerator _generator;
    private readonly IDivergenceCoefficient _coefficient;
    private readonly optim.Optimizer _optimizer;
    private readonly double _logProbTemperature;
    private readonly NonFiniteStepGuard _guard;
    private readonly Action<string> _warn;
    private readonly TrainingDevice _device;
    private readonly InertCoefficientCheck? _inert;

    // warn receives a warning for each iteration whose rewards were partly invalid (those samples are left out).
    // device holds the model (moved there first, before the reference copy and the optimizer exist) and every tensor.
    public GrpoTrainingLoop(AdrpoGrpoTrainer.Options options, IReadOnlyList<string> prompts, RewardScorer rewards, int seed, TrainingDevice device, Action<string>? warn = null)
    {
        _device = device;
        _device.Place(options.Model!);
        _warn = warn ?? (_ => { });
        _options = options;
        _prompts = prompts;
        _rewards = rewards;
        _model = options.Model!;
        _encoder = new LanguagePromptEncoder(options.Tokenizer!, options.UseChatTemplate, options.EnableThinking, options.ResolvedMaxPromptTokens);
        _encoder.Encode(prompts);   // every training prompt must fit before any training starts
        if (options.LoraRank > 0 && !_model.HasAdapters)
        {
            // After Place, so the adapters are created on the run's device.
            _model.AddLoraAdapters(options.LoraRank, options.LoraAlpha, options.LoraTargetModules.Count > 0 ? options.LoraTargetModules.ToList() : null, options.LoraDropout, new Generator((ulong)(uint)seed + 17));
        }

        if (_model.HasAdapters)
        {
            _model.AdaptersEnabled = true;   // the adapters are the policy being trained
        }

        // GRPO with a fixed beta of 0 has no KL term (eq. 3): no reference copy and no reference pass. With LoRA the
        // reference is the base model, i.e. this model with its adapters off: no copy either.
        UsesReference = !(options.Method == GrpoMethod.Grpo && options.Beta0 == 0);
        _reference = UsesReference && !_model.HasAdapters ? FrozenCopy(_model, _device.Device) : null;
        _trainable = _model.TrainableParameters();   // only lora_A / lora_B with adapters
        State = new TrainingState<GrpoIterationMetrics>(seed);
        _generator = new QwenGenerator(_model, (ulong)(uint)seed + 1);
        _coefficient = options.Method == GrpoMethod.Adrpo
            ? new AdaptiveDivergenceCoefficient(options.Beta0, options.MinAdvantage, options.MaxAdvantage)
            : new FixedDivergenceCoefficient(options.Beta0);
        _inert = options.Method == GrpoMethod.Adrpo ? new InertCoefficientCheck(options.MinAdvantage, options.MaxAdvantage) : null;
        _optimizer = optim.AdamW(_trainable.Select(p => p.Parameter), options.LearningRate, weight_decay: options.WeightDecay);
        _logProbTemperature = options.Temperature > 0 ? options.Temperature : 1.0;
        _guard = new NonFiniteStepGuard(_optimizer, () => _trainable.Select(p => p.Parameter), options.GradientClipNorm, options.MaxConsecutiveSkippedSteps);
    }

    public TrainingState<GrpoIterationMetrics> State { get; }

    /// <summary>Whether the KL term needs reference log-probabilities (false for GRPO with Beta0 = 0).</summary>
    internal bool UsesReference { get; }

    /// <summary>Whether the loop holds a second, frozen copy of the model as the reference (full fine-tuning with a KL term only).</summary>
    internal bool HoldsReferenceCopy => _reference is not null;

    /// <summary>Forward passes made for reference log-probabilities so far.</summary>
    internal int ReferencePasses { get; private set; }

    public int Iteration => State.Iteration;

    public List<GrpoIterationMetrics> Metrics => State.Metrics;

    public GrpoIterationMetrics RunIteration(CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        // The data flow of one iteration, top to bottom:
        // prompt -> G completions -> rewards -> group advantages -> coefficients beta_i -> GRPO loss -> AdamW step.

        // 1. Prompts: PromptsPerIteration drawn uniformly, each repeated G = SamplesPerPrompt times (one group each).
        int g = _options.SamplesPerPrompt;
        long[] chosen = randint(0, _prompts.Count, new long[] { _options.PromptsPerIteration }, generator: State.Random).data<long>().ToArray();
        var rowPrompts = chosen.SelectMany(i => Enumerable.Repeat(_prompts[(int)i], g)).ToList();
        var (promptIds, promptMask) = _encoder.Encode(rowPrompts);
        promptIds = _device.ToDevice(promptIds);
        promptMask = _device.ToDevice(promptMask);

        // 2. Samples: G completions o_i ~ pi_theta(. | q) per prompt. No autograd, KV cache, the run's own seeded generator.
        _model.eval();
        var sampling = Stopwatch.StartNew();
        // Values unchecked (no device syncs): the prompts were encoded by the tokenizer that Options.Validate checked
        // against the model's vocabulary, and the encoder left-pads them.
        using var generated = _generator.Generate(promptIds, promptMask, SamplingOptions(), checkValues: false);
        double samplingSeconds = sampling.Elapsed.TotalSeconds;
        var completionMask = generated.CompletionMask.to_type(ScalarType.Float32);               // [B, L]
        string[] completions = _encoder.DecodeCompletions(generated.Tokens, generated.CompletionMask);
        // 3. Rewards r_i: the weighted reward models on (prompt, completion); invalid rows are left out of everything below.
        var batch = _rewards.Score(rowPrompts, completions);
        batch.RequireSomeValid(State.Iteration + 1);
        if (batch.DescribeExcluded($"Iteration {State.Iteration + 1}") is string excluded)
        {
            _warn(excluded);
        }

        var valid = tensor(batch.Valid, device: _device.Device);
        var keep = valid.nonzero().squeeze(1);

        // 4. Advantages A_i = (r_i - mean of the group) / (std of the group) (GRPO, eq. 2; scaling per Options.AdvantageScaling).
        var rewards = tensor(batch.Total.Select(r => float.IsFinite(r) ? r : 0f).ToArray(), device: _device.Device);
        var groups = arange(_options.PromptsPerIteration, device: _device.Device).repeat_interleave(g);
        var advantages = zeros(rowPrompts.Count, device: _device.Device);
        advantages.index_copy_(0, keep, GroupAdvantages.Compute(rewards.index_select(0, keep), groups.index_select(0, keep), _options.AdvantageScaling, GroupAdvantages.DefaultScalingEpsilon, checkValues: false));
        // 5. Coefficients: ADRPO beta_i = beta0 - clip(A_i, Amin, Amax) (eq. 7), or GRPO's fixed beta = beta0 (eq. 3).
        var beta = _coefficient.Compute(advantages);                                                   // eq. 7 / fixed
        // CPU-GPU sync point (small: one value per completion), only for ADRPO: is beta_i actually adaptive?
        if (_inert?.Check(State.Iteration + 1, advantages.index_select(0, keep).cpu().data<float>().ToArray()) is string inert)
        {
            _warn(inert);
        }

        var lossMask = completionMask * valid.to_type(ScalarType.Float32).unsqueeze(1);              // invalid rows excluded

        // 6. Loss inputs: log-probabilities of the reference (the KL term's pi_ref; none when beta is fixed at 0) and,
        //    for mu > 1, of the sampling policy (the ratio's pi_old), MicroBatchSize rows at a time.
        var ids = cat(new[] { promptIds, generated.Tokens }, 1);                                       // [B, S + L]
        var attention = cat(new[] { promptMask, generated.CompletionMask.to_type(ScalarType.Int64) }, 1);
        long promptLength = promptIds.shape[1], completionLength = generated.Tokens.shape[1];
        var micro = MicroBatches(ids.shape[0], _options.MicroBatchSize);
        Tensor? referenceLogProbs = null;
        Tensor oldLogProbs;
        var passes = Stopwatch.StartNew();   // CPU ops are synchronous; on CUDA the phases' split is only indicative
        using (no_grad())
        {
            if (UsesReference)
            {
                referenceLogProbs = cat(micro.Select(m => ReferenceLogProbs(ids.narrow(0, m.Start, m.Rows), attention.narrow(0, m.Start, m.Rows), promptLength, completionLength)).ToList(), 0);
            }

            oldLogProbs = _options.UpdatesPerIteration > 1
                ? cat(micro.Select(m => CompletionLogProbs(_model, ids.narrow(0, m.Start, m.Rows), attention.narrow(0, m.Start, m.Rows), promptLength, completionLength, entropy: false).LogProbs).ToList(), 0)
                : null!;
        }

        double referenceSeconds = passes.Elapsed.TotalSeconds;

        // Each micro-batch's loss is scaled so that the micro-batches add up to the whole batch's loss (and so their
        // accumulated gradients to its gradient), for every aggregation: Grpo and DrGrpo divide by the rows of the
        // whole batch (BatchRows); Bnpo and Dapo divide the micro-batch's token sum by the completion tokens of the
        // whole batch (GlobalTokenCount; Bnpo reduces as Dapo with that count when micro-batched). Token-level
        // metrics (KL, clip ratio, entropy) are weighted by each micro-batch's share of the tokens.
        var (settings, tokenShares) = MicroBatchSettings(_options, micro, lossMask);

        // 7. Loss and step, mu = UpdatesPerIteration times: clipped-ratio policy term minus beta_i * KL(pi_theta || pi_ref)
        //    per completion (eq. 3 / 7), then AdamW, skipped when the loss or gradient is not finite. With micro-batches
        //    the gradients are accumulated over them and each update is still one optimizer step.
        _model.train();
        SetLearningRate();
        var loss = zeros(1, device: _device.Device);
        var kl = zeros(1, device: _device.Device);
        var clipRatio = zeros(1, device: _device.Device);
        var entropy = zeros(1, device: _device.Device);
        int skipped = 0;
        var updating = Stopwatch.StartNew();
        _model.Model.GradientCheckpointing = _options.GradientCheckpointing;   // only the updates: the other passes keep no graph
        _model.Model.CheckpointDropoutRandom = _model.LoraDropoutRandom;
        try
        {
            for (int update = 0; update < _options.UpdatesPerIteration; update++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var step = NewDisposeScope();
                bool lastUpdate = update == _options.UpdatesPerIteration - 1;
                foreach (var metric in new[] { loss, kl, clipRatio, entropy })
                {
                    metric.zero_();
                }

                Tensor MicroBatchLoss(int part)
                {
                    var (start, rows) = micro[part];
                    var (logp, h) = CompletionLogProbs(_model, ids.narrow(0, start, rows), attention.narrow(0, start, rows), promptLength, completionLength, entropy: lastUpdate);
                    var mask = lossMask.narrow(0, start, rows);
                    var output = GrpoLoss.Compute(logp, _options.UpdatesPerIteration > 1 ? oldLogProbs.narrow(0, start, rows) : null, referenceLogProbs?.narrow(0, start, rows), advantages.narrow(0, start, rows), beta.narrow(0, start, rows), mask, settings);
                    using (no_grad())
                    {
                        loss.add_(output.Loss.detach());
                        kl.add_(output.MeanKl * tokenShares[part]);
                        clipRatio.add_(output.ClipRatio * tokenShares[part]);
                        if (h is not null)
                        {
                            entropy.add_(MaskedAggregation.Mean(h, mask) * tokenShares[part]);
                        }
                    }

                    return output.Loss;
                }

                if (!_guard.Step(micro.Count, MicroBatchLoss, State.Iteration + 1))
                {
                    skipped++;
                }
            }
        }
        finally
        {
            _model.Model.GradientCheckpointing = false;
            _model.Model.CheckpointDropoutRandom = null;
        }

        double updateSeconds = updating.Elapsed.TotalSeconds;

        // 8. Metrics of the iteration.
        State.Iteration++;
        var keptRewards = rewards.index_select(0, keep);
        var metrics = new GrpoIterationMetrics
        {
            Iteration = State.Iteration,
            RewardMean = keptRewards.mean().item<float>(),
            RewardStd = keep.shape[0] > 1 ? keptRewards.std().item<float>() : 0,
            RewardMeanPerModel = batch.PerModel.ToDictionary(kv => kv.Key, kv => kv.Value.Where(float.IsFinite).DefaultIfEmpty(float.NaN).Average(v => (double)v)),
            InvalidRewards = batch.InvalidCount,
            AdvantageMean = advantages.index_select(0, keep).mean().item<float>(),
            AdvantageStd = keep.shape[0] > 1 ? advantages.index_select(0, keep).std().item<float>() : 0,
            BetaMean = beta.mean().item<float>(),
            BetaMin = beta.min().item<float>(),
            BetaMax = beta.max().item<float>(),
            Kl = kl.item<float>(),
            Entropy = entropy.item<float>(),
            ClipRatio = clipRatio.item<float>(),
            CompletionLength = completionMask.sum(1).mean().item<float>(),
            Loss = loss.item<float>(),
            TokensPerSecond = completionMask.sum().item<float>() / Math.Max(samplingSeconds, 1e-9),
            LearningRate = _optimizer.ParamGroups.First().LearningRate,
            SkippedSteps = skipped,
            Seconds = watch.Elapsed.TotalSeconds,
            SamplingSeconds = samplingSeconds,
            ReferenceSeconds = referenceSeconds,
            UpdateSeconds = updateSeconds,
        };
        State.Metrics.Add(metrics);
        return metrics;
    }

    /// <summary>
    /// Held-out completions of the current policy at the training temperature, GenerationBatchSize rows at a time,
    /// from a generator of its own seeded with <paramref name="seed"/>, and their rewards.
    /// </summary>
    public HeldOutSamples SampleHeldOut(IReadOnlyList<string> prompts, int samplesPerPrompt, ulong seed, RewardScorer rewards)
    {
        var rows = prompts.SelectMany(p => Enumerable.Repeat(p, samplesPerPrompt)).ToList();
        var completions = new List<string>(rows.Count);
        var generator = new QwenGenerator(_model, seed);
        _model.eval();
        for (int start = 0; start < rows.Count; start += _options.GenerationBatchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = rows.GetRange(start, Math.Min(_options.GenerationBatchSize, rows.Count - start));
            var (ids, mask) = _encoder.Encode(chunk);
            using var generated = generator.Generate(_device.ToDevice(ids), _device.ToDevice(mask), SamplingOptions(), checkValues: false);
            completions.AddRange(_encoder.DecodeCompletions(generated.Tokens, generated.CompletionMask));
        }

        return new HeldOutSamples(rows, rewards.Score(rows, completions), completions, null);
    }

    public IReadOnlyList<Tensor> TrainableParameters() => _trainable.Select(p => (Tensor)p.Parameter).ToList();   // only lora_A / lora_B with adapters

    private QwenGenerationOptions SamplingOptions() => new()
    {
        MaxNewTokens = _options.MaxNewTokens,
        Temperature = _options.Temperature,
        TopK = _options.TopK,
        TopP = _options.TopP,
        EosTokenIds = EosIds(),
        PadTokenId = _encoder.PadId,
    };

    public void Dispose() => _reference?.Dispose();

    /// <summary>Writes the trained weights (all of them, or only the LoRA adapters), optimizer, the random streams, iteration and metrics to one file, atomically.</summary>
    public void SaveCheckpoint(string path) => LoopCheckpoint.Save(path, CheckpointParts(), State);

    /// <summary>Continues from a checkpoint of the same run settings; the reference stays the model passed in (the base).</summary>
    public void RestoreCheckpoint(string path) => LoopCheckpoint.Restore(path, CheckpointParts(), State);

    /// <summary>The trained parameters (every weight, or the LoRA adapters only) under "model." + their HF names, the
    /// prompt and sampling random streams, and with LoRA dropout its mask stream.</summary>
    private LoopCheckpoint.Parts CheckpointParts()
    {
        var generators = new List<(string, Generator)> { ("rng.prompts", State.Random), ("rng.sampling", _generator.Random) };
        if (_model.LoraDropoutRandom is Generator dropout)
        {
            generators.Add(("rng.lora_dropout", dropout));
        }

        return new(
            Trainer,
            _trainable.Select(p => (ParameterPrefix + p.Name, (Tensor)p.Parameter)).ToList(),
            _optimizer,
            generators,
            _guard,
            Fingerprint());
    }

    private const string Trainer = "grpo";
    private const string ParameterPrefix = "model.";

    /// <summary>Settings a resumed run must share with the run that wrote the checkpoint.</summary>
    private IEnumerable<(string Key, string Value)> Fingerprint()
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        // The keys keep the option names of before the rename (Adaptive, GroupSize, UpdatesPerBatch) so that
        // checkpoints written then still resume.
        yield return ("Adaptive", (_options.Method == GrpoMethod.Adrpo).ToString());
        yield return ("Seed", State.Seed.ToString(invariant));
        yield return ("GroupSize", _options.SamplesPerPrompt.ToString(invariant));
        yield return ("PromptsPerIteration", _options.PromptsPerIteration.ToString(invariant));
        yield return ("UpdatesPerBatch", _options.UpdatesPerIteration.ToString(invariant));
        yield return ("Prompts", PromptFingerprint.Of(_prompts));
        if (_options.LoraRank > 0)
        {
            // Only for LoRA runs, so full fine-tuning checkpoints written before LoRA existed still resume.
            yield return ("LoraRank", _options.LoraRank.ToString(invariant));
            yield return ("LoraModules", string.Join(",", _model.LoraModules().Select(l => l.Name)));
        }
    }

    /// <summary>
    /// log pi(token) of the completion tokens, [B, L], and (when asked for) the entropies of the same distributions,
    /// lean: the decoder's hidden states are narrowed to the positions that predict completion tokens (S - 1 ..
    /// S + L - 2) before the output head, which then runs on SelectiveLogProbs.DefaultChunkRows of them at a time,
    /// recomputed in the backward pass (SelectiveLogProbs explains what that keeps alive).
    /// </summary>
    private (Tensor LogProbs, Tensor? Entropy) CompletionLogProbs(QwenForCausalLM model, Tensor ids, Tensor attention, long promptLength, long completionLength, bool entropy)
    {
        using var scope = NewDisposeScope();
        // The library's own ids (checked prompt + sampled tokens): no value checks, so no device syncs here.
        var hidden = model.Model.Forward(ids, attention, null, null, checkValues: false);              // [B, S + L, hidden]
        var predicting = hidden.narrow(1, promptLength - 1, completionLength);                          // [B, L, hidden]
        var targets = ids.narrow(1, promptLength, completionLength);                                    // [B, L]
        var (logp, h) = SelectiveLogProbs.Compute(predicting, model.ComputeLogits, targets, _logProbTemperature, entropy, SelectiveLogProbs.DefaultChunkRows, RecomputeHead ? model.OutputWeight : null);
        return (logp.MoveToOuterDisposeScope(), h?.MoveToOuterDisposeScope());
    }

    /// <summary>Recompute each chunk's logits in the backward pass (RecomputedChunkLogProbs) instead of keeping them
    /// (default true); false keeps them (plain autograd), for comparisons. Recomputation applies the head as the plain
    /// bias-free linear map <c>OutputWeight</c> (what Qwen's lm_head, tied or not, is); a head wrapped in anything else
    /// (an adapter on lm_head) needs this off.</summary>
    internal bool RecomputeHead { get; set; } = true;

    /// <summary>The (start, rows) of each micro-batch of a batch of <paramref name="rows"/>; one when <paramref name="microBatchSize"/> is 0 or at least the batch.</summary>
    internal static List<(long Start, long Rows)> MicroBatches(long rows, int microBatchSize)
    {
        long size = microBatchSize > 0 && microBatchSize < rows ? microBatchSize : rows;
        var result = new List<(long, long)>();
        for (long start = 0; start < rows; start += size)
        {
            result.Add((start, Math.Min(size, rows - start)));
        }

        return result;
    }

    /// <summary>The loss settings of every micro-batch and each micro-batch's share of the batch's completion tokens.</summary>
    internal static (GrpoLossSettings Settings, double[] TokenShares) MicroBatchSettings(AdrpoGrpoTrainer.Options options, IReadOnlyList<(long Start, long Rows)> micro, Tensor lossMask)
    {
        var aggregation = options.LossAggregation;
        var settings = new GrpoLossSettings
        {
            EpsilonLow = options.EpsilonLow,
            EpsilonHigh = options.EpsilonHigh,
            Aggregation = aggregation,
            MaxCompletionLength = options.MaxNewTokens,
        };
        if (micro.Count == 1 && aggregation != LossAggregation.Dapo)
        {
            return (settings, new[] { 1.0 });   // one batch: no sync, the loss exactly as before micro-batches existed
        }

        // CPU-GPU sync point (small: one count per micro-batch), once per iteration.
        double[] tokens = stack(micro.Select(m => lossMask.narrow(0, m.Start, m.Rows).sum()).ToList()).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        double total = Math.Max(tokens.Sum(), 1);   // TRL's clamp(min=1) of the normaliser
        settings = settings with
        {
            // DAPO: the completion tokens of the whole generation batch, whatever the micro-batches (TRL's
            // num_items_in_batch). Bnpo reduces the same way when micro-batched so that it stays the whole batch's token mean.
            Aggregation = aggregation == LossAggregation.Bnpo ? LossAggregation.Dapo : aggregation,
            GlobalTokenCount = aggregation is LossAggregation.Bnpo or LossAggregation.Dapo ? total : null,
            BatchRows = micro.Sum(m => m.Rows),
        };
        return (settings, tokens.Select(t => t / total).ToArray());
    }

    /// <summary>log pi_ref of the completion tokens: the frozen copy, or this model with its LoRA adapters off (the base).</summary>
    internal Tensor ReferenceLogProbs(Tensor ids, Tensor attention, long promptLength, long completionLength)
    {
        ReferencePasses++;
        if (_reference is not null)
        {
            return CompletionLogProbs(_reference, ids, attention, promptLength, completionLength, entropy: false).LogProbs;
        }

        _model.AdaptersEnabled = false;
        try
        {
            return CompletionLogProbs(_model, ids, attention, promptLength, completionLength, entropy: false).LogProbs;
        }
        finally
        {
            _model.AdaptersEnabled = true;
        }
    }

    private IReadOnlyList<long> EosIds()
    {
        var ids = new List<long>(_model.Config.EosTokenId ?? Array.Empty<long>());
        if (_options.Tokenizer!.EosTokenId is int eos && !ids.Contains(eos))
        {
            ids.Add(eos);
        }

        if (_options.Tokenizer.TokenToId("<|im_end|>") is int imEnd && _options.UseChatTemplate && !ids.Contains(imEnd))
        {
            ids.Add(imEnd);
        }

        return ids;
    }

    private void SetLearningRate()
    {
        double rate = LearningRates.At(_options.LearningRate, State.Iteration, _options.Iterations, _options.WarmupIterations, _options.Schedule);
        foreach (var group in _optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }
    }

    private static QwenForCausalLM FrozenCopy(QwenForCausalLM model, Device device)
    {
        var copy = new QwenForCausalLM(model.Config, new Generator(0), model.DType, device);
        using var _ = no_grad();
        var source = model.state_dict();
        foreach (var (name, tensor) in copy.state_dict())
        {
            tensor.copy_(source[name]);
        }

        foreach (var p in copy.parameters())
        {
            p.requires_grad = false;
        }

        copy.eval();
        return copy;
    }
}
