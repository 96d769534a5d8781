using System.Diagnostics;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Models;
using Adrpo.Regularization;
using Adrpo.Rewards;
using Adrpo.Sampling;
using Adrpo.Training.Checkpoints;
using Adrpo.Training.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>
/// One iteration of Algorithm 1 at a time: sample prompts, draw x1 from the current policy (online), score,
/// compute group advantages and the per-sample coefficient, and take the method's gradient step(s).
/// All state needed to resume lives in <see cref="State"/>.
/// </summary>
internal sealed class FlowMatchingTrainingLoop : IResumableTrainingLoop<FlowMatchingIterationMetrics>
{
    private readonly AdrpoFlowMatchingTrainer.Options _options;
    private readonly IReadOnlyList<string> _prompts;
    private readonly RewardScorer _rewards;
    private readonly IConditionalVelocityModel _model;
    private readonly TrainingDevice _device;
    private readonly Tensor _conditions;                 // [prompts, D] frozen text embeddings
    private readonly IDivergenceCoefficient _coefficient;
    private readonly optim.Optimizer _optimizer;
    private readonly FlowMatchingSampler _sampler;
    private readonly DpoPairs? _dpoPairs;
    private readonly NonFiniteStepGuard _guard;
    private readonly Action<string> _warn;
    private readonly InertCoefficientCheck? _inert;
    private int _skippedThisIteration;

    // warn receives a warning for each iteration (and DPO's reference pass) whose rewards were partly invalid.
    // device holds the generator (moved there first, before LoRA adapters and the optimizer exist) and every tensor
    // the model sees. Rewards, groups and advantages stay on the CPU for the host-side bookkeeping (RAFT's ranking,
    // metrics) and go to the device only where they enter a loss.
    public FlowMatchingTrainingLoop(AdrpoFlowMatchingTrainer.Options options, IReadOnlyList<string> prompts, RewardScorer rewards, int seed, TrainingDevice device, Action<string>? warn = null)
    {
        _warn = warn ?? (_ => { });
        _options = options;
        _prompts = prompts;
        _rewards = rewards;
        _model = options.Generator!;
        _device = device;
        _device.Place(_model);
        State = new TrainingState<FlowMatchingIterationMetrics>(seed);
        PrepareAdapters(seed);
        _conditions = _device.ToDevice(options.TextEncoder!.Encode(prompts));
        if (!_conditions.shape.SequenceEqual(new long[] { prompts.Count, _model.ConditionDimension }))
        {
            throw new ArgumentException($"Options.TextEncoder returned embeddings of shape [{string.Join(", ", _conditions.shape)}] for {prompts.Count} prompts; expected [{prompts.Count}, {_model.ConditionDimension}] (one {_model.ConditionDimension}-d row per prompt).", nameof(options));
        }

        _coefficient = options.Method switch
        {
            FineTuningMethod.Adrpo => new AdaptiveDivergenceCoefficient(options.Beta0, options.MinAdvantage, options.MaxAdvantage),
            FineTuningMethod.OrwCfmW2 => new FixedDivergenceCoefficient(options.OrwAlpha),
            FineTuningMethod.FlowGrpo => new FixedDivergenceCoefficient(options.Beta0),   // Flow-GRPO's fixed KL coefficient
            _ => new FixedDivergenceCoefficient(0),
        };
        _inert = options.Method == FineTuningMethod.Adrpo ? new InertCoefficientCheck(options.MinAdvantage, options.MaxAdvantage) : null;
        var parameters = _model.TrainableParameters();
        if (parameters.Count == 0)
        {
            throw new InvalidOperationException("The generator reports no trainable parameters (TrainableParameters() is empty).");
        }

        _optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        _guard = new NonFiniteStepGuard(_optimizer, _model.TrainableParameters, options.GradientClipNorm, options.MaxConsecutiveSkippedSteps);
        _sampler = new FlowMatchingSampler(_model, options.Solver, options.OdeSteps, options.GuidanceScale);
        if (options.Method == FineTuningMethod.Dpo)
        {
            _dpoPairs = DpoPairs.FromReference(_model, _sampler, _conditions, prompts, rewards, options.SamplesPerPrompt, options.ResolvedDpoPairPrompts(prompts.Count), options.PromptsPerIteration, State.Random, _warn);
        }
    }

    public TrainingState<FlowMatchingIterationMetrics> State { get; }

    /// <summary>Frees the prompt embeddings, DPO's reference pairs and the random stream; the generator belongs to the caller.</summary>
    public void Dispose()
    {
        _conditions.Dispose();
        _dpoPairs?.Win.Dispose();
        _dpoPairs?.Lose.Dispose();
        _dpoPairs?.Conditions.Dispose();
        State.Random.Dispose();
    }

    public int Iteration => State.Iteration;

    public List<FlowMatchingIterationMetrics> Metrics => State.Metrics;

    /// <summary>
    /// Held-out images of the current policy (the training ODE solver, steps and guidance), GenerationBatchSize at a
    /// time, from a generator of its own seeded with <paramref name="seed"/>, and their rewards.
    /// </summary>
    public HeldOutSamples SampleHeldOut(IReadOnlyList<string> prompts, int samplesPerPrompt, ulong seed, RewardScorer rewards)
    {
        var rows = prompts.SelectMany(p => Enumerable.Repeat(p, samplesPerPrompt)).ToList();
        using var generator = new Generator(seed);
        _model.SetTraining(false);
        Tensor images;
        using (var scope = NewDisposeScope())
        {
            var conditions = _device.ToDevice(_options.TextEncoder!.Encode(prompts)).repeat_interleave(samplesPerPrompt, 0);   // [rows, D]
            var chunks = new List<Tensor>();
            for (long start = 0; start < rows.Count; start += _options.GenerationBatchSize)
            {
                long length = Math.Min(_options.GenerationBatchSize, rows.Count - start);
                chunks.Add(_sampler.Sample(conditions.narrow(0, start, length), generator).cpu());
            }

            images = cat(chunks.ToArray(), 0).MoveToOuterDisposeScope();                        // [rows, C, H, W]
        }

        return new HeldOutSamples(rows, rewards.Score(rows, SampleRows.Of(images)), null, images);
    }

    public IReadOnlyList<Tensor> TrainableParameters() => _model.TrainableParameters().Select(p => (Tensor)p).ToList();

    public FlowMatchingIterationMetrics RunIteration(CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        // The data flow of one iteration (Algorithm 1), top to bottom here and in OnlineStep just below:
        // prompt -> samples x1 -> rewards -> clipped group advantages -> coefficients beta_i -> ADRPO loss (eq. 6) -> AdamW step.

        // 1. Prompts c ~ uniform p(c) (line 3), each repeated G = SamplesPerPrompt times (one group each).
        int g = _options.SamplesPerPrompt;
        var chosen = randint(0, _prompts.Count, new long[] { _options.PromptsPerIteration }, generator: State.Random);
        var promptIndex = chosen.repeat_interleave(g);                                             // [N]
        var conditions = _conditions.index_select(0, _device.ToDevice(promptIndex));                    // [N, D]
        long[] indices = promptIndex.data<long>().ToArray();

        // 2. Samples x1 from the current policy by solving its ODE (online, line 4); Flow-GRPO samples the same policy
        // by its SDE and keeps every step; 3. their rewards r(x1, c) (line 6).
        _model.SetTraining(false);
        var trajectory = _options.Method == FineTuningMethod.FlowGrpo ? _sampler.SampleSde(conditions, _options.FlowGrpoNoiseLevel, State.Random) : null;
        var x1 = trajectory?.Final ?? _sampler.Sample(conditions, State.Random);                  // [N, C, H, W]
        var batch = _rewards.Score(indices.Select(i => _prompts[(int)i]).ToList(), SampleRows.Of(x1));
        batch.RequireSomeValid(State.Iteration + 1);
        if (batch.DescribeExcluded($"Iteration {State.Iteration + 1}") is string excluded)
        {
            _warn(excluded);
        }
        var valid = tensor(batch.Valid);
        var rewards = tensor(batch.Total.Select(r => float.IsFinite(r) ? r : 0f).ToArray());
        var keep = valid.nonzero().squeeze(1);

        // 4. Advantages A = r - mean of the group, clipped to [Amin, Amax] (lines 11-13);
        // 5. coefficients beta_i = beta0 - A_i (eq. 4, line 14), ORW's fixed alpha, or 0.
        var groups = arange(_options.PromptsPerIteration).repeat_interleave(g).index_select(0, keep);   // slot of each kept sample
        var advantages = GroupAdvantages.Clip(
            GroupAdvantages.Compute(rewards.index_select(0, keep), groups, _options.AdvantageScaling, GroupAdvantages.DefaultScalingEpsilon, checkValues: false),
            _options.MinAdvantage, _options.MaxAdvantage);
        var beta = _coefficient.Compute(advantages);
        if (_inert?.Check(State.Iteration + 1, advantages.data<float>().ToArray()) is string inert)   // CPU tensors: no sync
        {
            _warn(inert);
        }

        // 6.-7. Loss and step, UpdatesPerIteration times, each with fresh x0 and t (OnlineStep below; DPO: DpoStep;
        // Flow-GRPO: FlowGrpoStep on steps of the recorded SDE trajectories).
        _model.SetTraining(true);
        _skippedThisIteration = 0;
        FlowMatchingStepResult step = default;
        for (int update = 0; update < _options.UpdatesPerIteration; update++)
        {
            cancellation.ThrowIfCancellationRequested();
            SetLearningRate();
            step = _options.Method switch
            {
                FineTuningMethod.Dpo => DpoStep(),
                FineTuningMethod.FlowGrpo => FlowGrpoStep(trajectory!.Select(_device.ToDevice(keep)), conditions.index_select(0, _device.ToDevice(keep)), advantages),
                _ => OnlineStep(x1.index_select(0, _device.ToDevice(keep)), conditions.index_select(0, _device.ToDevice(keep)), rewards.index_select(0, keep), advantages, beta, g, groups),
            };
        }

        // 8. Metrics of the iteration.
        State.Iteration++;
        var metrics = new FlowMatchingIterationMetrics
        {
            Iteration = State.Iteration,
            RewardMean = rewards.index_select(0, keep).mean().item<float>(),
            RewardStd = keep.shape[0] > 1 ? rewards.index_select(0, keep).std().item<float>() : 0,
            RewardMeanPerModel = batch.PerModel.ToDictionary(kv => kv.Key, kv => kv.Value.Where(float.IsFinite).DefaultIfEmpty(float.NaN).Average(v => (double)v)),
            InvalidRewards = batch.InvalidCount,
            AdvantageMean = advantages.mean().item<float>(),
            AdvantageMin = advantages.min().item<float>(),
            AdvantageMax = advantages.max().item<float>(),
            BetaMean = beta.mean().item<float>(),
            BetaMin = beta.min().item<float>(),
            BetaMax = beta.max().item<float>(),
            W2 = step.W2,
            Diversity = Diversity(x1, g),
            Loss = step.Loss,
            MatchingLoss = step.Matching,
            RegularizationLoss = step.Regularization,
            LearningRate = CurrentLearningRate(),
            SkippedSteps = _skippedThisIteration,
            Seconds = watch.Elapsed.TotalSeconds,
        };
        State.Metrics.Add(metrics);
        return metrics;
    }

    // 6. The conditional flow-matching path x_t = (1 - t) x0 + t x1 and its target velocity u = x1 - x0 (lines 7-9);
    // 7. the method's loss (ADRPO, eq. 6: A_i * ||v - u||^2 + beta_i * ||v - v_ref||^2) and one guarded AdamW step.
    private FlowMatchingStepResult OnlineStep(Tensor x1, Tensor conditions, Tensor rewards, Tensor advantages, Tensor beta, int groupSize, Tensor groups)
    {
        using var scope = NewDisposeScope();
        var (x0, t) = (_device.ToDevice(randn(x1.shape, generator: State.Random)), _device.ToDevice(rand(new long[] { x1.shape[0] }, generator: State.Random)));   // line 7
        var xt = FlowMatchingPath.Interpolate(x0, x1, t);                                                                                                 // line 8
        var u = FlowMatchingPath.TargetVelocity(x0, x1);                                                                                                  // line 9
        var v = _model.Forward(xt, t, conditions);
        var vRef = _options.Method == FineTuningMethod.Raft ? v.detach() : ReferenceVelocity(xt, t, conditions);
        FlowMatchingLossOutput loss = _options.Method switch
        {
            FineTuningMethod.Adrpo => AdrpoFlowMatchingLoss.Compute(v, u, vRef, _device.ToDevice(advantages), _device.ToDevice(beta)),   // eq. 6
            FineTuningMethod.OrwCfmW2 => OrwCfmW2Loss.Compute(v, u, vRef, _device.ToDevice(rewards), _options.OrwTau, _options.OrwAlpha),
            _ => RaftLoss.Compute(v, u, _device.ToDevice(RaftSelection(rewards, groups))),
        };
        Backward(loss.Loss);
        return new FlowMatchingStepResult(loss.Loss.item<float>(), loss.MatchingLoss.item<float>(), loss.RegularizationLoss.item<float>(), VelocityError.PerSample(v.detach(), vRef).mean().item<float>());
    }

    private FlowMatchingStepResult DpoStep()
    {
        using var scope = NewDisposeScope();
        var pairs = _dpoPairs!;
        var pick = _device.ToDevice(randint(0, pairs.Count, new long[] { _options.PromptsPerIteration }, generator: State.Random));
        var (win, lose, cond) = (pairs.Win.index_select(0, pick), pairs.Lose.index_select(0, pick), pairs.Conditions.index_select(0, pick));
        var x0 = _device.ToDevice(randn(win.shape, generator: State.Random));   // shared noise and time for both, as Diffusion-DPO
        var t = _device.ToDevice(rand(new long[] { win.shape[0] }, generator: State.Random));
        var (xw, xl) = (FlowMatchingPath.Interpolate(x0, win, t), FlowMatchingPath.Interpolate(x0, lose, t));
        var (uw, ul) = (FlowMatchingPath.TargetVelocity(x0, win), FlowMatchingPath.TargetVelocity(x0, lose));
        var vw = _model.Forward(xw, t, cond);
        var vl = _model.Forward(xl, t, cond);
        var (rw, rl) = (ReferenceVelocity(xw, t, cond), ReferenceVelocity(xl, t, cond));
        var (loss, _) = FlowMatchingDpoLoss.Compute(vw, uw, rw, vl, ul, rl, _options.DpoBeta);
        Backward(loss);
        double w2 = (VelocityError.PerSample(vw.detach(), rw).mean() + VelocityError.PerSample(vl.detach(), rl).mean()).item<float>() / 2;
        return new FlowMatchingStepResult(loss.item<float>(), loss.item<float>(), 0, w2);
    }

    // Flow-GRPO (Liu et al. 2025, eq. 10) on K = FlowGrpoTrainedSteps steps of each sample's recorded SDE trajectory,
    // drawn at random per sample: the current policy's step mean from its guided velocity at the recorded x_t, the
    // ratio of the recorded transition's log-probability to the one at sampling time, the clipped surrogate with the
    // group advantages, and Beta0 * KL to the reference's step (LoRA off). The K parts' gradients are accumulated into
    // one AdamW step, one graph alive at a time. W2 is E|v - v_ref|^2 of the guided velocities on the trained points.
    private FlowMatchingStepResult FlowGrpoStep(SdeTrajectory trajectory, Tensor conditions, Tensor advantages)
    {
        using var scope = NewDisposeScope();
        int k = _options.ResolvedFlowGrpoTrainedSteps;
        long n = conditions.shape[0];
        var order = _device.ToDevice(rand(new long[] { n, trajectory.Steps }, generator: State.Random).argsort(1).narrow(1, 0, k));   // [N, K] distinct steps per sample
        var a = _device.ToDevice(advantages);
        double loss = 0, policy = 0, kl = 0, w2 = 0;
        if (!_guard.Step(k, Part, State.Iteration + 1))
        {
            _skippedThisIteration++;
        }

        return new FlowMatchingStepResult(loss, policy, kl, w2 / k);

        Tensor Part(int part)
        {
            var steps = order.select(1, part);                                                  // [N]
            var (x, next, oldLogProb, std) = trajectory.Transition(steps);
            var t = trajectory.TimesOf(steps);
            var v = _sampler.Velocity(x, t, conditions);
            var vRef = Reference(() => _sampler.Velocity(x, t, conditions));
            var mean = FlowSdeStep.Mean(x, v, t, trajectory.StepSize, _options.FlowGrpoNoiseLevel);
            var referenceMean = FlowSdeStep.Mean(x, vRef, t, trajectory.StepSize, _options.FlowGrpoNoiseLevel);
            var output = FlowGrpoLoss.Compute(next, mean, referenceMean, std, oldLogProb, a, _options.FlowGrpoClipRange, _options.Beta0);
            var partLoss = output.Loss / k;
            loss += partLoss.item<float>();                                                     // CPU-GPU sync point
            policy += output.PolicyLoss.item<float>() / k;
            kl += output.KlLoss.item<float>() / k;
            w2 += VelocityError.PerSample(v.detach(), vRef).mean().item<float>();
            return partLoss;
        }
    }

    private Tensor ReferenceVelocity(Tensor xt, Tensor t, Tensor conditions) => Reference(() => _model.Forward(xt, t, conditions));

    private Tensor Reference(Func<Tensor> forward)
    {
        using var _ = no_grad();
        _model.AdaptersEnabled = false;   // the base model is the reference (LoRA off), not a second copy
        try
        {
            return forward().detach();
        }
        finally
        {
            _model.AdaptersEnabled = true;
        }
    }

    private Tensor RaftSelection(Tensor rewards, Tensor groups)
    {
        // Groups can be ragged after invalid rewards were dropped: select per group by rank.
        var keep = zeros_like(rewards);
        long[] g = groups.data<long>().ToArray();
        float[] r = rewards.data<float>().ToArray();
        foreach (var group in Enumerable.Range(0, g.Length).GroupBy(i => g[i]))
        {
            var members = group.OrderByDescending(i => r[i]).ThenBy(i => i).ToList();
            int count = (int)Math.Ceiling((_options.RaftTopFraction * members.Count) - 1e-9);
            foreach (int i in members.Take(Math.Max(1, count)))
            {
                keep[i] = 1f;
            }
        }

        return keep;
    }

    private void Backward(Tensor loss)
    {
        if (!_guard.Step(loss, State.Iteration + 1))
        {
            _skippedThisIteration++;
        }
    }

    /// <summary>Writes weights (or adapters), optimizer, random state, iteration and metrics to one file, atomically.</summary>
    public void SaveCheckpoint(string path) => LoopCheckpoint.Save(path, CheckpointParts(), State);

    /// <summary>Continues from a checkpoint of the same run settings: every random draw after it matches an uninterrupted run.</summary>
    public void RestoreCheckpoint(string path) => LoopCheckpoint.Restore(path, CheckpointParts(), State);

    /// <summary>The trainable tensors (weights, or LoRA adapters) by position, and the run's one random stream.</summary>
    private LoopCheckpoint.Parts CheckpointParts() => new(
        Trainer,
        _model.TrainableParameters().Select((p, i) => (ParameterKey(i), (Tensor)p)).ToList(),
        _optimizer,
        new[] { ("rng", State.Random) },
        _guard,
        Fingerprint());

    private const string Trainer = "flow-matching";

    private static string ParameterKey(int index) => $"trainable.{index:D4}";

    /// <summary>Settings a resumed run must share with the run that wrote the checkpoint.</summary>
    private IEnumerable<(string Key, string Value)> Fingerprint()
    {
        yield return ("Method", _options.Method.ToString());
        yield return ("Seed", State.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("SamplesPerPrompt", _options.SamplesPerPrompt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("PromptsPerIteration", _options.PromptsPerIteration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("UpdatesPerIteration", _options.UpdatesPerIteration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("LoraRank", _options.LoraRank.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("TrainableParameters", string.Join(";", _model.TrainableParameters().Select(p => string.Join("x", p.shape))));
        yield return ("Prompts", PromptFingerprint.Of(_prompts));
        if (_options.Method == FineTuningMethod.FlowGrpo)
        {
            yield return ("FlowGrpoTrainedSteps", _options.ResolvedFlowGrpoTrainedSteps.ToString(System.Globalization.CultureInfo.InvariantCulture));
            yield return ("OdeSteps", _options.OdeSteps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (_options.Method == FineTuningMethod.Dpo)
        {
            yield return ("DpoPairPrompts", _options.ResolvedDpoPairPrompts(_prompts.Count).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private void SetLearningRate()
    {
        double rate = LearningRates.At(_options.LearningRate, State.Iteration, _options.Iterations, _options.WarmupIterations, _options.Schedule);
        foreach (var group in _optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }
    }

    private double CurrentLearningRate() => _optimizer.ParamGroups.First().LearningRate;

    private void PrepareAdapters(int seed)
    {
        if (_options.LoraRank > 0)
        {
            if (_model is not ILoraAdaptable lora)
            {
                throw new ArgumentException($"Options.LoraRank is {_options.LoraRank}, but the generator ({_model.GetType().Name}) does not implement ILoraAdaptable. Use LoraRank = 0 with RAFT, or a generator that supports LoRA.", nameof(_options.Generator));
            }

            if (!lora.HasAdapters)
            {
                lora.AddLoraAdapters(_options.LoraRank, _options.LoraAlpha, _options.LoraTargetModules.Count > 0 ? _options.LoraTargetModules.ToList() : null, new Generator((ulong)seed + 17));
            }
        }
        else if (_options.Method != FineTuningMethod.Raft)
        {
            throw new ArgumentException($"Options.LoraRank is 0 (full fine-tuning), but {_options.Method} needs the reference velocity, which Adrpo takes from the base model with LoRA adapters disabled. Use LoraRank > 0, or Method = Raft.", nameof(_options.LoraRank));
        }
    }

    private static double Diversity(Tensor samples, int groupSize)
    {
        using var scope = NewDisposeScope();
        var grouped = samples.reshape(-1, groupSize, samples.shape[1..].Aggregate(1L, (a, b) => a * b));
        var d = cdist(grouped, grouped);
        return (d.sum(new long[] { 1, 2 }) / (groupSize * (groupSize - 1))).mean().item<float>();
    }
}
