using static TorchSharp.torch;

namespace Adrpo.Persistence;

/// <summary>One tensor's description in a safetensors header; offsets are relative to the data section.</summary>
/// <param name="Name">Tensor name (a Hugging Face key such as <c>model.layers.0.self_attn.q_proj.weight</c>).</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">First data byte.</param>
/// <param name="End">One past the last data byte.</param>
internal sealed record SafeTensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Size of the tensor's data in bytes.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>The validated header of a safetensors file.</summary>
/// <param name="Tensors">Tensor descriptions in header order.</param>
/// <param name="Metadata">String metadata (<c>__metadata__</c>).</param>
/// <param name="DataStart">File offset of the data section.</param>
internal sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart);
