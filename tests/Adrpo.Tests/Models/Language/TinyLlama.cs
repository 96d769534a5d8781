namespace Adrpo.Tests.Models.Language;

/// <summary>Tiny Llama-family <c>config.json</c> texts written as Hugging Face writes them (fields the library ignores included).</summary>
internal static class TinyLlama
{
    /// <summary>Llama 3.x shape with every optional feature on: "llama3" RoPE scaling (original 64 positions, so that with
    /// head_dim 8 and theta 10,000 the four wavelengths 6.3, 63, 628 and 6283 fall in all three bands), q/k/v/o and MLP
    /// biases, GQA, head_dim absent (= 32 / 4), untied head.</summary>
    public const string Llama3 = """
        {
          "architectures": ["LlamaForCausalLM"],
          "attention_bias": true,
          "attention_dropout": 0.0,
          "bos_token_id": 1,
          "eos_token_id": [2, 3],
          "hidden_act": "silu",
          "hidden_size": 32,
          "initializer_range": 0.02,
          "intermediate_size": 48,
          "max_position_embeddings": 512,
          "mlp_bias": true,
          "model_type": "llama",
          "num_attention_heads": 4,
          "num_hidden_layers": 2,
          "num_key_value_heads": 2,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 64, "rope_type": "llama3"},
          "rope_theta": 10000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "float32",
          "transformers_version": "4.45.0",
          "use_cache": true,
          "vocab_size": 97
        }
        """;

    /// <summary>SmolLM2 shape: a plain Llama, tied embeddings, one key/value head, no biases, no RoPE scaling.</summary>
    public const string SmolLm2 = """
        {
          "architectures": ["LlamaForCausalLM"],
          "attention_bias": false,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "head_dim": 8,
          "hidden_act": "silu",
          "hidden_size": 32,
          "intermediate_size": 64,
          "max_position_embeddings": 8192,
          "mlp_bias": false,
          "model_type": "llama",
          "num_attention_heads": 4,
          "num_hidden_layers": 2,
          "num_key_value_heads": 1,
          "pad_token_id": 2,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_interleaved": false,
          "rope_scaling": null,
          "rope_theta": 100000,
          "tie_word_embeddings": true,
          "torch_dtype": "bfloat16",
          "vocab_size": 97
        }
        """;

    /// <summary>Mistral shape: head_dim 16 != hidden / heads, no sliding window, untied.</summary>
    public const string Mistral = """
        {
          "architectures": ["MistralForCausalLM"],
          "attention_dropout": 0.0,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "head_dim": 16,
          "hidden_act": "silu",
          "hidden_size": 32,
          "initializer_range": 0.02,
          "intermediate_size": 48,
          "max_position_embeddings": 512,
          "model_type": "mistral",
          "num_attention_heads": 4,
          "num_hidden_layers": 2,
          "num_key_value_heads": 2,
          "rms_norm_eps": 1e-05,
          "rope_theta": 1000000.0,
          "sliding_window": null,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "use_cache": true,
          "vocab_size": 97
        }
        """;
}
