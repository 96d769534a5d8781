#!/usr/bin/python3
"""Independent reference for Adrpo's losses, written from the formulas in the ADRPO paper and the cited
methods (GRPO, DAPO, Dr. GRPO, DPO, ORW-CFM-W2, RAFT, Diffusion-DPO, Flow-GRPO), not from the C# code.

Usage: /usr/bin/python3 adrpo_reference.py INPUT.json OUTPUT.json

INPUT holds tensors as {"shape": [...], "data": [flat row-major numbers]} and plain numbers for settings.
OUTPUT holds the same kind of tensors: every intermediate value, loss and gradient the C# test compares.
Everything is computed in float64 with Debian's PyTorch (python3-torch).
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


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


def dump(values, path):
    out = {}
    for key, value in values.items():
        t = value.detach().to(torch.float64)
        out[key] = {"shape": list(t.shape), "data": t.reshape(-1).tolist()}
    with open(path, "w") as f:
        json.dump(out, f)


# ---------- advantages and coefficients (ADRPO section 3.3.2, Algorithm 1 lines 11-14; eq. 4) ----------

def group_advantages(rewards, group_size, scale):
    """A = R - mean of the prompt's group; 'group'/'batch' divide by torch.std (unbiased) + 1e-4 like TRL."""
    grouped = rewards.view(-1, group_size)
    mean = grouped.mean(dim=1, keepdim=True)
    adv = (grouped - mean).reshape(-1)
    if scale == "group":
        std = grouped.std(dim=1, keepdim=True) if group_size > 1 else torch.zeros_like(mean)
        adv = adv / (std.expand_as(grouped).reshape(-1) + 1e-4)
    elif scale == "batch":
        adv = adv / (rewards.std() + 1e-4)
    return adv


def adaptive_beta(adv, beta0, a_min, a_max):
    return beta0 - torch.clamp(adv, min=a_min, max=a_max)


# ---------- language-model losses (GRPO eq. 3, ADRPO-GRPO eq. 7) ----------

def shifted_token_logp(logits, ids, temperature):
    scaled = logits[:, :-1, :] / temperature
    logp_all = torch.log_softmax(scaled, dim=-1)
    return torch.gather(logp_all, 2, ids[:, 1:].unsqueeze(2)).squeeze(2)


def shifted_entropy(logits, temperature):
    p = torch.softmax(logits[:, :-1, :] / temperature, dim=-1)
    return -(p * torch.log(p)).sum(dim=-1)


def k3(logp, ref):
    delta = ref - logp
    return torch.exp(delta) - delta - 1.0


def aggregate(per_token, mask, loss_type, max_len, global_tokens):
    if loss_type == "grpo":
        per_seq = (per_token * mask).sum(-1) / torch.clamp(mask.sum(-1), min=1.0)
        return per_seq.mean()
    if loss_type == "bnpo":
        return (per_token * mask).sum() / torch.clamp(mask.sum(), min=1.0)
    if loss_type == "dr_grpo":
        return (per_token * mask).sum() / (per_token.size(0) * max_len)
    if loss_type == "dapo":
        return (per_token * mask).sum() / global_tokens
    raise ValueError(loss_type)


def grpo_objective(logits, ids, mask, old_logp, ref_logp, adv, beta, eps_low, eps_high, temperature, loss_type, max_len, global_tokens):
    logp = shifted_token_logp(logits, ids, temperature)
    ratio = torch.exp(logp - old_logp)
    a = adv.unsqueeze(1)
    surrogate = torch.min(ratio * a, torch.clamp(ratio, 1 - eps_low, 1 + eps_high) * a)
    per_token = -surrogate + beta.unsqueeze(1) * k3(logp, ref_logp)
    return aggregate(per_token, mask, loss_type, max_len, global_tokens)


def language(inp, out):
    logits = inp["logits"]
    ids = inp["input_ids"].long()
    mask = inp["mask"]
    old_logp, ref_logp, rewards = inp["old_logp"], inp["ref_logp"], inp["rewards"]
    g = int(inp["group_size"])
    temperature = inp["temperature"]

    out["adv_none"] = group_advantages(rewards, g, "none")
    out["adv_group"] = group_advantages(rewards, g, "group")
    out["adv_batch"] = group_advantages(rewards, g, "batch")
    adv = out["adv_group"]
    betas = {
        "adaptive": adaptive_beta(adv, inp["beta0"], inp["a_min"], inp["a_max"]),
        "fixed": torch.full_like(adv, inp["fixed_beta"]),
    }
    out["beta_adaptive"] = betas["adaptive"]
    out["token_logp"] = shifted_token_logp(logits, ids, temperature)
    out["token_entropy"] = shifted_entropy(logits, temperature)
    out["token_kl"] = k3(out["token_logp"], ref_logp)

    for loss_type in ("grpo", "bnpo", "dr_grpo", "dapo"):
        for name, beta in betas.items():
            leaf = logits.clone().requires_grad_(True)
            loss = grpo_objective(leaf, ids, mask, old_logp, ref_logp, adv, beta, inp["eps_low"], inp["eps_high"],
                                  temperature, loss_type, inp["max_completion_length"], inp["global_token_count"])
            loss.backward()
            out[f"loss_{loss_type}_{name}"] = loss.reshape(1)
            out[f"grad_{loss_type}_{name}"] = leaf.grad


def dpo(inp, out):
    chosen = inp["chosen"].clone().requires_grad_(True)
    rejected = inp["rejected"].clone().requires_grad_(True)
    beta, ls = inp["dpo_beta"], inp["label_smoothing"]
    h = beta * ((chosen - inp["ref_chosen"]) - (rejected - inp["ref_rejected"]))
    loss = (-(1 - ls) * F.logsigmoid(h) - ls * F.logsigmoid(-h)).mean()
    loss.backward()
    out["dpo_loss"] = loss.reshape(1)
    out["dpo_grad_chosen"] = chosen.grad
    out["dpo_grad_rejected"] = rejected.grad


# ---------- flow-matching losses (ADRPO eq. 6, ORW-CFM-W2, RAFT, Diffusion-DPO) ----------

def sq_err(a, b):
    return ((a - b) ** 2).reshape(a.size(0), -1).mean(dim=1)


def flow(inp, out):
    x0, x1, t = inp["x0"], inp["x1"], inp["t"]
    v, v_ref, rewards = inp["v"], inp["v_ref"], inp["fm_rewards"]
    g = int(inp["fm_group_size"])
    tb = t.view(-1, *([1] * (x1.dim() - 1)))
    out["xt"] = (1 - tb) * x0 + tb * x1
    u = x1 - x0
    out["u"] = u

    adv = torch.clamp(group_advantages(rewards, g, "none"), min=inp["fm_a_min"], max=inp["fm_a_max"])
    beta = inp["fm_beta0"] - adv
    out["fm_adv"] = adv
    out["fm_beta"] = beta

    leaf = v.clone().requires_grad_(True)
    loss = (adv * sq_err(leaf, u) + beta * sq_err(leaf, v_ref)).mean()
    loss.backward()
    out["adrpo_loss"] = loss.reshape(1)
    out["adrpo_grad"] = leaf.grad

    w = torch.exp(inp["tau"] * rewards)
    w = w / w.mean()
    out["orw_weights"] = w
    leaf = v.clone().requires_grad_(True)
    loss = (w * sq_err(leaf, u)).mean() + inp["alpha"] * sq_err(leaf, v_ref).mean()
    loss.backward()
    out["orw_loss"] = loss.reshape(1)
    out["orw_grad"] = leaf.grad

    keep_n = math.ceil(inp["raft_fraction"] * g)
    keep = torch.zeros_like(rewards)
    for start in range(0, rewards.numel(), g):
        group = rewards[start:start + g].tolist()
        best = sorted(range(g), key=lambda i: -group[i])[:keep_n]
        for i in best:
            keep[start + i] = 1.0
    out["raft_keep"] = keep
    leaf = v.clone().requires_grad_(True)
    loss = (keep * sq_err(leaf, u)).sum() / keep.sum()
    loss.backward()
    out["raft_loss"] = loss.reshape(1)
    out["raft_grad"] = leaf.grad

    vw = inp["v_win"].clone().requires_grad_(True)
    vl = inp["v_lose"].clone().requires_grad_(True)
    uw, ul = inp["u_win"], inp["u_lose"]
    model_diff = sq_err(vw, uw) - sq_err(vl, ul)
    ref_diff = sq_err(inp["v_ref_win"], uw) - sq_err(inp["v_ref_lose"], ul)
    loss = -F.logsigmoid(-0.5 * inp["fm_dpo_beta"] * (model_diff - ref_diff)).mean()
    loss.backward()
    out["fmdpo_loss"] = loss.reshape(1)
    out["fmdpo_grad_win"] = vw.grad
    out["fmdpo_grad_lose"] = vl.grad


# ---------- Flow-GRPO (Liu et al. 2025, eq. 8-10), in the paper's own time convention ----------

def flow_grpo(inp, out):
    """Written in Flow-GRPO's convention, not Adrpo's: noise level s = 1 - t (s = 1 is noise), x_s = (1 - s) x_data +
    s eps, velocity v' = eps - x_data = -v, and the step goes from s to s + ds with ds = -h < 0. The paper's SDE
    (eq. 8 with sigma_s = a sqrt(s / (1 - s)), s = 1 replaced by the next grid point 1 - h) gives
    mean = x + [v' + sigma_s^2 / (2 s) (x + (1 - s) v')] ds and std = sigma_s sqrt(-ds); eq. 9's Gaussian
    log-density is averaged over elements; the KL of two Gaussian steps with the same std is |dmean|^2 / (2 std^2)."""
    x, v, v_ref, t = inp["g_x"], inp["g_v"], inp["g_v_ref"], inp["g_t"]
    nxt, old, adv = inp["g_next"], inp["g_old_logp"], inp["g_adv"]
    h, a, eps, beta = inp["g_h"], inp["g_noise_level"], inp["g_clip"], inp["g_beta"]
    shape = [-1] + [1] * (x.dim() - 1)
    s = (1 - t)
    s_safe = torch.where(s == 1, torch.full_like(s, 1 - h), s)
    sigma = a * torch.sqrt(s / (1 - s_safe))
    ds = -h
    std = sigma * math.sqrt(-ds)
    out["g_std"] = std

    def mean_of(vel):
        vp = -vel
        sig = sigma.view(shape)
        sv = s.view(shape)
        return x + (vp + sig ** 2 / (2 * sv) * (x + (1 - sv) * vp)) * ds

    def logp_of(mean):
        sd = std.view(shape)
        lp = -((nxt - mean) ** 2) / (2 * sd ** 2) - torch.log(sd) - 0.5 * math.log(2 * math.pi)
        return lp.reshape(lp.size(0), -1).mean(dim=1)

    leaf = v.clone().requires_grad_(True)
    mean = mean_of(leaf)
    ref_mean = mean_of(v_ref)
    out["g_mean"] = mean
    out["g_ref_mean"] = ref_mean
    logp = logp_of(mean)
    out["g_logp"] = logp
    ratio = torch.exp(logp - old)
    policy = torch.max(-adv * ratio, -adv * torch.clamp(ratio, 1 - eps, 1 + eps)).mean()
    kl = ((mean - ref_mean) ** 2 / (2 * std.view(shape) ** 2)).reshape(x.size(0), -1).mean(dim=1)
    out["g_kl"] = kl
    loss = policy + beta * kl.mean()
    loss.backward()
    out["g_loss"] = loss.reshape(1)
    out["g_grad"] = leaf.grad


def main():
    inp = load(sys.argv[1])
    out = {}
    language(inp, out)
    dpo(inp, out)
    flow(inp, out)
    flow_grpo(inp, out)
    dump(out, sys.argv[2])


if __name__ == "__main__":
    main()
