using Adrpo.Models.Language;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Language;

/// <summary>Tiny Qwen configs, hand-written Hugging Face key lists and temporary folders for the tests.</summary>
internal static class TinyQwen
{
    public const long Vocab = 97;

    /// <summary>Qwen3 shape: GQA (4 query heads, 2 kv heads) and head_dim 16 != hidden / heads.</summary>
    public static QwenConfig Qwen3(bool tied = false) => new()
    {
        ModelType = "qwen3",
        VocabSize = Vocab,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        MaxPositionEmbeddings = 512,
        RopeTheta = 10_000,
        RmsNormEps = 1e-6,
        TieWordEmbeddings = tied,
        BosTokenId = 1,
        EosTokenId = new long[] { 2 },
    };

    /// <summary>Qwen2 shape: q/k/v biases, no q/k norm, head_dim = hidden / heads = 8.</summary>
    public static QwenConfig Qwen2(bool tied = true) => new()
    {
        ModelType = "qwen2",
        VocabSize = Vocab,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 1,
        RopeTheta = 1_000_000,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        EosTokenId = new long[] { 2, 5 },
    };

    /// <summary>The checkpoint keys as Hugging Face names them, written out by hand (not from the library's layout).</summary>
    public static SortedSet<string> HuggingFaceKeys(int layers, bool qwen3, bool tied)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal) { "model.embed_tokens.weight", "model.norm.weight" };
        for (int i = 0; i < layers; i++)
        {
            foreach (string p in new[] { "q_proj", "k_proj", "v_proj", "o_proj" })
            {
                keys.Add($"model.layers.{i}.self_attn.{p}.weight");
            }

            foreach (string p in qwen3 ? new[] { "q_norm", "k_norm" } : new[] { "q_proj", "k_proj", "v_proj" })
            {
                keys.Add($"model.layers.{i}.self_attn.{p}.{(qwen3 ? "weight" : "bias")}");
            }

            foreach (string p in new[] { "gate_proj", "up_proj", "down_proj" })
            {
                keys.Add($"model.layers.{i}.mlp.{p}.weight");
            }

            keys.Add($"model.layers.{i}.input_layernorm.weight");
            keys.Add($"model.layers.{i}.post_attention_layernorm.weight");
        }

        if (!tied)
        {
            keys.Add("lm_head.weight");
        }

        return keys;
    }

    /// <summary>A config.json as Hugging Face writes it, with fields the library ignores.</summary>
    public static string ConfigJson(QwenConfig c) => $$"""
        {
          "architectures": ["{{(c.ModelType == "qwen3" ? "Qwen3ForCausalLM" : "Qwen2ForCausalLM")}}"],
          "attention_dropout": 0.0,
          "bos_token_id": 1,
          "eos_token_id": {{(c.EosTokenId!.Count == 1 ? c.EosTokenId[0].ToString() : "[" + string.Join(", ", c.EosTokenId) + "]")}},
          {{(c.HeadDim is int hd ? $"\"head_dim\": {hd}," : "")}}
          "hidden_act": "silu",
          "hidden_size": {{c.HiddenSize}},
          "initializer_range": 0.02,
          "intermediate_size": {{c.IntermediateSize}},
          "max_position_embeddings": {{c.MaxPositionEmbeddings}},
          "max_window_layers": 28,
          "model_type": "{{c.ModelType}}",
          "num_attention_heads": {{c.NumAttentionHeads}},
          "num_hidden_layers": {{c.NumHiddenLayers}},
          "num_key_value_heads": {{c.NumKeyValueHeads}},
          "rms_norm_eps": {{c.RmsNormEps:R}},
          "rope_scaling": null,
          "rope_theta": {{c.RopeTheta:R}},
          "sliding_window": null,
          "tie_word_embeddings": {{(c.TieWordEmbeddings ? "true" : "false")}},
          "torch_dtype": "float32",
          "transformers_version": "4.51.0",
          "use_cache": true,
          "use_sliding_window": false,
          "vocab_size": {{c.VocabSize}}
        }
        """;

    /// <summary>Two left-padded prompts of lengths 5 and 3: ids [2, 5] and mask [2, 5].</summary>
    public static (Tensor Ids, Tensor Mask) LeftPaddedPrompts()
    {
        var ids = tensor(new long[] { 11, 42, 7, 19, 60, 0, 0, 33, 8, 91 }, new long[] { 2, 5 });
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 0, 0, 1, 1, 1 }, new long[] { 2, 5 });
        return (ids, mask);
    }

    public static string NewFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "adrpo-qwen-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
