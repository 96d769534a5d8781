// The two training steps compared against PyTorch (benchmarks/python/step_benchmark.py mirrors them op for op):
// a Qwen3-shaped LM GRPO/ADRPO step and a DiT (LoRA) ADRPO flow-matching step, each forward -> loss -> backward ->
// gradient clipping -> AdamW, exactly the trainers' update (NonFiniteStepGuard) on a fixed batch.
using System.Diagnostics;
using System.Text.Json;
using Adrpo.Advantages;
using Adrpo.Losses.FlowMatching;
using Adrpo.Losses.Language;
using Adrpo.Models.Dit;
using Adrpo.Models.Language;
using Adrpo.Persistence;
using Adrpo.Regularization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

/// <summary>One model, one fixed batch, one optimizer; <see cref="Step"/> is one training update.</summary>
internal abstract class StepCase : IDisposable
{
    public const double LearningRate = 1e-4;
    public const double ClipNorm = 1.0;
    private readonly Stopwatch _watch = new();
    private double _cpuStart;
    private optim.Optimizer? _optimizer;

    public abstract string Name { get; }

    public abstract string Shape { get; }

    /// <summary>Milliseconds of the last step: forward, loss (incl. the .item() of the guard), backward, clip + AdamW.</summary>
    public double[] Phases { get; } = new double[4];

    /// <summary>The same split in the thread's CPU time (<see cref="ThreadCpuClock"/>): what the step cost, without the
    /// time other jobs held the core.</summary>
    public double[] CpuPhases { get; } = new double[4];

    /// <summary>The ADRPO coefficient by default; the fixed one for the adaptive-versus-fixed comparison.</summary>
    public IDivergenceCoefficient Coefficient { get; set; } = null!;

    protected Dictionary<string, Tensor> Inputs { get; } = new(StringComparer.Ordinal);

    protected abstract nn.Module Model { get; }

    protected abstract Dictionary<string, object> Settings { get; }

    private IReadOnlyList<Parameter>? _trainable;

    protected IReadOnlyList<Parameter> Trainable => _trainable ??= Model.parameters().Where(p => p.requires_grad).ToList();

    /// <summary>Milliseconds of one whole step (also split into <see cref="Phases"/>).</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        _optimizer ??= optim.AdamW(Trainable, LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0);
        _watch.Restart();
        _cpuStart = ThreadCpuClock.Milliseconds();
        _optimizer.zero_grad();
        var output = Forward();
        Mark(0);
        var loss = Loss(output);
        float value = loss.item<float>();
        Mark(1);
        loss.backward();
        Mark(2);
        nn.utils.clip_grad_norm_(Trainable, ClipNorm);
        _optimizer.step();
        Mark(3);
        return Phases.Sum() + (float.IsFinite(value) ? 0 : double.NaN);
    }

    /// <summary>
    /// The positions of the forward output the equivalence check compares, broadcastable to it (null: all). A
    /// left-padded query position attends to no key at all, so what either side writes there is arbitrary (and never
    /// read: the loss masks it out, which the loss and gradient comparisons confirm).
    /// </summary>
    public virtual Tensor? ComparedOutputPositions => null;

    /// <summary>The forward output, the loss and every trainable gradient of one forward/backward, no update.</summary>
    public Dictionary<string, Tensor> Check()
    {
        foreach (var p in Trainable)
        {
            p.grad?.zero_();
        }

        var output = Forward();
        var loss = Loss(output);
        loss.backward();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["output"] = output.detach(), ["loss"] = loss.detach().reshape(1) };
        foreach (var (name, p) in Model.named_parameters().Where(np => np.parameter.requires_grad))
        {
            result["grad." + name] = p.grad!.clone();
        }

        return result;
    }

    /// <summary>config.json, weights.safetensors (the state dict as is, LoRA factors included) and inputs.safetensors.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var settings = new Dictionary<string, object>(Settings) { ["lr"] = LearningRate, ["clip"] = ClipNorm };
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(settings));
        SafeTensorsFile.Save(Path.Combine(folder, "weights.safetensors"), Model.state_dict());
        SafeTensorsFile.Save(Path.Combine(folder, "inputs.safetensors"), Inputs);
    }

    public void Dispose()
    {
        _optimizer?.Dispose();
        Model.Dispose();
        foreach (var t in Inputs.Values)
        {
            t.Dispose();
        }
    }

    protected abstract Tensor Forward();

    protected abstract Tensor Loss(Tensor output);

    protected void Keep(string name, Tensor value) => Inputs[name] = value.DetachFromDisposeScope();

    private void Mark(int phase)
    {
        Phases[phase] = _watch.Elapsed.TotalMilliseconds - Phases.Take(phase).Sum();
        CpuPhases[phase] = ThreadCpuClock.Milliseconds() - _cpuStart - CpuPhases.Take(phase).Sum();
    }
}

/// <summary>Qwen3-shaped causal LM (tied head, GQA, q/k-norm); GRPO loss with ADRPO's beta_i against fixed
/// reference log-probs, as <c>GrpoTrainingLoop</c> computes it for one update per batch.</summary>
internal sealed class LmStepCase : StepCase
{
    private readonly QwenForCausalLM _model;
    private readonly int _group;

    public LmStepCase(bool tiny)
    {
        var config = new QwenConfig
        {
            ModelType = "qwen3", VocabSize = tiny ? 64 : 4096, HiddenSize = tiny ? 32 : 256, IntermediateSize = tiny ? 64 : 768,
            NumHiddenLayers = tiny ? 1 : 4, NumAttentionHeads = tiny ? 2 : 4, NumKeyValueHeads = tiny ? 1 : 2, HeadDim = tiny ? 16 : 64,
            MaxPositionEmbeddings = 512, RopeTheta = 1_000_000, RmsNormEps = 1e-6, TieWordEmbeddings = true,
        };
        int batch = tiny ? 4 : 8, tokens = tiny ? 8 : 64;
        _group = tiny ? 2 : 4;
        _model = new QwenForCausalLM(config, new Generator(11));
        Fixtures.Randomise(_model, 12);
        Coefficient = AdaptiveDivergenceCoefficient.PaperLanguageModelDefaults;
        var gen = new Generator(13);
        using var scope = NewDisposeScope();
        var ids = randint(0, config.VocabSize, new long[] { batch, tokens }, generator: gen);
        var mask = ones(batch, tokens, dtype: ScalarType.Int64);
        mask[1, ..2] = zeros(2, dtype: ScalarType.Int64);   // two left-padded rows exercise the padding mask
        mask[2, ..1] = zeros(1, dtype: ScalarType.Int64);
        var lossMask = zeros(batch, tokens - 1);
        lossMask[.., (tokens / 2)..] = ones(batch, tokens - 1 - (tokens / 2));   // the completion half
        Keep("input_ids", ids);
        Keep("attention_mask", mask);
        Keep("loss_mask", lossMask);
        Keep("rewards", rand(new long[] { batch }, generator: gen));
        using (no_grad())
        {
            Keep("ref_logp", TokenLogProbs.FromLogits(_model.forward(ids, mask), ids) + (randn(new long[] { batch, tokens - 1 }, generator: gen) * 0.05));
        }

        Shape = $"Qwen3-shaped, {_model.parameters().Sum(p => p.numel()):N0} parameters (vocab {config.VocabSize}, hidden {config.HiddenSize}, {config.NumHiddenLayers} layers, {config.NumAttentionHeads}/{config.NumKeyValueHeads} heads), batch [{batch}, {tokens}] tokens";
        Settings = new Dictionary<string, object>
        {
            ["kind"] = "lm", ["vocab"] = config.VocabSize, ["hidden"] = config.HiddenSize, ["intermediate"] = config.IntermediateSize,
            ["layers"] = config.NumHiddenLayers, ["heads"] = config.NumAttentionHeads, ["kv_heads"] = config.KeyValueHeads,
            ["head_dim"] = config.ResolvedHeadDim, ["theta"] = config.ResolvedRopeTheta, ["eps"] = config.RmsNormEps, ["group"] = _group,
            ["beta0"] = 0.04, ["amin"] = -0.04, ["amax"] = 0.04,
        };
    }

    public override string Name => "LM GRPO/ADRPO step";

    public override string Shape { get; }

    protected override nn.Module Model => _model;

    protected override Dictionary<string, object> Settings { get; }

    protected override Tensor Forward() => _model.forward(Inputs["input_ids"], Inputs["attention_mask"]);

    public override Tensor? ComparedOutputPositions => Inputs["attention_mask"].ne(0).unsqueeze(-1);   // [B, T, 1]

    protected override Tensor Loss(Tensor output)
    {
        var logp = TokenLogProbs.FromLogits(output, Inputs["input_ids"]);
        var advantages = GroupAdvantages.Compute(Inputs["rewards"], _group, AdvantageScaling.Group);
        return GrpoLoss.Compute(logp, null, Inputs["ref_logp"], advantages, Coefficient.Compute(advantages), Inputs["loss_mask"]).Loss;
    }
}

/// <summary>The library's DiT with token-level cross-attention, shaped as the embedded MiniDrawBench generator
/// (<c>Embedded/MiniDrawBench/Weights/config.json</c>), with LoRA adapters on all its default targets (the trainer's
/// defaults: rank 8, alpha 16 on attn.qkv, attn.proj, mlp.fc1, mlp.fc2, cross_attn.q, cross_attn.kv, cross_attn.proj);
/// ADRPO flow-matching loss (eq. 6) against the base model's velocity (adapters off), as
/// <c>FlowMatchingTrainingLoop.OnlineStep</c>. Each group shares one prompt, as in the trainer; the prompts have
/// different token counts, so the empty slots (zeros) are masked out of the cross-attention.</summary>
internal sealed class DitStepCase : StepCase
{
    private readonly DitVelocityModel _model;
    private readonly int _group;

    public DitStepCase(bool tiny)
    {
        var config = tiny
            ? new DitConfig
            {
                SampleSize = 8, InChannels = 3, PatchSize = 4, HiddenSize = 32, NumLayers = 1, NumAttentionHeads = 2, ConditionDim = 16,
                FrequencyEmbeddingSize = 32, CrossAttention = true, ConditionTokens = 3,
            }
            : new DitConfig
            {
                SampleSize = 32, InChannels = 3, PatchSize = 4, HiddenSize = 128, NumLayers = 4, NumAttentionHeads = 4, ConditionDim = 384,
                FrequencyEmbeddingSize = 256, CrossAttention = true, ConditionTokens = 12,
            };
        int batch = tiny ? 4 : 16;
        _group = tiny ? 2 : 8;
        int[] promptTokens = tiny ? new[] { 2, 3 } : new[] { 5, 11 };   // per group; the rest of the 12 slots stay zero
        _model = new DitVelocityModel(config, new Generator(21));
        _model.AddLoraAdapters(tiny ? 2 : 8, tiny ? 4 : 16, new Generator(22));
        Fixtures.Randomise(_model, 23);
        RandomiseAffineNorms(_model, 25);
        _model.SetTraining(true);
        Coefficient = AdaptiveDivergenceCoefficient.PaperFlowMatchingDefaults;
        var gen = new Generator(24);
        using var scope = NewDisposeScope();
        var shape = new long[] { batch, config.InChannels, config.SampleSize, config.SampleSize };
        var (x0, x1, t) = (randn(shape, generator: gen), randn(shape, generator: gen), rand(new long[] { batch }, generator: gen));
        Keep("xt", FlowMatchingPath.Interpolate(x0, x1, t));
        Keep("t", t);
        Keep("condition", Conditions(config, promptTokens, _group, gen));
        Keep("u", FlowMatchingPath.TargetVelocity(x0, x1));
        Keep("rewards", rand(new long[] { batch }, generator: gen));
        long trainable = _model.TrainableParameters().Sum(p => p.numel());
        Shape = $"DiT {config.SampleSize}x{config.SampleSize}x{config.InChannels}, patch {config.PatchSize}, hidden {config.HiddenSize}, {config.NumLayers} blocks, " +
            $"cross-attention to {config.ConditionTokens} token slots (prompts of {string.Join(" and ", promptTokens)} tokens), " +
            $"LoRA rank {(tiny ? 2 : 8)} ({trainable:N0} trainable of {_model.parameters().Sum(p => p.numel()):N0}), batch {batch}";
        Settings = new Dictionary<string, object>
        {
            ["kind"] = "dit", ["sample"] = config.SampleSize, ["channels"] = config.InChannels, ["patch"] = config.PatchSize,
            ["hidden"] = config.HiddenSize, ["layers"] = config.NumLayers, ["heads"] = config.NumAttentionHeads, ["mlp"] = config.MlpHiddenSize,
            ["condition"] = config.ConditionDim, ["tokens"] = config.ConditionTokens, ["frequency"] = config.FrequencyEmbeddingSize,
            ["rank"] = tiny ? 2 : 8, ["alpha"] = tiny ? 4.0 : 16.0, ["group"] = _group, ["beta0"] = 1.0, ["amin"] = -1.0, ["amax"] = 1.0,
        };
    }

    /// <summary>[batch, D (1 + tokens)] rows <c>[pooled | token states | zeros]</c>, one prompt per group: the pooled
    /// vector unit-norm (as MiniLM's), the token states N(0, 1) (norms of several units, as MiniLM's last hidden states).</summary>
    private static Tensor Conditions(DitConfig config, int[] promptTokens, int group, Generator gen)
    {
        var rows = new List<Tensor>();
        foreach (int tokens in promptTokens)
        {
            var pooled = randn(new long[] { 1, config.ConditionDim }, generator: gen);
            var states = zeros(1, config.ConditionTokens * config.ConditionDim);
            states[.., ..(tokens * config.ConditionDim)] = randn(new long[] { 1, tokens * config.ConditionDim }, generator: gen);
            rows.Add(cat(new[] { pooled / pooled.norm(), states }, 1).expand(group, -1));
        }

        return cat(rows.ToArray(), 0).contiguous();
    }

    /// <summary>The affine layer norms (<c>norm_cross</c>, <c>context_embedder.0</c>) get weights near 1, as trained ones
    /// have (<see cref="Fixtures.Randomise"/> gives every other 1-D parameter N(0, 0.02)).</summary>
    private static void RandomiseAffineNorms(DitVelocityModel model, ulong seed)
    {
        var generator = new Generator(seed);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("norm_cross.weight", StringComparison.Ordinal) || name == "context_embedder.0.weight")
            {
                using var scope = NewDisposeScope();
                p.copy_(1 + (randn(p.shape, generator: generator) * 0.1));
            }
        }
    }

    public override string Name => "DiT flow-matching ADRPO step";

    /// <summary>The model and batch, for <see cref="DitOverheads"/>.</summary>
    internal DitVelocityModel Dit => _model;

    internal Tensor Input(string name) => Inputs[name];

    public override string Shape { get; }

    protected override nn.Module Model => _model;

    protected override Dictionary<string, object> Settings { get; }

    protected override Tensor Forward() => _model.Forward(Inputs["xt"], Inputs["t"], Inputs["condition"]);

    protected override Tensor Loss(Tensor output)
    {
        Tensor reference;
        using (no_grad())
        {
            _model.AdaptersEnabled = false;   // the reference is the base model, as in the trainer
            reference = _model.Forward(Inputs["xt"], Inputs["t"], Inputs["condition"]).detach();
            _model.AdaptersEnabled = true;
        }

        var advantages = GroupAdvantages.Clip(GroupAdvantages.Compute(Inputs["rewards"], _group), -1, 1);
        return AdrpoFlowMatchingLoss.Compute(output, Inputs["u"], reference, advantages, Coefficient.Compute(advantages)).Loss;
    }
}
