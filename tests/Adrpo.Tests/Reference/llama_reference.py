#!/usr/bin/python3
"""Independent Llama-family forward pass (LlamaForCausalLM: Llama 2/3.x, SmolLM2; MistralForCausalLM), read straight
from a checkpoint folder: config.json and model.safetensors are parsed here (not by the C# code), the defaults are the
Hugging Face ones (num_key_value_heads = heads, head_dim = hidden / heads, rope_theta 10,000, attention_bias and
mlp_bias false, untied), and rope_scaling "llama3" rescales the inverse frequencies as modeling_rope_utils.py describes
it: wavelengths 2*pi/f shorter than original/high_freq_factor keep f, longer than original/low_freq_factor get
f/factor, and those in between are blended, (1 - s) f/factor + s f with s = (original/wavelength - low)/(high - low).
The decoder itself is qwen_reference.forward (the Llama architecture is Qwen2's: pre-norm, RMSNorm, rotate-half RoPE,
grouped-query attention, SwiGLU); biases are used wherever the checkpoint holds them.

Usage: /usr/bin/python3 llama_reference.py INPUT.json OUTPUT.json

INPUT holds, per case prefix P (one case per P"input_ids" key), P"folder" (the checkpoint folder) and the batch
P"input_ids", P"attention_mask" ({"shape": [...], "data": [...]}); OUTPUT holds P"logits" [B, T, V]. Float32 throughout.
"""
import json
import math
import os
import struct
import sys

import torch

from qwen_reference import default_inv_freq, forward, load

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def read_safetensors(path):
    """The safetensors layout: u64 little-endian header length, a JSON header {key: {dtype, shape, data_offsets}}, data."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    out = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = bytearray(data[start:end])
        tensor = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]) if raw else torch.zeros(0, dtype=DTYPES[entry["dtype"]])
        out[key] = tensor.reshape(entry["shape"]).float()
    return out


def llama3_inv_freq(inv_freq, scaling):
    factor = float(scaling["factor"])
    low, high = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
    original = float(scaling["original_max_position_embeddings"])
    wavelength = 2 * math.pi / inv_freq
    long_waves = wavelength > original / low
    short_waves = wavelength < original / high
    s = (original / wavelength - low) / (high - low)
    blended = (1 - s) * inv_freq / factor + s * inv_freq
    return torch.where(short_waves, inv_freq, torch.where(long_waves, inv_freq / factor, blended))


def settings(config):
    heads = config["num_attention_heads"]
    return {
        "heads": heads,
        "kv_heads": config.get("num_key_value_heads") or heads,
        "head_dim": config.get("head_dim") or config["hidden_size"] // heads,
        "layers": config["num_hidden_layers"],
        "eps": config["rms_norm_eps"],
        "theta": config.get("rope_theta") or 10000.0,
        "tied": 1 if config.get("tie_word_embeddings", False) else 0,
    }


def main():
    inputs = load(sys.argv[1])
    result = {}
    with torch.no_grad():
        for prefix in sorted(k[: -len("input_ids")] for k in inputs if k.endswith("input_ids")):
            folder = inputs[prefix + "folder"]
            with open(os.path.join(folder, "config.json")) as f:
                config = json.load(f)
            assert config["model_type"] in ("llama", "mistral"), config["model_type"]
            assert config.get("hidden_act", "silu") == "silu"
            s = settings(config)
            inv_freq = default_inv_freq(float(s["theta"]), int(s["head_dim"]))
            scaling = config.get("rope_scaling")
            if scaling is not None:
                assert scaling.get("rope_type", scaling.get("type")) == "llama3", scaling
                inv_freq = llama3_inv_freq(inv_freq, scaling)
            weights = read_safetensors(os.path.join(folder, "model.safetensors"))
            logits = forward(weights, s, inputs[prefix + "input_ids"].long(), inputs[prefix + "attention_mask"].long(), inv_freq)
            result[prefix + "logits"] = {"shape": list(logits.shape), "data": logits.double().reshape(-1).tolist()}
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
