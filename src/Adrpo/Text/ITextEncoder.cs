using static TorchSharp.torch;

namespace Adrpo.Text;

/// <summary>A frozen text encoder that turns prompts into pooled condition vectors.</summary>
public interface ITextEncoder
{
    /// <summary>Size of each embedding.</summary>
    int Dimension { get; }

    /// <summary>Encodes prompts.</summary>
    /// <param name="texts">Prompts.</param>
    /// <returns>[texts.Count, Dimension] float32 embeddings on the CPU.</returns>
    Tensor Encode(IReadOnlyList<string> texts);
}
