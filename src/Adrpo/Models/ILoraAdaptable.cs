using static TorchSharp.torch;

namespace Adrpo.Models;

/// <summary>A model that can receive LoRA adapters on its linear layers (the paper fine-tunes SD3 with LoRA).</summary>
internal interface ILoraAdaptable
{
    /// <summary>True once adapters were added.</summary>
    bool HasAdapters { get; }

    /// <summary>Adds adapters of rank <paramref name="rank"/> to the linear layers named by <paramref name="targets"/>
    /// (null: the model's default targets) and freezes every other weight.</summary>
    void AddLoraAdapters(int rank, double alpha, IReadOnlyCollection<string>? targets, Generator generator);
}
