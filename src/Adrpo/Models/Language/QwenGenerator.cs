using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// Batched autoregressive generation for <see cref="QwenForCausalLM"/>: left-padded prompts, greedy or
/// temperature / top-k / top-p sampling, per-row stop on EOS, with or without a <see cref="KeyValueCache"/>.
/// Randomness comes only from this generator's own seeded <see cref="Generator"/>, so equal seeds give equal samples.
/// </summary>
internal sealed class QwenGenerator
{
    private readonly Generator _random;

    /// <summary>Creates a generator for <paramref name="model"/> whose random stream starts at <paramref name="seed"/>.</summary>
    public QwenGenerator(QwenForCausalLM model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _random = new Generator(seed, model.Device);
    }

    /// <summary>The random stream behind every sampled token (its state is saved in training checkpoints).</summary>
    internal Generator Random => _random;

    /// <summary>The model that is sampled.</summary>
    public QwenForCausalLM Model { get; }

    /// <summary>Generates continuations of a batch of left-padded prompts, without gradients.</summary>
    /// <param name="promptIds">[batch, promptTokens] int64 ids; padding on the left.</param>
    /// <param name="promptMask">[batch, promptTokens] 1 for prompt tokens and 0 for left padding (int64, int32 or bool).</param>
    /// <param name="options">Sampling settings.</param>
    /// <returns>Generated ids and completion mask, [batch, newTokens] each, where newTokens is at most
    /// <see cref="QwenGenerationOptions.MaxNewTokens"/> (fewer when every row stopped early).</returns>
    public QwenGenerationResult Generate(Tensor promptIds, Tensor promptMask, QwenGenerationOptions options) =>
        Generate(promptIds, promptMask, options, checkValues: true);

    /// <summary>
    /// <see cref="Generate(Tensor, Tensor, QwenGenerationOptions)"/>; with <paramref name="checkValues"/> false the
    /// prompt's ids and mask values are not checked (five device syncs saved; shapes, dtypes and devices still are),
    /// for prompts the library encoded itself with a tokenizer checked against the vocabulary. The decoding steps never
    /// re-check: every token they feed back was sampled over the vocabulary.
    /// </summary>
    internal QwenGenerationResult Generate(Tensor promptIds, Tensor promptMask, QwenGenerationOptions options, bool checkValues)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = Model.Config;
        options.Validate(config.VocabSize);
        bool decodeChecks = TensorChecks.CheckInternalValues; // the "before" behaviour of the checks benchmark: every step
        ValidatePrompt(promptIds, promptMask, TensorChecks.ShouldCheckValues(checkValues));
        var eos = options.EosTokenIds ?? config.EosTokenId ?? Array.Empty<long>();
        long pad = options.PadTokenId ?? config.PadTokenId ?? (eos.Count > 0 ? eos[0] : 0);
        long batch = promptIds.shape[0];

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var cache = options.UseCache ? Model.NewCache() : null;
        var mask = promptMask.to_type(ScalarType.Int64);                 // [B, S]
        var sequence = promptIds;                                        // [B, S] (uncached: everything so far)
        var input = promptIds;                                           // [B, T] tokens not yet seen by the model
        var finished = zeros(batch, dtype: ScalarType.Bool, device: promptIds.device);
        var tokens = new List<Tensor>();
        var emitted = new List<Tensor>();
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            // A scope per step: each step's [B, vocab] logits (and the sampler's copies) are freed at its end instead
            // of all steps' at the end of generation (32 rows x 128 tokens kept 2.5 GB of logits alive at vocab 151,936).
            using var stepScope = NewDisposeScope();
            var hidden = cache is null ? Model.Model.Forward(sequence, mask, null, null, decodeChecks) : Model.Model.Forward(input, mask, null, cache, decodeChecks); // [B, T, hidden]
            var logits = Model.ComputeLogits(hidden.select(1, hidden.shape[1] - 1));                                       // [B, V]
            var next = TokenSampler.Next(logits, options.Temperature, options.TopK, options.TopP, _random);                 // [B]
            var live = finished.logical_not();
            next = where(live, next, full_like(next, pad)).MoveToOuterDisposeScope();
            tokens.Add(next);
            emitted.Add(live.MoveToOuterDisposeScope());
            var wasFinished = finished;
            foreach (long id in eos)
            {
                finished = finished.logical_or(live.logical_and(next.eq(id)));
            }

            if (!ReferenceEquals(finished, wasFinished))
            {
                finished.MoveToOuterDisposeScope();   // only a tensor of this step's scope (else it would leave the generator's)
            }

            if (finished.all().item<bool>() || step == options.MaxNewTokens - 1)
            {
                break;
            }

            input = next.unsqueeze(1).MoveToOuterDisposeScope();                                      // [B, 1]
            sequence = cat(new[] { sequence, input }, 1).MoveToOuterDisposeScope();
            mask = cat(new[] { mask, ones(batch, 1, dtype: ScalarType.Int64, device: mask.device) }, 1).MoveToOuterDisposeScope();
        }

        var ids = stack(tokens, 1).MoveToOuterDisposeScope();                                       // [B, newT]
        var completion = stack(emitted, 1).to_type(ScalarType.Int64).MoveToOuterDisposeScope();     // [B, newT]
        return new QwenGenerationResult(ids, completion);
    }

    private void ValidatePrompt(Tensor promptIds, Tensor promptMask, bool checkValues)
    {
        TensorChecks.Rank(promptIds, 2, nameof(promptIds), "[batch, promptTokens]");
        TensorChecks.SameShape(promptMask, nameof(promptMask), promptIds, nameof(promptIds));
        TensorChecks.SameDevice(promptIds, nameof(promptIds), Model.OutputWeight, "the model's parameters");
        TensorChecks.SameDevice(promptMask, nameof(promptMask), promptIds, nameof(promptIds));
        if (promptIds.shape[0] < 1 || promptIds.shape[1] < 1)
        {
            throw new ArgumentException($"Tensor 'promptIds' has shape {TensorChecks.Format(promptIds.shape)}; expected at least one row and one token.", nameof(promptIds));
        }

        if (promptMask.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Bool))
        {
            throw new ArgumentException($"Tensor 'promptMask' has dtype {promptMask.dtype}; expected int64, int32 or bool.", nameof(promptMask));
        }

        if (!checkValues)
        {
            TensorChecks.Int64(promptIds, nameof(promptIds)); // dtype only: no sync
            return;
        }

        TensorChecks.IndicesInRange(promptIds, Model.Config.VocabSize, nameof(promptIds), "token ids");
        using var scope = NewDisposeScope();
        var m = promptMask.to_type(ScalarType.Int64);
        if (TensorChecks.AnyTrue(m.lt(0).logical_or(m.gt(1))))
        {
            throw new ArgumentException("Tensor 'promptMask' must hold only 0 (padding) and 1 (prompt token).", nameof(promptMask));
        }

        if (TensorChecks.AnyTrue(m.select(1, m.shape[1] - 1).eq(0)) || (m.shape[1] > 1 && TensorChecks.AnyTrue(m.diff(dim: 1).lt(0))))
        {
            throw new ArgumentException("Tensor 'promptMask' must be left-padded: zeros first, then ones, and every row must end with a prompt token.", nameof(promptMask));
        }
    }
}
