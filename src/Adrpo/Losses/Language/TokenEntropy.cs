using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Losses.Language;

/// <summary>
/// Entropy of the next-token distribution, the exploration metric of the paper's LLM experiments (Fig. 4).
/// A metric, not a loss term: callers normally compute it under <c>no_grad</c>.
/// </summary>
internal static class TokenEntropy
{
    /// <summary>
    /// <c>H_t = -sum_v p_t(v) log p_t(v)</c> for the distributions that predict tokens 1..T-1, i.e. aligned with
    /// <see cref="TokenLogProbs.FromLogits(Tensor, Tensor, double)"/>.
    /// </summary>
    /// <param name="logits">[batch, tokens, vocab] logits.</param>
    /// <param name="temperature">Temperature applied before the softmax.</param>
    /// <returns>[batch, tokens - 1] entropies in nats.</returns>
    public static Tensor FromLogits(Tensor logits, double temperature = 1.0)
    {
        TensorChecks.Rank(logits, 3, nameof(logits), "[batch, tokens, vocab]");
        TensorChecks.FloatingPoint(logits, nameof(logits));
        if (logits.shape[1] < 2)
        {
            throw new ArgumentException($"Tensor 'logits' has {logits.shape[1]} token positions; at least 2 are needed.", nameof(logits));
        }

        if (!(temperature > 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be a positive finite number.");
        }

        using var scope = NewDisposeScope();
        var predicting = logits.narrow(1, 0, logits.shape[1] - 1) / temperature;
        var logp = nn.functional.log_softmax(predicting, -1);
        return (logp.exp() * logp).sum(-1).neg().MoveToOuterDisposeScope();
    }
}
