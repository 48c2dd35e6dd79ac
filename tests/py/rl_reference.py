#!/usr/bin/python3
"""tests/py/rl_reference.py — PPO, DPO and the scalar value head in PyTorch, for parity with
rl/ppo.c, rl/dpo.c and rl/value.c (tests/unit/test_ppo.c writes the inputs and compares).

Usage: rl_reference.py DIR...
Each DIR holds meta.json ("kind": "ppo" | "dpo" | "value") and inputs written by the C test;
this script writes its answers into the same DIR.  Every formula is written here from the
paper's description, independently of the C code, and autograd gives the gradients.

ppo   inputs  logits.f32 [B,T,V], targets.i32 [B,T], mask.f32 [B,T], old.f32, ref.f32,
              values.f32, old_values.f32 [B,T] (per position), scores [B] in meta;
              meta: B, T, V, beta, gamma, lam, clip, vclip, token_mean, whiten.
      outputs adv.f32, ret.f32 [B,T], dlogits.f32 [B,T,V], dvalues.f32 [B,T],
              loss.json {"policy": ..., "value": ...}
      r_t = -beta (old_t - ref_t) (+ score at the last token); GAE with V after the last
      token = 0; policy loss = -mean_i 1/|o_i| sum_t min(rho A, clip(rho) A) (or a token mean);
      value loss = same weights of 1/2 max((V-R)^2, (Vold + clip(V-Vold) - R)^2).
dpo   inputs  logits.f32 [2P,T,V], targets.i32, mask.f32, ref.f32 [2P,T]; meta: P, T, V,
              beta, length_norm.  outputs dlogits.f32, coef.f32 [P], loss.json {"loss": ...}
value inputs  ckpt/ (model.safetensors, config.json, score.safetensors) and io.safetensors
              (tokens, targets, c [B,T], values, grad.*, y, final.*, losses) from the C side;
              compares them here and writes result.json: the largest max|C - torch| / max|torch|
              of each kind ("values", "grad", "adamw-loss", "adamw-param") and "where" it was.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import hidden, loss_of, read_safetensors, rel  # noqa: E402


def load(d, name, dtype, shape):
    return torch.from_numpy(np.fromfile(os.path.join(d, name), dtype=dtype).reshape(shape))


def save(d, name, t):
    t.detach().float().numpy().tofile(os.path.join(d, name))


def token_logp(logits, targets):
    lp = torch.log_softmax(logits, dim=-1).gather(-1, targets.clamp(min=0).unsqueeze(-1))
    return lp.squeeze(-1)


def masked_mean(per_token, mask, token_mean):
    if token_mean:
        return (per_token * mask).sum() / mask.sum()
    n = mask.sum(dim=1)
    has = n > 0
    return ((per_token * mask).sum(dim=1)[has] / n[has]).sum() / has.sum()


def ppo(d, meta):
    B, T, V = meta["B"], meta["T"], meta["V"]
    logits = load(d, "logits.f32", np.float32, (B, T, V)).double().requires_grad_(True)
    targets = load(d, "targets.i32", np.int32, (B, T)).long()
    mask = load(d, "mask.f32", np.float32, (B, T)).double()
    old = load(d, "old.f32", np.float32, (B, T)).double()
    ref = load(d, "ref.f32", np.float32, (B, T)).double()
    values = load(d, "values.f32", np.float32, (B, T)).double().requires_grad_(True)
    old_values = load(d, "old_values.f32", np.float32, (B, T)).double()
    gamma, lam, beta = meta["gamma"], meta["lam"], meta["beta"]
    adv = torch.zeros(B, T, dtype=torch.float64)
    ret = torch.zeros(B, T, dtype=torch.float64)
    for b in range(B):
        pos = [t for t in range(T) if mask[b, t] > 0]
        if not pos:
            continue
        r = [-beta * (old[b, t] - ref[b, t]).item() for t in pos]
        r[-1] += meta["scores"][b]
        v = [old_values[b, t].item() for t in pos] + [0.0]
        n = len(pos)
        for k in range(n):  # A_k = sum_l (gamma lam)^l delta_{k+l}, written as the sum
            a = sum((gamma * lam) ** (j - k) * (r[j] + gamma * v[j + 1] - v[j]) for j in range(k, n))
            adv[b, pos[k]] = a
            ret[b, pos[k]] = a + v[k]
    save(d, "ret.f32", ret)
    if meta["whiten"]:
        sel = adv[mask > 0]
        adv = torch.where(mask > 0, (adv - sel.mean()) / (sel.std(unbiased=False) + 1e-8), adv)
    save(d, "adv.f32", adv)
    logp = token_logp(logits, targets)
    ratio = torch.exp(logp - old)
    eps = meta["clip"]
    surr = torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps) * adv)
    policy = -masked_mean(surr, mask, meta["token_mean"])
    policy.backward()
    vc = old_values + torch.clamp(values - old_values, -meta["vclip"], meta["vclip"])
    vloss = 0.5 * torch.max((values - ret) ** 2, (vc - ret) ** 2)
    value = masked_mean(vloss, mask, meta["token_mean"])
    value.backward()
    save(d, "dlogits.f32", logits.grad)
    save(d, "dvalues.f32", values.grad)
    json.dump({"policy": policy.item(), "value": value.item()}, open(os.path.join(d, "loss.json"), "w"))


def dpo(d, meta):
    P, T, V = meta["P"], meta["T"], meta["V"]
    logits = load(d, "logits.f32", np.float32, (2 * P, T, V)).double().requires_grad_(True)
    targets = load(d, "targets.i32", np.int32, (2 * P, T)).long()
    mask = load(d, "mask.f32", np.float32, (2 * P, T)).double()
    ref = load(d, "ref.f32", np.float32, (2 * P, T)).double()
    diff = ((token_logp(logits, targets) - ref) * mask).sum(dim=1)
    if meta["length_norm"]:
        diff = diff / mask.sum(dim=1).clamp(min=1)
    z = meta["beta"] * (diff[0::2] - diff[1::2])
    loss = -torch.nn.functional.logsigmoid(z).mean()
    loss.backward()
    save(d, "dlogits.f32", logits.grad)
    save(d, "coef.f32", torch.sigmoid(-z))
    json.dump({"loss": loss.item()}, open(os.path.join(d, "loss.json"), "w"))


def value(d, meta):
    torch.set_num_threads(1)
    ck = os.path.join(d, "ckpt")
    cfg = json.load(open(os.path.join(ck, "config.json")))
    params, _ = read_safetensors(os.path.join(ck, "model.safetensors"))
    head, _ = read_safetensors(os.path.join(ck, "score.safetensors"))
    params.update(head)
    io, m = read_safetensors(os.path.join(d, "io.safetensors"))
    tokens, targets = io["tokens"].long(), io["targets"].long()
    worst = {}

    def note(kind, name, r):
        if kind not in worst or r > worst[kind][0]:
            worst[kind] = (r, name)

    def values_of(p):
        h = hidden(p, cfg, tokens)
        return (h @ p["score.weight"].t()).squeeze(-1) + p["score.bias"], h

    # 1. values, and the gradients of sum(c * V) + cross-entropy of the LM head together
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    vals, h = values_of(p)
    loss = (io["c"] * vals).sum() + loss_of(h @ p["wte.weight"].t(), targets)
    loss.backward()
    note("values", "values", rel(io["values"], vals.detach()))
    for name, t in p.items():
        note("grad", name, rel(io["grad." + name], t.grad))
    # 2. AdamW steps on 1/2 mean (V - y)^2 alone (no LM-head gradient), clipping the norm of
    # backbone and head together; the head's weight decays, its bias does not
    steps, lr, wd, clip = int(m["steps"]), float(m["lr"]), float(m["weight_decay"]), float(m["clip"])
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    decay = [t for t in p.values() if t.dim() == 2]
    nodecay = [t for t in p.values() if t.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=float(m["eps"]))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        vals, _ = values_of(p)
        loss = 0.5 * ((vals - io["y"]) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), clip)
        opt.step()
        losses.append(loss.item())
    note("adamw-loss", "losses", rel(io["losses"], torch.tensor(losses)))
    for name, t in p.items():
        note("adamw-param", name, rel(io["final." + name], t.detach()))
    out = {k: v[0] for k, v in worst.items()}
    out["where"] = {k: v[1] for k, v in worst.items()}
    json.dump(out, open(os.path.join(d, "result.json"), "w"))


def main():
    for d in sys.argv[1:]:
        meta = json.load(open(os.path.join(d, "meta.json")))
        {"ppo": ppo, "dpo": dpo, "value": value}[meta["kind"]](d, meta)


if __name__ == "__main__":
    main()
