#!/usr/bin/python3
"""PyTorch-eager side of `Adrpo.Benchmarks torch-vs-pytorch`: the same training steps as
benchmarks/Adrpo.Benchmarks/StepCases.cs (forward -> GRPO/ADRPO or ADRPO flow-matching loss -> backward -> gradient
clipping -> AdamW), on the weights and batch the C# side saved.

Driven over stdin/stdout, one command per line, one reply line each ("ok ..." or "error ..."), so process start-up and
imports stay out of every timing:
  setup NAME FOLDER      load FOLDER/config.json, weights.safetensors, inputs.safetensors as case NAME
  check NAME FILE        one forward/backward without an update; write output, loss and gradients to FILE
  threads N              torch.set_num_threads(N) and the same for OpenBLAS; replies the counts in effect
  run NAME STEPS         STEPS training steps; replies per-step milliseconds and the phase split (wall and thread CPU)
  reference NAME         (lm) a no-grad forward and its token log-probs, kept as the case's ref_logp; replies milliseconds
  ops COUNT              per-op overhead: COUNT small adds (plain, then autograd-tracked); replies microseconds per op
  kernels REPS           REPS forward+backward runs of each kernel in kernels.py; replies milliseconds per run
  quit
Needs Debian's python3-torch (1.13); safetensors is parsed here, the package is not needed. Run with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset so OpenBLAS picks its kernels for this CPU.
"""
import ctypes
import json
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernels  # noqa: E402
import step_models  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "BOOL": np.bool_, "U8": np.uint8}
NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(raw, dtype=DTYPES[entry["dtype"]], count=(end - begin) // np.dtype(DTYPES[entry["dtype"]]).itemsize,
                              offset=8 + length + begin)
        out[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def group_advantages(rewards, group, scale, eps=1e-4):  # Advantages/GroupAdvantages.Compute, op for op
    groups = torch.arange(rewards.shape[0] // group, dtype=torch.int64).repeat_interleave(group)
    count = int(groups.max().item()) + 1
    counts = torch.zeros(count, dtype=rewards.dtype).index_add_(0, groups, torch.ones_like(rewards), alpha=1)
    sums = torch.zeros(count, dtype=rewards.dtype).index_add_(0, groups, rewards, alpha=1)
    advantages = rewards - (sums / counts.clamp_min(1)).index_select(0, groups)
    if scale:  # AdvantageScaling.Group: unbiased std per group
        squares = torch.zeros(count, dtype=rewards.dtype).index_add_(0, groups, advantages.square(), alpha=1)
        std = (squares / (counts - 1).clamp_min(1)).sqrt()
        advantages = advantages / (std.index_select(0, groups) + eps)
    return advantages


def adaptive_beta(advantages, c):  # AdaptiveDivergenceCoefficient: beta0 - clip(A, Amin, Amax)
    return advantages.clamp(c["amin"], c["amax"]).neg().add_(c["beta0"])


def grpo_loss(logits, ids, ref_logp, rewards, mask, c):  # TokenLogProbs + GrpoLoss (one update: old = logp.detach())
    positions = logits.shape[1] - 1
    predicting = logits.narrow(1, 0, positions)
    targets = ids.narrow(1, 1, positions).unsqueeze(-1)
    logp = predicting.gather(-1, targets).squeeze(-1) - predicting.logsumexp(-1)
    advantages = group_advantages(rewards, c["group"], True)
    beta = adaptive_beta(advantages, c)
    a = advantages.detach().unsqueeze(1)
    ratio = (logp - logp.detach()).exp()
    policy = torch.minimum(ratio * a, ratio.clamp(0.8, 1.2) * a).neg()
    clipped = (((ratio < 0.8) & (a < 0)) | ((ratio > 1.2) & (a > 0))).to(logp.dtype)
    r = ref_logp - logp
    kl = r.exp() - r - 1
    penalty = beta.detach().unsqueeze(1) * kl

    def reduce(per_token):  # LossAggregation.Grpo
        masked = per_token * mask
        return (masked.sum(1) / mask.sum(1).clamp_min(1)).mean()

    def mean(per_token):  # LossAggregation.Bnpo
        return (per_token * mask).sum() / mask.sum().clamp_min(1)

    loss = reduce(policy + penalty)
    reduce(policy).detach(), reduce(penalty).detach(), mean(kl.detach()), mean(clipped)  # the metrics GrpoLoss returns
    return loss


def per_sample_error(a, b):  # VelocityError.PerSample
    return (a - b).square().flatten(1).mean(1)


class Case:
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.c = json.load(f)
        self.inputs = read_safetensors(os.path.join(folder, "inputs.safetensors"))
        self.model = step_models.QwenForCausalLM(self.c) if self.c["kind"] == "lm" else step_models.DitVelocityModel(self.c)
        self.model.load_state_dict(read_safetensors(os.path.join(folder, "weights.safetensors")), strict=True)
        self.model.train()
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.trainable, lr=self.c["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=False)

    def forward(self):
        i = self.inputs
        if self.c["kind"] == "lm":
            return self.model(i["input_ids"], i["attention_mask"])
        return self.model(i["xt"], i["t"], i["condition"])

    def loss(self, output):
        i, c = self.inputs, self.c
        if c["kind"] == "lm":
            return grpo_loss(output, i["input_ids"], i["ref_logp"], i["rewards"], i["loss_mask"], c)
        with torch.no_grad():
            step_models.LoraLinear.enabled = False  # the base model is the reference
            reference = self.forward().detach()
            step_models.LoraLinear.enabled = True
        advantages = group_advantages(i["rewards"], c["group"], False).clamp(-1, 1)
        beta = adaptive_beta(advantages, c)
        matching = per_sample_error(output, i["u"].detach())
        w2 = per_sample_error(output, reference.detach())
        weighted_matching, weighted_w2 = advantages.detach() * matching, beta.detach() * w2
        loss = (weighted_matching + weighted_w2).mean()
        weighted_matching.mean().detach(), weighted_w2.mean().detach(), w2.mean().detach()  # the metrics the C# loss returns
        return loss

    def step(self, phases, cpu_phases):  # cpu_phases: the thread's CPU time (time.thread_time), as ThreadCpuClock.cs
        start, c0 = time.perf_counter(), time.thread_time()
        self.optimizer.zero_grad(set_to_none=False)
        output = self.forward()
        t1, c1 = time.perf_counter(), time.thread_time()
        loss = self.loss(output)
        value = loss.item()
        t2, c2 = time.perf_counter(), time.thread_time()
        loss.backward()
        t3, c3 = time.perf_counter(), time.thread_time()
        torch.nn.utils.clip_grad_norm_(self.trainable, self.c["clip"])
        self.optimizer.step()
        t4, c4 = time.perf_counter(), time.thread_time()
        for k, (a, b) in enumerate([(start, t1), (t1, t2), (t2, t3), (t3, t4)]):
            phases[k].append((b - a) * 1e3)
        for k, (a, b) in enumerate([(c0, c1), (c1, c2), (c2, c3), (c3, c4)]):
            cpu_phases[k].append((b - a) * 1e3)
        return (t4 - start) * 1e3 if value == value else float("nan")

    def reference(self):  # the trainer's reference pass: no autograd, log-probs of the batch's own tokens
        start = time.perf_counter()
        with torch.no_grad():
            logits = self.forward()
            positions = logits.shape[1] - 1
            predicting = logits.narrow(1, 0, positions)
            targets = self.inputs["input_ids"].narrow(1, 1, positions).unsqueeze(-1)
            self.inputs["ref_logp"] = predicting.gather(-1, targets).squeeze(-1) - predicting.logsumexp(-1)
            del logits, predicting
        return (time.perf_counter() - start) * 1e3

    def check(self, path):
        for p in self.trainable:
            if p.grad is not None:
                p.grad.zero_()
        output = self.forward()
        loss = self.loss(output)
        loss.backward()
        result = {"output": output.detach(), "loss": loss.detach().reshape(1)}
        for name, p in self.model.named_parameters():
            if p.requires_grad:
                result["grad." + name] = p.grad.clone()
        write_safetensors(path, result)


def openblas():
    try:
        return ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None


def main():
    cases, blas, bench = {}, openblas(), None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "quit":
                break
            if words[0] == "setup":
                cases[words[1]] = Case(words[2])
                reply = "ok torch " + torch.__version__
            elif words[0] == "check":
                cases[words[1]].check(words[2])
                reply = "ok"
            elif words[0] == "threads":
                n = int(words[1])
                torch.set_num_threads(n)
                if blas is not None:
                    blas.openblas_set_num_threads(n)
                reply = f"ok {torch.get_num_threads()} {blas.openblas_get_num_threads() if blas is not None else -1}"
            elif words[0] == "reference":
                reply = f"ok {cases[words[1]].reference():.3f}"
            elif words[0] == "run":
                phases, cpu_phases = [[], [], [], []], [[], [], [], []]
                times = [cases[words[1]].step(phases, cpu_phases) for _ in range(int(words[2]))]
                reply = "ok " + json.dumps({"steps": times, "phases": phases, "cpu_phases": cpu_phases})
            elif words[0] == "ops":
                reply = "ok " + json.dumps(kernels.ops(int(words[1])))
            elif words[0] == "kernels":
                bench = bench or kernels.make()
                reply = "ok " + json.dumps(kernels.run(bench, int(words[1])))
            else:
                reply = "error unknown command " + words[0]
        except Exception as e:  # reported to the C# side, which stops
            reply = f"error {type(e).__name__}: {e}".replace("\n", " ")
        print(reply, flush=True)


if __name__ == "__main__":
    main()
