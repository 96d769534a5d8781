using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>Per-token log-probabilities of a causal language model's own tokens.</summary>
internal static class TokenLogProbs
{
    /// <summary>
    /// <c>log pi(x_{t+1} | x_{&lt;=t})</c> for every position, from one forward pass: the logits are shifted once
    /// (position t predicts token t+1), so the result has one column fewer than <paramref name="inputIds"/>.
    /// Align a completion mask the same way (drop its first column).
    /// </summary>
    /// <param name="logits">[batch, tokens, vocab] logits of the full sequence (prompt + completion).</param>
    /// <param name="inputIds">[batch, tokens] int64 token ids the logits were computed from.</param>
    /// <param name="temperature">Sampling temperature the completions were drawn with; logits are divided by it
    /// so the log-probabilities are those of the distribution actually sampled from (as TRL does).</param>
    /// <returns>[batch, tokens - 1] log-probabilities, differentiable with respect to <paramref name="logits"/>.</returns>
    public static Tensor FromLogits(Tensor logits, Tensor inputIds, double temperature = 1.0) =>
        FromLogits(logits, inputIds, temperature, checkValues: true);

    /// <summary><see cref="FromLogits(Tensor, Tensor, double)"/>; with <paramref name="checkValues"/> false the token
    /// ids are not range-checked (two device syncs saved), for ids the library made itself: the trainer's prompts come
    /// from a tokenizer checked against the vocabulary once, its completions from sampling over the vocabulary.</summary>
    internal static Tensor FromLogits(Tensor logits, Tensor inputIds, double temperature, bool checkValues)
    {
        TensorChecks.Rank(logits, 3, nameof(logits), "[batch, tokens, vocab]");
        TensorChecks.FloatingPoint(logits, nameof(logits));
        TensorChecks.Rank(inputIds, 2, nameof(inputIds), "[batch, tokens]");
        if (inputIds.shape[0] != logits.shape[0] || inputIds.shape[1] != logits.shape[1])
        {
            throw new ArgumentException($"Tensor 'inputIds' has shape {TensorChecks.Format(inputIds.shape)}; expected [{logits.shape[0]}, {logits.shape[1]}], the batch and token dimensions of 'logits'.", nameof(inputIds));
        }

        if (logits.shape[1] < 2)
        {
            throw new ArgumentException($"Tensor 'logits' has {logits.shape[1]} token positions; at least 2 are needed to score a next token.", nameof(logits));
        }

        if (TensorChecks.ShouldCheckValues(checkValues))
        {
            TensorChecks.IndicesInRange(inputIds, logits.shape[2], nameof(inputIds), "token ids (the vocabulary size is the last dimension of 'logits')");
        }
        else
        {
            TensorChecks.Int64(inputIds, nameof(inputIds)); // dtype only: no sync
        }

        if (!(temperature > 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be a positive finite number.");
        }

        using var scope = NewDisposeScope();
        long positions = logits.shape[1] - 1;
        var predicting = logits.narrow(1, 0, positions);             // [B, T-1, V]
        if (temperature != 1.0)
        {
            predicting = predicting / temperature;
        }

        var targets = inputIds.narrow(1, 1, positions).unsqueeze(-1); // [B, T-1, 1]
        // log_softmax(z)[y] = z[y] - logsumexp(z): avoids materialising a second [B, T-1, V] tensor.
        var selected = predicting.gather(-1, targets).squeeze(-1);    // [B, T-1]
        var normalizer = predicting.logsumexp(-1);                    // [B, T-1]
        return (selected - normalizer).MoveToOuterDisposeScope();
    }

    /// <summary>Sequence log-probability: the masked sum of token log-probabilities (used by DPO).</summary>
    /// <param name="tokenLogProbs">[batch, tokens] log-probabilities.</param>
    /// <param name="mask">[batch, tokens] 1 for tokens that belong to the scored completion, else 0.</param>
    /// <returns>[batch] sums.</returns>
    public static Tensor SequenceSum(Tensor tokenLogProbs, Tensor mask)
    {
        TensorChecks.Rank(tokenLogProbs, 2, nameof(tokenLogProbs), "[batch, tokens]");
        TensorChecks.SameShape(mask, nameof(mask), tokenLogProbs, nameof(tokenLogProbs));
        using var scope = NewDisposeScope();
        return (tokenLogProbs * mask.to_type(tokenLogProbs.dtype)).sum(1).MoveToOuterDisposeScope();
    }
}
