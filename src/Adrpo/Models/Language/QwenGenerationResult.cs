using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>The output of <see cref="QwenGenerator.Generate(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, QwenGenerationOptions)"/>; disposing it frees both tensors.</summary>
internal sealed class QwenGenerationResult : IDisposable
{
    internal QwenGenerationResult(Tensor tokens, Tensor completionMask)
    {
        Tokens = tokens;
        CompletionMask = completionMask;
    }

    /// <summary>[batch, newTokens] int64 generated ids; rows that stopped hold the pad id after their EOS.</summary>
    public Tensor Tokens { get; }

    /// <summary>[batch, newTokens] int64: 1 for tokens the row generated (its EOS included), 0 for padding after it.</summary>
    public Tensor CompletionMask { get; }

    /// <summary>Number of generated positions (columns).</summary>
    public long Length => Tokens.shape[1];

    /// <inheritdoc />
    public void Dispose()
    {
        Tokens.Dispose();
        CompletionMask.Dispose();
    }
}
