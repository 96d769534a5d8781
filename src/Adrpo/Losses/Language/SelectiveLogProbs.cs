using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>
/// Lean per-token log-probabilities of chosen tokens straight from hidden states: the output head runs only on the
/// positions given (the trainer passes those that predict completion tokens) and only <see cref="DefaultChunkRows"/>
/// of them at a time, so the full <c>[batch, tokens, vocab]</c> logits never exist at once. Per chunk,
/// <c>log pi(y) = z[y] - logsumexp(z)</c> (a selective log-softmax: no second vocab-wide tensor) and, when asked for,
/// the entropy of the same chunk's distribution under <c>no_grad</c>.
/// </summary>
/// <remarks>
/// What still lives through the backward pass: autograd keeps, per chunk, the input of <c>logsumexp</c> (the
/// chunk's temperature-scaled logits, <c>[rows, vocab]</c> float32) because its gradient is
/// <c>softmax(z) = exp(z - logsumexp(z))</c>. Across all chunks that is <c>[completion positions, vocab]</c>, no
/// longer <c>[prompt + completion positions, vocab]</c>, and no extra copies (the full-sequence path also kept the
/// division by the temperature and the narrow of the prompt positions). With a <c>recomputeWeight</c> given, each
/// chunk's logits are recomputed in the backward pass instead (<see cref="RecomputedChunkLogProbs"/>), and only the
/// hidden states <c>[positions, hidden]</c> are kept.
/// </remarks>
internal static class SelectiveLogProbs
{
    /// <summary>
    /// Positions per chunk: 256 rows of logits over Qwen3's 151,936-token vocabulary are 156 MB of float32, small
    /// next to a 0.6B model's weights and gradients, and large enough that the head's matrix product stays efficient.
    /// </summary>
    public const int DefaultChunkRows = 256;

    /// <summary>Log-probabilities (and entropies) of <paramref name="targets"/> under <c>head(hidden) / temperature</c>.</summary>
    /// <param name="hidden">[batch, positions, hidden] hidden states of the positions that predict <paramref name="targets"/>.</param>
    /// <param name="head">The output head, hidden states [rows, hidden] to logits [rows, vocab]; ignored when
    /// <paramref name="recomputeWeight"/> is given.</param>
    /// <param name="targets">[batch, positions] int64 token ids that were chosen (values are not range-checked: the
    /// trainer's own ids).</param>
    /// <param name="temperature">The sampling temperature; logits are divided by it (as TRL does).</param>
    /// <param name="entropy">Also return the entropy of each position's distribution (detached; a metric).</param>
    /// <param name="chunkRows">Positions (batch x positions flattened) per chunk; at least 1.</param>
    /// <param name="recomputeWeight">When set: the head is the linear map with this [vocab, hidden] weight, and each
    /// chunk's logits are recomputed in the backward pass instead of being kept (see <see cref="RecomputedChunkLogProbs"/>).</param>
    /// <returns>[batch, positions] log-probabilities (differentiable) and, when asked for, [batch, positions] entropies in nats.</returns>
    public static (Tensor LogProbs, Tensor? Entropy) Compute(Tensor hidden, Func<Tensor, Tensor> head, Tensor targets, double temperature, bool entropy, int chunkRows = DefaultChunkRows, Tensor? recomputeWeight = null)
    {
        TensorChecks.Rank(hidden, 3, nameof(hidden), "[batch, positions, hidden]");
        TensorChecks.Rank(targets, 2, nameof(targets), "[batch, positions]");
        TensorChecks.Int64(targets, nameof(targets));
        if (targets.shape[0] != hidden.shape[0] || targets.shape[1] != hidden.shape[1])
        {
            throw new ArgumentException($"Tensor 'targets' has shape {TensorChecks.Format(targets.shape)}; expected [{hidden.shape[0]}, {hidden.shape[1]}], the batch and position dimensions of 'hidden'.", nameof(targets));
        }

        if (!(temperature > 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be a positive finite number.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], positions = hidden.shape[1], rows = batch * positions;
        var flatHidden = hidden.reshape(rows, hidden.shape[2]);
        var flatTargets = targets.reshape(rows);
        var logps = new List<Tensor>();
        var entropies = new List<Tensor>();
        for (long start = 0; start < rows; start += chunkRows)
        {
            long n = Math.Min(chunkRows, rows - start);
            var h = flatHidden.narrow(0, start, n);
            var y = flatTargets.narrow(0, start, n);
            if (recomputeWeight is not null)
            {
                logps.Add(RecomputedChunkLogProbs.Apply(h, recomputeWeight, y, temperature));
                if (entropy)
                {
                    using var noGrad = no_grad();
                    entropies.Add(ChunkEntropy(nn.functional.linear(h, recomputeWeight), temperature));
                }

                continue;
            }

            using (var chunk = NewDisposeScope())
            {
                var z = head(h);                                              // [n, V]: the only vocab-wide tensor
                if (temperature != 1.0)
                {
                    z = z / temperature;
                }

                var selected = z.gather(-1, y.unsqueeze(-1)).squeeze(-1);     // [n]
                var normalizer = z.logsumexp(-1);                             // [n]; autograd keeps z for its gradient
                logps.Add((selected - normalizer).MoveToOuterDisposeScope());
                if (entropy)
                {
                    using var noGrad = no_grad();
                    var logp = z.detach() - normalizer.detach().unsqueeze(-1);
                    entropies.Add((logp.exp() * logp).sum(-1).neg().MoveToOuterDisposeScope());
                }
            }
        }

        var result = cat(logps, 0).reshape(batch, positions).MoveToOuterDisposeScope();
        var h2 = entropy ? cat(entropies, 0).reshape(batch, positions).MoveToOuterDisposeScope() : null;
        return (result, h2);
    }

    /// <summary>Entropies [rows] of <c>softmax(logits / temperature)</c>; call under no_grad.</summary>
    internal static Tensor ChunkEntropy(Tensor logits, double temperature)
    {
        using var scope = NewDisposeScope();
        var z = temperature != 1.0 ? logits / temperature : logits;
        var logp = nn.functional.log_softmax(z, -1);
        return (logp.exp() * logp).sum(-1).neg().MoveToOuterDisposeScope();
    }
}
