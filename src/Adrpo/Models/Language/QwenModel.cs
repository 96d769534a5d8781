using Adrpo.Models.Transformer;
using Adrpo.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// The Qwen2/Qwen3 (and Llama-family) decoder stack without the output head: token embedding (<c>embed_tokens</c>), decoder layers
/// (<c>layers</c>) and the final RMSNorm (<c>norm</c>). Attention is causal and honours a [batch, tokens] padding
/// mask, so left-padded batches give each row the same result as running it alone.
/// </summary>
internal sealed class QwenModel : nn.Module
{
#pragma warning disable IDE1006, SA1300 // Hugging Face key names
    private readonly Embedding embed_tokens;
    private readonly ModuleList<QwenDecoderLayer> layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006, SA1300
    private readonly RotaryEmbedding _rotary;

    /// <summary>Creates the stack for a validated <paramref name="config"/>.</summary>
    public QwenModel(QwenConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(QwenModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new QwenDecoderLayer(config, i, dtype, device)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
        if (device is not null)
        {
            norm.to(device);
        }

        _rotary = new RotaryEmbedding(config.ResolvedHeadDim, config.ResolvedRopeTheta, config.Llama3Scaling);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public QwenConfig Config { get; }

    /// <summary>The token embedding matrix [vocab, hidden] (also the output head when embeddings are tied).</summary>
    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Activation checkpointing per decoder layer (<see cref="CheckpointedDecoderLayer"/>) for forward passes
    /// with autograd on and no cache: each layer keeps only its input for the backward pass and runs again there.</summary>
    internal bool GradientCheckpointing { get; set; }

    /// <summary>The LoRA dropout generator, whose state the checkpointed layers save and restore; null without dropout.</summary>
    internal Generator? CheckpointDropoutRandom { get; set; }

    /// <summary>Runs the stack.</summary>
    /// <param name="inputIds">[batch, tokens] int64 token ids.</param>
    /// <param name="attentionMask">[batch, cached + tokens], nonzero for real tokens and 0 for padding; null means no padding.</param>
    /// <param name="positionIds">[batch, tokens] int64 positions; null derives them from the mask
    /// (<c>cumsum(mask) - 1</c>, so left padding does not shift positions) or, without a mask, counts on from the cache.</param>
    /// <param name="cache">Optional cache holding earlier tokens; the new keys and values are appended to it.</param>
    /// <returns>[batch, tokens, hidden] final hidden states (after <c>norm</c>).</returns>
    public Tensor forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null) =>
        Forward(inputIds, attentionMask, positionIds, cache, checkValues: true);

    /// <summary><see cref="forward"/>; with <paramref name="checkValues"/> false the token ids and positions are not
    /// range-checked (device syncs saved, shapes still checked), for tensors the library made itself: a prompt the
    /// generator has checked once, tokens it sampled over the vocabulary.</summary>
    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache, bool checkValues)
    {
        long past = ValidateInputs(inputIds, attentionMask, positionIds, cache, TensorChecks.ShouldCheckValues(checkValues));
        using var scope = NewDisposeScope();
        long batch = inputIds.shape[0], tokens = inputIds.shape[1], total = past + tokens;
        var device = inputIds.device;
        var keep = attentionMask is null ? ones(batch, total, dtype: ScalarType.Bool, device: device) : attentionMask.ne(0); // [B, S]
        if (positionIds is null)
        {
            positionIds = attentionMask is null
                ? arange(past, total, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, tokens)
                : (keep.to_type(ScalarType.Int64).cumsum(1) - 1).clamp_min(0).narrow(1, past, tokens);
        }

        var queryAt = arange(past, total, dtype: ScalarType.Int64, device: device).unsqueeze(1);  // [T, 1]
        var keyAt = arange(0, total, dtype: ScalarType.Int64, device: device).unsqueeze(0);       // [1, S]
        // Causal and not padding; a padded query also sees itself, so that no row of the attention is a softmax over
        // nothing (NaN in the fused kernel). Only padded rows change: no real query attends to a padded key.
        var allowed = keyAt.le(queryAt).unsqueeze(0).unsqueeze(0).logical_and(keep.unsqueeze(1).unsqueeze(1))
            .logical_or(keyAt.eq(queryAt).unsqueeze(0).unsqueeze(0));                                 // [B, 1, T, S]
        var hidden = embed_tokens.forward(inputIds);                                               // [B, T, hidden]
        var (cos, sin) = _rotary.Tables(positionIds, hidden.dtype);                                // [B, 1, T, hd]
        bool checkpoint = GradientCheckpointing && cache is null && is_grad_enabled();
        foreach (var layer in layers)
        {
            hidden = checkpoint
                ? CheckpointedDecoderLayer.Apply(layer, hidden, cos, sin, allowed, CheckpointDropoutRandom)
                : layer.forward(hidden, cos, sin, allowed, cache);
        }

        return norm.forward(hidden).MoveToOuterDisposeScope();
    }

    private long ValidateInputs(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache, bool checkValues)
    {
        TensorChecks.Rank(inputIds, 2, nameof(inputIds), "[batch, tokens]");
        TensorChecks.SameDevice(inputIds, nameof(inputIds), embed_tokens.weight!, "the model's parameters");
        long batch = inputIds.shape[0], tokens = inputIds.shape[1];
        if (batch < 1 || tokens < 1)
        {
            throw new ArgumentException($"Tensor 'inputIds' has shape {TensorChecks.Format(inputIds.shape)}; expected at least one row and one token.", nameof(inputIds));
        }

        if (checkValues)
        {
            TensorChecks.IndicesInRange(inputIds, Config.VocabSize, nameof(inputIds), "token ids");
        }
        else
        {
            TensorChecks.Int64(inputIds, nameof(inputIds));
        }

        long past = 0;
        if (cache is not null)
        {
            if (cache.Layers != Config.NumHiddenLayers || !cache.IsConsistent)
            {
                throw new ArgumentException($"The cache has {cache.Layers} layers (consistent: {cache.IsConsistent}); expected {Config.NumHiddenLayers} layers holding the same tokens.", nameof(cache));
            }

            if (cache.BatchSize is long cached && cached != batch)
            {
                throw new ArgumentException($"The cache holds {cached} rows; 'inputIds' has {batch}.", nameof(cache));
            }

            past = cache.Length;
        }

        if (attentionMask is not null)
        {
            TensorChecks.Rank(attentionMask, 2, nameof(attentionMask), "[batch, cached + tokens]");
            if (attentionMask.shape[0] != batch || attentionMask.shape[1] != past + tokens)
            {
                throw new ArgumentException($"Tensor 'attentionMask' has shape {TensorChecks.Format(attentionMask.shape)}; expected [{batch}, {past + tokens}] ({past} cached + {tokens} new tokens).", nameof(attentionMask));
            }

            TensorChecks.SameDevice(attentionMask, nameof(attentionMask), inputIds, nameof(inputIds));
        }

        if (positionIds is not null)
        {
            TensorChecks.SameShape(positionIds, nameof(positionIds), inputIds, nameof(inputIds));
            if (checkValues)
            {
                TensorChecks.IndicesInRange(positionIds, long.MaxValue, nameof(positionIds), "positions");
            }

            TensorChecks.SameDevice(positionIds, nameof(positionIds), inputIds, nameof(inputIds));
        }

        return past;
    }
}
