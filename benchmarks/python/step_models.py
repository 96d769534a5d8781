"""PyTorch mirrors of Adrpo's Qwen3 (src/Adrpo/Models/Language) and DiT + LoRA (src/Adrpo/Models/Dit, Models/Lora)
modules, op for op and with the same state-dict names, so the weights the C# side saves load with strict=True.
PyTorch 1.13 has no public scaled_dot_product_attention: the DiT attentions use the math form softmax(q k^T / sqrt(d)) v,
the cross-attention's boolean key mask as SDPA reads it (a False key is excluded from the softmax: -inf before it), with
the scores keys first as DitCrossAttention.cs computes them.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


class RmsNorm(nn.Module):  # Models/Transformer/RmsNorm.cs
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        normalised = x32 * (x32.square().mean(-1, keepdim=True) + self.eps).rsqrt()
        return self.weight * normalised.to(x.dtype)


def rotary_apply(x, cos, sin):  # Models/Transformer/RotaryEmbedding.Apply
    half = x.shape[3] // 2
    rotated = torch.cat([x.narrow(3, half, half).neg(), x.narrow(3, 0, half)], 3)
    return x * cos + rotated * sin


class QwenAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c["heads"], c["kv_heads"], c["head_dim"]
        h = c["hidden"]
        self.q_proj = nn.Linear(h, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, h, bias=False)
        self.q_norm = RmsNorm(self.head_dim, c["eps"])
        self.k_norm = RmsNorm(self.head_dim, c["eps"])

    def repeat_kv(self, x):
        groups = self.heads // self.kv_heads
        if groups == 1:
            return x
        b, _, length, _ = x.shape
        return x.unsqueeze(2).expand(b, self.kv_heads, groups, length, self.head_dim).reshape(b, self.heads, length, self.head_dim)

    def forward(self, hidden, cos, sin, allowed):
        b, t = hidden.shape[0], hidden.shape[1]
        q = self.q_norm(self.q_proj(hidden).view(b, t, self.heads, self.head_dim))
        k = self.k_norm(self.k_proj(hidden).view(b, t, self.kv_heads, self.head_dim))
        v = self.v_proj(hidden).view(b, t, self.kv_heads, self.head_dim)
        q = rotary_apply(q.transpose(1, 2), cos, sin)
        k = rotary_apply(k.transpose(1, 2), cos, sin)
        v = v.transpose(1, 2)
        k, v = self.repeat_kv(k), self.repeat_kv(v)
        scores = q.matmul(k.transpose(2, 3)).float() * (1.0 / math.sqrt(self.head_dim))
        scores = scores.masked_fill(allowed.logical_not(), torch.finfo(torch.float32).min)
        weights = scores.softmax(-1).to(q.dtype)
        out = weights.matmul(v).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
        return self.o_proj(out)


class QwenMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.up_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.down_proj = nn.Linear(c["intermediate"], c["hidden"], bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class QwenDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = QwenAttention(c)
        self.mlp = QwenMlp(c)
        self.input_layernorm = RmsNorm(c["hidden"], c["eps"])
        self.post_attention_layernorm = RmsNorm(c["hidden"], c["eps"])

    def forward(self, hidden, cos, sin, allowed):
        h = hidden + self.self_attn(self.input_layernorm(hidden), cos, sin, allowed)
        return h + self.mlp(self.post_attention_layernorm(h))


class QwenModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList([QwenDecoderLayer(c) for _ in range(c["layers"])])
        self.norm = RmsNorm(c["hidden"], c["eps"])
        d = c["head_dim"]
        self.inv_freq = torch.tensor([1.0 / math.pow(c["theta"], 2.0 * i / d) for i in range(d // 2)], dtype=torch.float64)

    def forward(self, ids, mask):  # QwenModel.forward without a cache
        b, t = ids.shape
        keep = mask.ne(0)
        positions = (keep.long().cumsum(1) - 1).clamp_min(0).narrow(1, 0, t)
        query_at = torch.arange(0, t, dtype=torch.int64).unsqueeze(1)
        key_at = torch.arange(0, t, dtype=torch.int64).unsqueeze(0)
        allowed = key_at.le(query_at).unsqueeze(0).unsqueeze(0).logical_and(keep.unsqueeze(1).unsqueeze(1))
        hidden = self.embed_tokens(ids)
        angles = positions.double().unsqueeze(-1) * self.inv_freq
        full = torch.cat([angles, angles], -1).unsqueeze(1)
        cos, sin = full.cos().to(hidden.dtype), full.sin().to(hidden.dtype)
        for layer in self.layers:
            hidden = layer(hidden, cos, sin, allowed)
        return self.norm(hidden)


class QwenForCausalLM(nn.Module):  # tied head
    def __init__(self, c):
        super().__init__()
        self.model = QwenModel(c)

    def forward(self, ids, mask):
        return F.linear(self.model(ids, mask), self.model.embed_tokens.weight)


class LoraLinear(nn.Module):  # Models/Lora/LoraLinear.cs
    enabled = True  # class-wide switch, as DitVelocityModel.AdaptersEnabled sets every adapter

    def __init__(self, inp, out, rank, alpha):
        super().__init__()
        self.base_layer = nn.Linear(inp, out)
        self.lora_A = nn.Linear(inp, rank, bias=False)
        self.lora_B = nn.Linear(rank, out, bias=False)
        self.scale = alpha / rank

    def forward(self, x):
        if not LoraLinear.enabled:
            return self.base_layer(x)
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scale


class DitAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.heads = c["heads"]
        self.qkv = LoraLinear(h, 3 * h, c["rank"], c["alpha"])
        self.proj = LoraLinear(h, h, c["rank"], c["alpha"])

    def forward(self, x):
        b, n, h = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attended = torch.softmax(q.matmul(k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1])), -1).matmul(v)
        return self.proj(attended.transpose(1, 2).reshape(b, n, h))


class DitCrossAttention(nn.Module):  # Models/Dit/DitCrossAttention.cs
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.heads = c["heads"]
        self.q = LoraLinear(h, h, c["rank"], c["alpha"])
        self.kv = LoraLinear(h, 2 * h, c["rank"], c["alpha"])
        self.proj = LoraLinear(h, h, c["rank"], c["alpha"])

    def forward(self, x, context, key_mask):
        b, n, h = x.shape
        k_len, d = context.shape[1], h // self.heads
        q = self.q(x).reshape(b, n, self.heads, d).transpose(1, 2)
        kvs = self.kv(context).reshape(b, k_len, 2, self.heads, d).permute(2, 0, 3, 1, 4)
        scores = kvs[0].matmul(q.transpose(-2, -1)) * (1.0 / math.sqrt(d))  # keys first [B, h, K, N], as the C# layer
        weights = scores.masked_fill(key_mask.transpose(-2, -1).logical_not(), float("-inf")).softmax(2)
        attended = weights.transpose(-2, -1).matmul(kvs[1])
        return self.proj(attended.transpose(1, 2).reshape(b, n, h))


class DitMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = LoraLinear(c["hidden"], c["mlp"], c["rank"], c["alpha"])
        self.fc2 = LoraLinear(c["mlp"], c["hidden"], c["rank"], c["alpha"])

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def modulate(x, shift, scale):
    return (x * (1 + scale)) + shift


class DitBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.norm1 = nn.LayerNorm(h, eps=1e-6, elementwise_affine=False)
        self.attn = DitAttention(c)
        self.norm2 = nn.LayerNorm(h, eps=1e-6, elementwise_affine=False)
        self.mlp = DitMlp(c)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(h, 6 * h))
        if c.get("tokens", 0) > 0:
            self.norm_cross = nn.LayerNorm(h, eps=1e-6)
            self.cross_attn = DitCrossAttention(c)

    def forward(self, x, c, context, mask):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).unsqueeze(1).chunk(6, dim=2)
        x = x + gate_msa * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
        if context is not None:
            x = x + self.cross_attn(self.norm_cross(x), context, mask)
        return x + gate_mlp * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))


class FinalLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.norm_final = nn.LayerNorm(h, eps=1e-6, elementwise_affine=False)
        self.linear = nn.Linear(h, c["patch"] * c["patch"] * c["channels"])
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(h, 2 * h))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).unsqueeze(1).chunk(2, dim=2)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class PatchEmbed(nn.Module):
    def __init__(self, c):
        super().__init__()
        grid = c["sample"] // c["patch"]
        self.proj = nn.Conv2d(c["channels"], c["hidden"], kernel_size=c["patch"], stride=c["patch"])
        self.register_buffer("pos_embed", torch.zeros(1, grid * grid, c["hidden"]))

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2) + self.pos_embed


class TimestepEmbedding(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.size = c["frequency"]
        self.mlp = nn.Sequential(nn.Linear(self.size, c["hidden"]), nn.SiLU(), nn.Linear(c["hidden"], c["hidden"]))

    def forward(self, t):
        half = self.size // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=t.dtype) / half)
        args = (t * 1000.0).unsqueeze(1) * freqs.unsqueeze(0)
        return self.mlp(torch.cat([args.cos(), args.sin()], 1))


class DitVelocityModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.x_embedder = PatchEmbed(c)
        self.t_embedder = TimestepEmbedding(c)
        self.y_embedder = nn.Linear(c["condition"], c["hidden"])
        self.tokens = c.get("tokens", 0)
        if self.tokens > 0:
            self.context_embedder = nn.Sequential(nn.LayerNorm(c["condition"], eps=1e-6), nn.Linear(c["condition"], c["hidden"]))
        self.blocks = nn.ModuleList([DitBlock(c) for _ in range(c["layers"])])
        self.final_layer = FinalLayer(c)
        for name, p in self.named_parameters():  # AddLoraAdapters: only the adapters train
            p.requires_grad_(".lora_" in name)

    def embed_context(self, condition):  # DitVelocityModel.EmbedContext: slot 0 (pooled) always visible, zero slots hidden
        b = condition.shape[0]
        slots = condition.reshape(b, 1 + self.tokens, self.c["condition"])
        filled = slots.abs().amax(2) > 0
        always_first = torch.arange(1 + self.tokens).eq(0).unsqueeze(0)
        return self.context_embedder(slots), (filled | always_first).reshape(b, 1, 1, 1 + self.tokens)

    def forward(self, xt, t, condition):
        x = self.x_embedder(xt)
        condition = condition.to(xt.dtype)
        pooled = condition.narrow(1, 0, self.c["condition"]) if self.tokens > 0 else condition
        c = self.t_embedder(t.to(xt.dtype)) + self.y_embedder(pooled)
        context, mask = self.embed_context(condition) if self.tokens > 0 else (None, None)
        for block in self.blocks:
            x = block(x, c, context, mask)
        patches = self.final_layer(x, c)
        b, p, ch, grid = xt.shape[0], self.c["patch"], self.c["channels"], self.c["sample"] // self.c["patch"]
        x = patches.reshape(b, grid, grid, p, p, ch).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(b, ch, grid * p, grid * p)
