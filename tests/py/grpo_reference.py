#!/usr/bin/python3
"""tests/py/grpo_reference.py — the GRPO loss in PyTorch, for parity with rl/grpo_loss.c.

Usage: grpo_reference.py DIR...
Each DIR holds meta.json and raw little-endian arrays written by tests/unit/test_grpo.c:
  logits.f32 [B,T,V]  targets.i32 [B,T]  mask.f32 [B,T]  old.f32 [B,T]  ref.f32 [B,T]
meta.json: B, T, V, G, clip, beta, token_mean, std_norm, on_policy, supervision
("outcome" | "process"), start[B] (position of each row's first completion token),
len[B] (completion tokens), rewards[B] (outcome), steps[B] = [[end, reward], ...] (process,
ends in completion-token units).
Writes adv.f32 [B,T], dlogits.f32 [B,T,V] and loss.json {"loss": ...}.

The formula is written independently of the C code, in the paper's terms, and autograd gives
the gradient: J = mean over outputs of 1/|o_i| sum_t [min(rho A, clip(rho) A) - beta KL]
(or one mean over all tokens with token_mean), loss = -J.
"""
import json
import os
import sys

import numpy as np
import torch

EPS = 1e-4


def load(d, name, dtype, shape):
    return torch.from_numpy(np.fromfile(os.path.join(d, name), dtype=dtype).reshape(shape))


def normalise(x, std_norm):
    mean = x.mean()
    std = x.std(unbiased=True) if x.numel() > 1 else torch.zeros((), dtype=x.dtype)
    return (x - mean) / (std + EPS) if std_norm else x - mean


def advantages(meta, B, T):
    G = meta["G"]
    adv = torch.zeros(B, T, dtype=torch.float64)
    for g in range(B // G):
        rows = range(g * G, (g + 1) * G)
        if meta["supervision"] == "outcome":
            r = torch.tensor([meta["rewards"][i] for i in rows], dtype=torch.float64)
            a = normalise(r, meta["std_norm"])
            for k, i in enumerate(rows):
                s, n = meta["start"][i], meta["len"][i]
                adv[i, s:s + n] = a[k]
        else:
            flat = torch.tensor([st[1] for i in rows for st in meta["steps"][i]],
                                dtype=torch.float64)
            norm = normalise(flat, meta["std_norm"])
            k = 0
            for i in rows:
                s, n = meta["start"][i], meta["len"][i]
                steps = meta["steps"][i]
                nr = norm[k:k + len(steps)]
                k += len(steps)
                for t in range(n):  # sum over the steps whose end lies after token t
                    adv[i, s + t] = sum(float(nr[j]) for j, st in enumerate(steps) if st[0] > t)
    return adv


def main():
    for d in sys.argv[1:]:
        run(d)


def run(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    B, T, V = meta["B"], meta["T"], meta["V"]
    logits = load(d, "logits.f32", np.float32, (B, T, V)).double().requires_grad_(True)
    targets = load(d, "targets.i32", np.int32, (B, T)).long()
    mask = load(d, "mask.f32", np.float32, (B, T)).double()
    old = load(d, "old.f32", np.float32, (B, T)).double()
    ref = load(d, "ref.f32", np.float32, (B, T)).double()
    adv = advantages(meta, B, T)

    logp = torch.log_softmax(logits, dim=-1).gather(-1, targets.clamp(min=0).unsqueeze(-1))
    logp = logp.squeeze(-1)
    if meta["on_policy"]:
        old = logp.detach()
    ratio = torch.exp(logp - old)
    eps = meta["clip"]
    surr = torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps) * adv)
    kl = torch.exp(ref - logp) - (ref - logp) - 1
    per_token = (surr - meta["beta"] * kl) * mask
    if meta["token_mean"]:
        J = per_token.sum() / mask.sum()
    else:
        n = mask.sum(dim=1)
        has = n > 0
        J = (per_token.sum(dim=1)[has] / n[has]).sum() / has.sum()
    loss = -J
    loss.backward()
    adv.float().numpy().tofile(os.path.join(d, "adv.f32"))
    logits.grad.float().numpy().tofile(os.path.join(d, "dlogits.f32"))
    json.dump({"loss": loss.item()}, open(os.path.join(d, "loss.json"), "w"))


if __name__ == "__main__":
    main()
