using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>Picks next tokens from logits: greedy, or temperature / top-k / top-p sampling with a seeded generator.</summary>
internal static class TokenSampler
{
    /// <summary>Chooses one token per row.</summary>
    /// <param name="logits">[batch, vocab] next-token logits.</param>
    /// <param name="temperature">0 for argmax; otherwise logits are divided by it.</param>
    /// <param name="topK">Keep the k largest logits (0: all).</param>
    /// <param name="topP">Keep the most likely tokens until their probability reaches topP (1: all); at least one is kept.</param>
    /// <param name="generator">Random source for <c>multinomial</c>, on the logits' device.</param>
    /// <returns>[batch] int64 token ids.</returns>
    public static Tensor Next(Tensor logits, double temperature, int topK, double topP, Generator? generator)
    {
        Validation.TensorChecks.Rank(logits, 2, nameof(logits), "[batch, vocab]");
        Validation.TensorChecks.FloatingPoint(logits, nameof(logits));
        using var scope = NewDisposeScope();
        var z = logits.to_type(ScalarType.Float32);
        if (temperature == 0)
        {
            return z.argmax(-1).MoveToOuterDisposeScope();
        }

        z = z / temperature;
        long vocab = z.shape[1];
        if (topK > 0 && topK < vocab)
        {
            var (values, indices) = z.topk(topK, -1);
            z = full_like(z, float.NegativeInfinity).scatter(-1, indices, values);
        }

        if (topP < 1)
        {
            var (sorted, order) = z.sort(-1, descending: true);
            var probs = sorted.softmax(-1);
            var massBefore = probs.cumsum(-1) - probs;           // probability of the more likely tokens
            sorted = sorted.masked_fill(massBefore.ge(topP), float.NegativeInfinity);
            z = full_like(z, float.NegativeInfinity).scatter(-1, order, sorted);
        }

        return multinomial(z.softmax(-1), 1, generator: generator).squeeze(-1).MoveToOuterDisposeScope();
    }
}
