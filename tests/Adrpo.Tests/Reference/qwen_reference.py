#!/usr/bin/python3
"""Independent Qwen2/Qwen3 forward pass, written from the Hugging Face architecture description (modeling_qwen2.py /
modeling_qwen3.py: pre-norm decoder, RMSNorm in float32, rotate-half RoPE, grouped-query attention with key/value
heads repeated per query group, Qwen3 per-head q_norm/k_norm before RoPE, Qwen2 q/k/v biases, SwiGLU MLP, optional
tied lm_head), not from the C# code. Position ids and the additive mask follow Hugging Face generate() for a
left-padded batch: position = cumsum(mask) - 1, keys that are padding or in the future get finfo.min.

Usage: /usr/bin/python3 qwen_reference.py INPUT.json OUTPUT.json

INPUT holds, per case prefix P (e.g. "qwen3."; one case per P"input_ids" key), the weights under "P<hf key>", the settings
P"heads", P"kv_heads", P"head_dim", P"layers", P"eps", P"theta", P"tied", and the batch P"input_ids",
P"attention_mask". Tensors are {"shape": [...], "data": [...]} (row-major); OUTPUT holds P"logits" [B, T, V].
Everything runs in float32, as a float32 Hugging Face model does.
"""
import json
import sys

import torch


def load(path):
    with open(path) as f:
        raw = json.load(f)
    out = {}
    for key, value in raw.items():
        if isinstance(value, dict) and "shape" in value:
            out[key] = torch.tensor(value["data"], dtype=torch.float64).reshape(value["shape"])
        else:
            out[key] = value
    return out


def rms_norm(x, weight, eps):
    x32 = x.to(torch.float32)
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x32.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def linear(x, w, prefix, name):
    y = x @ w[prefix + name + ".weight"].T
    bias = w.get(prefix + name + ".bias")
    return y if bias is None else y + bias


def default_inv_freq(theta, head_dim):
    """Plain RoPE frequencies theta^(-2i/d), float32 as in Qwen*RotaryEmbedding."""
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))


def forward(w, s, ids, attention_mask, inv_freq=None):
    """Logits [B, T, V]; inv_freq overrides the plain RoPE frequencies (llama_reference.py passes rescaled ones)."""
    heads, kv_heads, head_dim = int(s["heads"]), int(s["kv_heads"]), int(s["head_dim"])
    eps, theta = float(s["eps"]), float(s["theta"])
    batch, seq = ids.shape

    # Positions for a left-padded batch (padding gets a dummy position; its outputs are not compared).
    position_ids = attention_mask.long().cumsum(-1) - 1
    position_ids = position_ids.masked_fill(attention_mask == 0, 1)

    # RoPE tables, float32 as in Qwen*RotaryEmbedding.
    if inv_freq is None:
        inv_freq = default_inv_freq(theta, head_dim)
    freqs = position_ids[:, :, None].float() * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, hd]

    # Additive mask [B, 1, T, T]: causal and padding.
    minimum = torch.finfo(torch.float32).min
    causal = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
    blocked = causal[None, None] | (attention_mask[:, None, None, :] == 0)
    additive = torch.zeros(batch, 1, seq, seq).masked_fill(blocked, minimum)

    h = w["model.embed_tokens.weight"][ids]
    for i in range(int(s["layers"])):
        p = f"model.layers.{i}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = linear(x, w, p, "self_attn.q_proj").view(batch, seq, heads, head_dim)
        k = linear(x, w, p, "self_attn.k_proj").view(batch, seq, kv_heads, head_dim)
        v = linear(x, w, p, "self_attn.v_proj").view(batch, seq, kv_heads, head_dim)
        if p + "self_attn.q_norm.weight" in w:  # Qwen3: per-head RMSNorm before RoPE
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = heads // kv_heads  # each kv head serves `groups` consecutive query heads
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        scores = q @ k.transpose(2, 3) * head_dim ** -0.5 + additive
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        attn = (probs @ v).transpose(1, 2).reshape(batch, seq, heads * head_dim)
        h = h + linear(attn, w, p, "self_attn.o_proj")
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(x, w, p, "mlp.gate_proj")
        up = linear(x, w, p, "mlp.up_proj")
        h = h + linear(torch.nn.functional.silu(gate) * up, w, p, "mlp.down_proj")
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if int(s["tied"]) else w["lm_head.weight"]
    return h @ head.T


def main():
    inputs = load(sys.argv[1])
    result = {}
    with torch.no_grad():
        for prefix in sorted(k[: -len("input_ids")] for k in inputs if k.endswith("input_ids")):
            own = {k[len(prefix):]: v for k, v in inputs.items() if k.startswith(prefix)}
            weights = {k: v.float() for k, v in own.items() if k.startswith(("model.", "lm_head."))}
            logits = forward(weights, own, own["input_ids"].long(), own["attention_mask"].long())
            result[prefix + "logits"] = {"shape": list(logits.shape), "data": logits.double().reshape(-1).tolist()}
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
