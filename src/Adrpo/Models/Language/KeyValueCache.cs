using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// Keys and values of the tokens seen so far, per decoder layer, each [batch, kvHeads, cachedTokens, headDim]
/// (keys after RoPE, and after q_norm/k_norm for Qwen3). A forward pass appends the new tokens' keys and values to
/// every layer, so decoding one token costs one token's work. The cache owns its tensors: they live outside any
/// dispose scope and are freed by <see cref="Dispose"/> or <see cref="Clear"/>.
/// </summary>
internal sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="layers">Number of decoder layers (num_hidden_layers).</param>
    public KeyValueCache(int layers)
    {
        if (layers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(layers), layers, "A cache needs at least one layer.");
        }

        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of layers.</summary>
    public int Layers => _keys.Length;

    /// <summary>Tokens cached in layer 0 (the length the next forward pass continues from); 0 when empty.</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Batch size of the cached tensors; null when empty.</summary>
    public long? BatchSize => _keys[0]?.shape[0];

    /// <summary>True when every layer holds the same number of tokens (false after a forward pass that failed midway).</summary>
    public bool IsConsistent => _keys.All(k => (k?.shape[2] ?? 0) == Length);

    /// <summary>The cached keys of one layer, [batch, kvHeads, tokens, headDim], or null when empty. Owned by the cache.</summary>
    public Tensor? Keys(int layer) => _keys[CheckLayer(layer)];

    /// <summary>The cached values of one layer, [batch, kvHeads, tokens, headDim], or null when empty. Owned by the cache.</summary>
    public Tensor? Values(int layer) => _values[CheckLayer(layer)];

    /// <summary>Appends new keys and values along the token dimension and returns everything cached for the layer.</summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="keys">[batch, kvHeads, newTokens, headDim].</param>
    /// <param name="values">[batch, kvHeads, newTokens, headDim].</param>
    /// <returns>All keys and values of the layer, [batch, kvHeads, cached + newTokens, headDim]; owned by the cache
    /// (valid until the next append to this layer or until the cache is cleared).</returns>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        CheckLayer(layer);
        if (keys.dim() != 4 || !keys.shape.SequenceEqual(values.shape))
        {
            throw new ArgumentException($"Keys {Format(keys.shape)} and values {Format(values.shape)} must have the same shape [batch, kvHeads, tokens, headDim].", nameof(keys));
        }

        var old = _keys[layer];
        if (old is not null && (old.shape[0] != keys.shape[0] || old.shape[1] != keys.shape[1] || old.shape[3] != keys.shape[3] || old.dtype != keys.dtype))
        {
            throw new ArgumentException($"New keys {Format(keys.shape)} ({keys.dtype}) do not continue the cached keys {Format(old.shape)} ({old.dtype}) of layer {layer}.", nameof(keys));
        }

        _keys[layer] = Concat(_keys[layer], keys);
        _values[layer] = Concat(_values[layer], values);
        return (_keys[layer]!, _values[layer]!);
    }

    /// <summary>Frees every cached tensor; the cache is empty afterwards and can be reused.</summary>
    public void Clear()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = null;
            _values[i] = null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Clear();

    private static Tensor Concat(Tensor? old, Tensor next)
    {
        var joined = old is null ? next.alias() : cat(new[] { old, next }, 2);
        joined.DetachFromDisposeScope();
        old?.Dispose();
        return joined;
    }

    private int CheckLayer(int layer) =>
        layer >= 0 && layer < _keys.Length ? layer : throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer must be in [0, {_keys.Length - 1}].");

    private static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
