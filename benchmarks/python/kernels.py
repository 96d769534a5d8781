"""Single kernels and per-op overhead for `Adrpo.Benchmarks torch-vs-pytorch`, mirrored by
benchmarks/Adrpo.Benchmarks/Kernels.cs: the layers that dominate the two training steps, each forward + backward on
fixed inputs (backward with a fixed upstream gradient, so no reduction kernel is timed)."""
import math
import time

import torch
import torch.nn.functional as F


def _fwd_bwd(forward, grad_shape, *leaves):
    g = torch.randn(grad_shape)
    return lambda: forward(*leaves).backward(g)


def make():
    r = torch.randn
    x128, w384 = r(1024, 128, requires_grad=True), r(384, 128)
    x512, w128 = r(1024, 512, requires_grad=True), r(128, 512)
    h, head = r(512, 256, requires_grad=True), r(4096, 256, requires_grad=True)
    q, k, v = (r(16, 4, 64, 32, requires_grad=True) for _ in range(3))
    tokens, wide, logits = r(16, 64, 128, requires_grad=True), r(16, 64, 512, requires_grad=True), r(8, 63, 4096, requires_grad=True)
    scale = 1.0 / math.sqrt(32)
    a128, b384, h8, bias384 = r(8, 128, requires_grad=True), r(384, 8, requires_grad=True), r(1024, 8, requires_grad=True), r(384)
    a512, b128, bias128 = r(8, 512, requires_grad=True), r(128, 8, requires_grad=True), r(128)
    ck, cv = r(16, 4, 13, 32, requires_grad=True), r(16, 4, 13, 32, requires_grad=True)
    hidden = (torch.arange(13) < 6).reshape(1, 1, 1, 13).expand(16, 1, 1, 13).contiguous().logical_not()
    hidden_t = hidden.reshape(16, 1, 13, 1)
    g384, w13, w13t = r(1024, 384), r(16, 4, 64, 13), r(16, 4, 13, 64)

    def lora(x, w, b, a, up):
        return F.linear(x, w, b) + F.linear(F.linear(x, a), up) * 2.0

    return {
        "linear fwd [1024,128]->384": lambda: F.linear(x128.detach(), w384),
        "linear fwd+bwd [1024,128]->384": _fwd_bwd(lambda a: F.linear(a, w384), (1024, 384), x128),
        "linear fwd+bwd [1024,512]->128": _fwd_bwd(lambda a: F.linear(a, w128), (1024, 128), x512),
        "LM head fwd+bwd [512,256]->4096": _fwd_bwd(F.linear, (512, 4096), h, head),
        "attention (math) fwd+bwd [16,4,64,32]": _fwd_bwd(lambda a, b, c: torch.softmax(a.matmul(b.transpose(-2, -1)) * scale, -1).matmul(c), (16, 4, 64, 32), q, k, v),
        "LoRA A fwd+bwd [1024,128]->8": _fwd_bwd(lambda a: F.linear(a, a128), (1024, 8), x128),
        "LoRA B fwd+bwd [1024,8]->384": _fwd_bwd(lambda a: F.linear(a, b384), (1024, 384), h8),
        "GEMM dL/dh [1024,384]x[384,8] (PEFT form)": lambda: g384.mm(b384.detach()),
        "GEMM dL/dh^T [8,384]x[384,1024] (LoraLinear)": lambda: b384.detach().t().mm(g384.t()),
        "GEMM dL/dB [384,1024]x[1024,8] (PEFT form)": lambda: g384.t().mm(h8.detach()),
        "GEMM dL/dB^T [8,1024]x[1024,384] (LoraLinear)": lambda: h8.detach().t().mm(g384),
        "LoRA linear fwd+bwd [1024,128]->384 r8 (PEFT form)": _fwd_bwd(lambda a: lora(a, w384, bias384, a128, b384), (1024, 384), x128),
        "LoRA linear fwd+bwd [1024,512]->128 r8 (PEFT form)": _fwd_bwd(lambda a: lora(a, w128, bias128, a512, b128), (1024, 128), x512),
        "softmax over the last dim of [16,4,64,13]": lambda: w13.softmax(-1),
        "softmax over dim 2 of [16,4,13,64]": lambda: w13t.softmax(2),
        "cross-attention (math, queries first) fwd+bwd [16,4,64|13,32]": _fwd_bwd(
            lambda a, b, c: torch.softmax((a.matmul(b.transpose(-2, -1)) * scale).masked_fill(hidden, float("-inf")), -1).matmul(c), (16, 4, 64, 32), q, ck, cv),
        "cross-attention (math, keys first, as DitCrossAttention) fwd+bwd": _fwd_bwd(
            lambda a, b, c: (b.matmul(a.transpose(-2, -1)) * scale).masked_fill(hidden_t, float("-inf")).softmax(2).transpose(-2, -1).matmul(c), (16, 4, 64, 32), q, ck, cv),
        "layer_norm fwd+bwd [16,64,128]": _fwd_bwd(lambda a: F.layer_norm(a, (128,), eps=1e-6), (16, 64, 128), tokens),
        "gelu(tanh) fwd+bwd [16,64,512]": _fwd_bwd(lambda a: F.gelu(a, approximate="tanh"), (16, 64, 512), wide),
        "logsumexp fwd+bwd [8,63,4096]": _fwd_bwd(lambda a: a.logsumexp(-1), (8, 63), logits),
    }


def run(kernels, reps):
    result = {}
    for name, kernel in kernels.items():
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            kernel()
            times.append((time.perf_counter() - start) * 1e3)
        result[name] = times
    return result


def ops(count):
    """Microseconds per tiny op: plain adds, then adds on a tensor that requires grad (autograd graph recorded)."""
    result = []
    for grad in (False, True):
        x = torch.ones(4, requires_grad=grad)
        y = torch.ones(4)
        for _ in range(200):
            x.add(y)
        start = time.perf_counter()
        for _ in range(count):
            x.add(y)
        result.append((time.perf_counter() - start) * 1e6 / count)
    return result
