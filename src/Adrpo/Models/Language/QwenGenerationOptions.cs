namespace Adrpo.Models.Language;

/// <summary>Settings of <see cref="QwenGenerator.Generate(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, QwenGenerationOptions)"/>.</summary>
internal sealed class QwenGenerationOptions
{
    /// <summary>Most tokens generated per row (at least 1). Default 64.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Softmax temperature; 0 picks the most likely token (greedy, no randomness). Default 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Sample only among the k most likely tokens; 0 disables the filter. Default 0.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set of most likely tokens whose probability reaches p; 1 disables it. Default 1.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Tokens that end a row; null (default) uses the config's <c>eos_token_id</c> (none: rows never stop early).</summary>
    public IReadOnlyList<long>? EosTokenIds { get; init; }

    /// <summary>Token emitted by rows that have finished; null (default) uses <c>pad_token_id</c>, else the first EOS id, else 0.</summary>
    public long? PadTokenId { get; init; }

    /// <summary>Reuse keys and values of earlier tokens (one token of work per step); false recomputes the whole sequence. Default true.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the parameter name is the property.</exception>
    public void Validate(long vocabSize)
    {
        if (MaxNewTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be at least 1.");
        }

        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a finite number >= 0 (0 = greedy).");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be >= 0 (0 = disabled).");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1] (1 = disabled).");
        }

        if (EosTokenIds is not null && EosTokenIds.Any(id => id < 0 || id >= vocabSize))
        {
            throw new ArgumentOutOfRangeException(nameof(EosTokenIds), $"EosTokenIds must be token ids in [0, {vocabSize - 1}].");
        }

        if (PadTokenId is < 0 || PadTokenId >= vocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PadTokenId), PadTokenId, $"PadTokenId must be a token id in [0, {vocabSize - 1}].");
        }
    }
}
