using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>
/// The column through which generated samples reach reward models: its name, kind and (for vectors) dimensions.
/// The same <see cref="RewardScorer"/> serves the language-model trainer (<see cref="Text"/>) and the
/// flow-matching trainer (<see cref="Vector"/>).
/// </summary>
public sealed class RewardSampleColumn
{
    private readonly int[] _dimensions;

    private RewardSampleColumn(string name, RewardSampleKind kind, int[] dimensions)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("The sample column needs a name.", nameof(name));
        }

        Name = name;
        Kind = kind;
        _dimensions = dimensions;
        DataViewType = kind == RewardSampleKind.Text ? TextDataViewType.Instance : new VectorDataViewType(NumberDataViewType.Single, dimensions);
    }

    /// <summary>Column name.</summary>
    public string Name { get; }

    /// <summary>Text or vector.</summary>
    internal RewardSampleKind Kind { get; }

    /// <summary>Vector dimensions (e.g. [3, 32, 32]); empty for text.</summary>
    public IReadOnlyList<int> Dimensions => _dimensions;

    /// <summary>Number of floats in one vector sample (product of <see cref="Dimensions"/>); 0 for text.</summary>
    public int Length => Kind == RewardSampleKind.Text ? 0 : _dimensions.Aggregate(1, (a, d) => a * d);

    /// <summary>The column's ML.NET type: <c>TextDataViewType</c>, or <c>Vector&lt;Single, dims&gt;</c>.</summary>
    public DataViewType DataViewType { get; }

    /// <summary>Text samples (language-model completions).</summary>
    /// <param name="name">Column name; "Completion" by default.</param>
    public static RewardSampleColumn Text(string name = "Completion") => new(name, RewardSampleKind.Text, Array.Empty<int>());

    /// <summary>Float32 vector samples of a fixed shape, e.g. <c>Vector("Image", 3, 32, 32)</c>.</summary>
    /// <param name="name">Column name, e.g. "Image".</param>
    /// <param name="dimensions">Shape of one sample; every dimension positive.</param>
    public static RewardSampleColumn Vector(string name, params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length == 0 || dimensions.Any(d => d <= 0))
        {
            throw new ArgumentException($"Vector samples need at least one dimension, all positive; got [{string.Join(", ", dimensions)}].", nameof(dimensions));
        }

        long length = dimensions.Aggregate(1L, (a, d) => a * d);
        if (length > int.MaxValue)
        {
            throw new ArgumentException($"A sample of shape [{string.Join(", ", dimensions)}] has {length} values, more than a vector column can hold.", nameof(dimensions));
        }

        return new(name, RewardSampleKind.Vector, (int[])dimensions.Clone());
    }

    /// <summary>Image samples in the default column "Image", e.g. <c>Image(3, 32, 32)</c>.</summary>
    /// <param name="dimensions">Shape of one image, e.g. channels, height, width.</param>
    public static RewardSampleColumn Image(params int[] dimensions) => Vector("Image", dimensions);

    /// <inheritdoc />
    public override string ToString() => $"'{Name}' ({DataViewType})";
}
