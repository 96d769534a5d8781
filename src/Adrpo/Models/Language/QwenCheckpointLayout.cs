using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>The Hugging Face keys and shapes of a Qwen2/Qwen3 or Llama/Mistral checkpoint (the same key names), derived from its config alone, and the strict check of a checkpoint against them.</summary>
internal static class QwenCheckpointLayout
{
    /// <summary>Key of the output projection; absent when embeddings are tied.</summary>
    public const string LmHead = "lm_head.weight";

    /// <summary>Key of the embedding matrix.</summary>
    public const string Embedding = "model.embed_tokens.weight";

    /// <summary>Every key a checkpoint of <paramref name="config"/> must hold, with its shape.</summary>
    public static SortedDictionary<string, long[]> ExpectedShapes(QwenConfig config)
    {
        long hidden = config.HiddenSize, inner = config.IntermediateSize, headDim = config.ResolvedHeadDim;
        long q = config.NumAttentionHeads * headDim, kv = config.KeyValueHeads * headDim;
        var shapes = new SortedDictionary<string, long[]>(StringComparer.Ordinal)
        {
            [Embedding] = new[] { config.VocabSize, hidden },
            ["model.norm.weight"] = new[] { hidden },
        };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string layer = $"model.layers.{i}.";
            shapes[layer + "self_attn.q_proj.weight"] = new[] { q, hidden };
            shapes[layer + "self_attn.k_proj.weight"] = new[] { kv, hidden };
            shapes[layer + "self_attn.v_proj.weight"] = new[] { kv, hidden };
            shapes[layer + "self_attn.o_proj.weight"] = new[] { hidden, q };
            if (config.UsesQkvBias)
            {
                shapes[layer + "self_attn.q_proj.bias"] = new[] { q };
                shapes[layer + "self_attn.k_proj.bias"] = new[] { kv };
                shapes[layer + "self_attn.v_proj.bias"] = new[] { kv };
            }

            if (config.UsesOutputBias)
            {
                shapes[layer + "self_attn.o_proj.bias"] = new[] { hidden };
            }

            if (config.UsesQkNorm)
            {
                shapes[layer + "self_attn.q_norm.weight"] = new[] { headDim };
                shapes[layer + "self_attn.k_norm.weight"] = new[] { headDim };
            }

            shapes[layer + "mlp.gate_proj.weight"] = new[] { inner, hidden };
            shapes[layer + "mlp.up_proj.weight"] = new[] { inner, hidden };
            shapes[layer + "mlp.down_proj.weight"] = new[] { hidden, inner };
            if (config.UsesMlpBias)
            {
                shapes[layer + "mlp.gate_proj.bias"] = new[] { inner };
                shapes[layer + "mlp.up_proj.bias"] = new[] { inner };
                shapes[layer + "mlp.down_proj.bias"] = new[] { hidden };
            }
            shapes[layer + "input_layernorm.weight"] = new[] { hidden };
            shapes[layer + "post_attention_layernorm.weight"] = new[] { hidden };
        }

        if (!config.TieWordEmbeddings)
        {
            shapes[LmHead] = new[] { config.VocabSize, hidden };
        }

        return shapes;
    }

    /// <summary>Throws one <see cref="InvalidDataException"/> listing every missing, unexpected or misshapen key with its file and shapes.</summary>
    public static void Verify(QwenConfig config, IReadOnlyDictionary<string, (string File, SafeTensorsEntry Entry)> entries)
    {
        var expected = ExpectedShapes(config);
        var problems = new List<string>();
        string where = string.Join(", ", entries.Values.Select(v => "'" + v.File + "'").Distinct().Order(StringComparer.Ordinal));
        foreach (var (key, shape) in expected)
        {
            if (!entries.TryGetValue(key, out var found))
            {
                problems.Add($"missing key '{key}' (expected shape {Format(shape)}; not found in {where})");
            }
            else if (!found.Entry.Shape.SequenceEqual(shape))
            {
                problems.Add($"key '{key}' in '{found.File}' has shape {Format(found.Entry.Shape)}; expected {Format(shape)}");
            }
            else if (found.Entry.DType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64))
            {
                problems.Add($"key '{key}' in '{found.File}' has dtype {found.Entry.DType}; expected a floating-point dtype");
            }
        }

        foreach (var (key, found) in entries.Where(e => !expected.ContainsKey(e.Key) && !IsIgnorable(e.Key)))
        {
            bool tiedHead = key == LmHead && config.TieWordEmbeddings && found.Entry.Shape.SequenceEqual(expected[Embedding]);
            if (!tiedHead)
            {
                problems.Add($"unexpected key '{key}' in '{found.File}' (shape {Format(found.Entry.Shape)}; the {config.ModelType} config expects no such weight)");
            }
        }

        if (problems.Count > 0)
        {
            const int shown = 20;
            string more = problems.Count > shown ? $"\n  ... and {problems.Count - shown} more" : "";
            throw new InvalidDataException($"The checkpoint does not match its config ({problems.Count} problem(s)):\n  " + string.Join("\n  ", problems.Take(shown)) + more);
        }
    }

    /// <summary>Keys that checkpoints may carry but that hold no weights (rotary inverse-frequency buffers).</summary>
    public static bool IsIgnorable(string key) => key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>A shape as "[a, b]".</summary>
    public static string Format(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
