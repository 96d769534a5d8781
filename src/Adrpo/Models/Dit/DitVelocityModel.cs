using Adrpo.Models.Lora;
using Adrpo.Native;
using Adrpo.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// A class-conditional-style DiT (Peebles and Xie, 2023) predicting flow-matching velocities for image-shaped
/// samples, conditioned on a pooled text embedding: c = timestep embedding + Linear(condition). Module names follow
/// the DiT reference code (<c>x_embedder.proj</c>, <c>t_embedder.mlp.0</c>, <c>blocks.0.attn.qkv</c>,
/// <c>blocks.0.adaLN_modulation.1</c>, <c>final_layer.linear</c>, ...); the condition projection is <c>y_embedder</c>
/// (DiT's label table, here a linear). Sized for the CPU by default (about 1.3M parameters).
/// LoRA adapters (<see cref="AddLoraAdapters(int, double, IReadOnlyCollection{string}?, Generator)"/>) give the
/// reference velocity for free: with <see cref="AdaptersEnabled"/> false the model is exactly the pretrained one.
/// </summary>
public sealed partial class DitVelocityModel : nn.Module<Tensor, Tensor, Tensor, Tensor>, IConditionalVelocityModel, ILoraAdaptable
{
#pragma warning disable IDE1006 // DiT key names
    private readonly PatchEmbed x_embedder;
    private readonly TimestepEmbedding t_embedder;
    private readonly Linear y_embedder; // Linear(condition_dim, hidden)
    private readonly Sequential? context_embedder; // LayerNorm(condition_dim), Linear(condition_dim, hidden); cross-attention only
    private readonly ModuleList<DitBlock> blocks;
    private readonly FinalLayer final_layer;
#pragma warning restore IDE1006

    private bool _adaptersEnabled = true;

    /// <summary>Builds the model and initialises every weight from <paramref name="generator"/> (as DiT does).</summary>
    /// <param name="config">Hyper-parameters; validated here.</param>
    /// <param name="generator">Seeded generator for the initialisation (the global RNG is neither used nor reset).</param>
    /// <exception cref="ArgumentException">A config field is invalid; the message names it.</exception>
    public DitVelocityModel(DitConfig config, Generator generator) : base(TorchRuntime.Checked(nameof(DitVelocityModel)))
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        config.Validate();
        Config = config;
        x_embedder = new PatchEmbed(config);
        t_embedder = new TimestepEmbedding(config.FrequencyEmbeddingSize, config.HiddenSize);
        y_embedder = nn.Linear(config.ConditionDim, config.HiddenSize);
        if (config.CrossAttention)
        {
            // The token states are not unit-norm like the pooled vector (MiniLM's last hidden states have norms of
            // several units), so they are normalised before the projection.
            context_embedder = nn.Sequential(("0", nn.LayerNorm(config.ConditionDim, eps: 1e-6)), ("1", nn.Linear(config.ConditionDim, config.HiddenSize)));
        }

        blocks = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new DitBlock(config)).ToArray());
        final_layer = new FinalLayer(config.HiddenSize, config.PatchSize, config.InChannels);
        RegisterComponents();
        InitializeWeights(generator);
    }

    /// <summary>The hyper-parameters.</summary>
    public DitConfig Config { get; }

    /// <inheritdoc/>
    public long[] SampleShape => new long[] { Config.InChannels, Config.SampleSize, Config.SampleSize };

    /// <inheritdoc/>
    public int ConditionDimension => Config.ConditionRowSize;

    /// <inheritdoc/>
    public bool AdaptersEnabled
    {
        get => _adaptersEnabled;
        set
        {
            _adaptersEnabled = value;
            foreach (var (_, lora) in LoraModules())
            {
                lora.AdaptersEnabled = value;
            }
        }
    }

    /// <summary>True once <see cref="AddLoraAdapters(int, double, IReadOnlyCollection{string}?, Generator)"/> has run (until a merge).</summary>
    public bool HasAdapters => LoraModules().Any();

    /// <inheritdoc/>
    public Tensor Forward(Tensor xt, Tensor t, Tensor condition) => forward(xt, t, condition);

    /// <param name="xt">[B, C, H, W] points on the path, in the model's dtype.</param>
    /// <param name="t">[B] times in [0, 1].</param>
    /// <param name="condition">[B, condition_dim] pooled condition vectors, or with cross-attention
    /// [B, condition_dim (1 + condition_tokens)] rows <c>[pooled | tokens]</c> (zeros = unconditional).</param>
    /// <returns>[B, C, H, W] velocities.</returns>
    /// <exception cref="ArgumentException">A shape, dtype or device does not fit; the message names the tensor and the expected shape.</exception>
    public override Tensor forward(Tensor xt, Tensor t, Tensor condition)
    {
        ValidateInputs(xt, t, condition);
        using var scope = NewDisposeScope();
        var x = x_embedder.forward(xt);                                                            // [B, N, hidden]
        condition = condition.to_type(xt.dtype);
        var pooled = Config.CrossAttention ? condition.narrow(1, 0, Config.ConditionDim) : condition;
        var c = t_embedder.forward(t.to_type(xt.dtype)) + y_embedder.forward(pooled);              // [B, hidden]
        var (context, contextMask) = Config.CrossAttention ? EmbedContext(condition) : (null, null);
        foreach (var block in blocks)
        {
            x = block.forward(x, c, context, contextMask);
        }

        var patches = final_layer.forward(x, c);                                                  // [B, N, p*p*C]
        return PatchEmbed.Unpatchify(patches, Config.InChannels, Config.PatchSize, Config.GridSize).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The cross-attention context: every slot of the row (the pooled vector first, then the tokens) as
    /// [B, 1 + condition_tokens, hidden], with a key mask that hides the zero padding. The pooled slot is always
    /// visible, so an unconditional (all-zero) row still has one key - the learned "null" token that LayerNorm and
    /// the bias make of zeros - and the softmax never sees an empty row.
    /// </summary>
    private (Tensor Context, Tensor Mask) EmbedContext(Tensor condition)
    {
        long batch = condition.shape[0];
        var slots = condition.reshape(batch, 1 + Config.ConditionTokens, Config.ConditionDim);    // [B, K, D]
        var filled = slots.abs().amax(new long[] { 2 }) > 0;                                       // [B, K]
        var alwaysFirst = arange(1 + Config.ConditionTokens, device: condition.device).eq(0).unsqueeze(0);
        var mask = (filled | alwaysFirst).reshape(batch, 1, 1, 1 + Config.ConditionTokens);        // [B, 1, 1, K]
        return (context_embedder!.forward(slots), mask);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> TrainableParameters() =>
        HasAdapters ? parameters().Where(p => p.requires_grad).ToList() : parameters().ToList();

    /// <inheritdoc/>
    public void SetTraining(bool training)
    {
        if (training)
        {
            train();
        }
        else
        {
            eval();
        }
    }

    private void ValidateInputs(Tensor xt, Tensor t, Tensor condition)
    {
        string expected = $"[batch, {Config.InChannels}, {Config.SampleSize}, {Config.SampleSize}]";
        TensorChecks.Rank(xt, 4, nameof(xt), expected);
        if (!xt.shape.Skip(1).SequenceEqual(SampleShape))
        {
            throw new ArgumentException($"Tensor 'xt' has shape {TensorChecks.Format(xt.shape)}; expected {expected}.", nameof(xt));
        }

        var weight = y_embedder.weight!;
        if (xt.dtype != weight.dtype)
        {
            throw new ArgumentException($"Tensor 'xt' has dtype {xt.dtype}; the model's weights are {weight.dtype}.", nameof(xt));
        }

        TensorChecks.SameDevice(xt, nameof(xt), weight, "the model's weights");
        TensorChecks.PerSample(t, nameof(t), xt, nameof(xt));
        TensorChecks.FloatingPoint(t, nameof(t));
        TensorChecks.SameDevice(t, nameof(t), xt, nameof(xt));
        TensorChecks.Rank(condition, 2, nameof(condition), $"[batch, {Config.ConditionRowSize}]");
        if (condition.shape[0] != xt.shape[0] || condition.shape[1] != Config.ConditionRowSize)
        {
            string layout = Config.CrossAttention ? $"condition_dim x (1 + condition_tokens) = {Config.ConditionDim} x {1 + Config.ConditionTokens}: the pooled vector then the token slots" : "condition_dim";
            throw new ArgumentException($"Tensor 'condition' has shape {TensorChecks.Format(condition.shape)}; expected [{xt.shape[0]}, {Config.ConditionRowSize}] ([batch of 'xt', {layout}]).", nameof(condition));
        }

        TensorChecks.FloatingPoint(condition, nameof(condition));
        TensorChecks.SameDevice(condition, nameof(condition), xt, nameof(xt));
    }

    /// <summary>DiT's <c>initialize_weights</c>, drawing from <paramref name="generator"/>.</summary>
    private void InitializeWeights(Generator generator)
    {
        foreach (var linear in modules().OfType<Linear>())
        {
            DitInit.XavierUniform(linear, generator);
        }

        // The patch projection is initialised like a linear on its flattened kernel.
        DitInit.XavierUniform(x_embedder.Projection.weight!, generator);
        using (no_grad())
        {
            x_embedder.Projection.bias!.zero_();
        }

        foreach (var linear in t_embedder.Linears)
        {
            DitInit.Normal(linear, 0.02, generator);
        }

        // adaLN-Zero: blocks start as the identity and the output starts at zero.
        foreach (var block in blocks)
        {
            DitInit.Zero(block.Modulation);
            if (block.CrossAttentionOutput is { } output)
            {
                DitInit.Zero(output);
            }
        }

        DitInit.Zero(final_layer.Modulation);
        DitInit.Zero(final_layer.Linear);
    }
}
