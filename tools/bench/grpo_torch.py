#!/usr/bin/python3
"""tools/bench/grpo_torch.py — the same GRPO step in PyTorch, for timing next to mathmine.

Usage: grpo_torch.py CKPT_DIR --rows B --prompt P --new N [--threads T] [--repeat R]
Loads CKPT_DIR/model.safetensors + config.json (Hugging Face GPT-2 names), then times
  rollout: B sequences, P prompt tokens, N new tokens sampled with a KV cache (no stop token);
  update:  the reference model's forward, then forward over [B, P+N-1], the GRPO loss (clipped surrogate + KL), backward, AdamW.
Prints one JSON object: rollout_tok_s, update_s.
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).copy()).reshape(meta["shape"])
    return out


class GPT(torch.nn.Module):
    def __init__(self, w, L, H):
        super().__init__()
        self.L, self.H = L, H
        self.p = torch.nn.ParameterDict({k.replace(".", "_"): torch.nn.Parameter(v) for k, v in w.items()})

    def g(self, k):
        return self.p[k.replace(".", "_")]

    def block(self, l, x, cache=None):
        D = x.shape[-1]
        h = F.layer_norm(x, (D,), self.g(f"h.{l}.ln_1.weight"), self.g(f"h.{l}.ln_1.bias"), 1e-5)
        qkv = h @ self.g(f"h.{l}.attn.c_attn.weight") + self.g(f"h.{l}.attn.c_attn.bias")
        q, k, v = qkv.split(D, dim=-1)
        B, T = x.shape[0], x.shape[1]
        sh = lambda t: t.view(B, T, self.H, D // self.H).transpose(1, 2)
        q, k, v = sh(q), sh(k), sh(v)
        if cache is not None:
            if l in cache:
                k = torch.cat([cache[l][0], k], 2)
                v = torch.cat([cache[l][1], v], 2)
            cache[l] = (k, v)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(D // self.H)
        S = k.shape[2]
        mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + y @ self.g(f"h.{l}.attn.c_proj.weight") + self.g(f"h.{l}.attn.c_proj.bias")
        h = F.layer_norm(x, (D,), self.g(f"h.{l}.ln_2.weight"), self.g(f"h.{l}.ln_2.bias"), 1e-5)
        h = F.gelu(h @ self.g(f"h.{l}.mlp.c_fc.weight") + self.g(f"h.{l}.mlp.c_fc.bias"), approximate="tanh")
        return x + h @ self.g(f"h.{l}.mlp.c_proj.weight") + self.g(f"h.{l}.mlp.c_proj.bias")

    def forward(self, idx, pos0=0, cache=None):
        T = idx.shape[1]
        x = self.g("wte.weight")[idx] + self.g("wpe.weight")[pos0:pos0 + T]
        for l in range(self.L):
            x = self.block(l, x, cache)
        D = x.shape[-1]
        x = F.layer_norm(x, (D,), self.g("ln_f.weight"), self.g("ln_f.bias"), 1e-5)
        return x @ self.g("wte.weight").t()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--prompt", type=int, default=40)
    ap.add_argument("--new", type=int, default=24)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(a.ckpt, "config.json")))
    w = load_safetensors(os.path.join(a.ckpt, "model.safetensors"))
    w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
    w = {k: v for k, v in w.items() if not k.startswith("lm_head")}
    m = GPT(w, cfg["n_layer"], cfg["n_head"])
    V = w["wte.weight"].shape[0]
    B, P, N = a.rows, a.prompt, a.new
    prompt = torch.randint(0, V, (B, P))
    roll, upd = [], []
    opt = torch.optim.AdamW(m.parameters(), lr=1e-5, betas=(0.9, 0.95), eps=1e-8, weight_decay=0)
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        with torch.no_grad():
            cache = {}
            logits = m(prompt, 0, cache)[:, -1]
            toks = []
            for s in range(N):
                p = torch.softmax(logits, -1)
                t = torch.multinomial(p, 1)
                toks.append(t)
                logits = m(t, P + s, cache)[:, -1]
        roll.append(B * N / (time.perf_counter() - t0))
        seq = torch.cat([prompt] + toks, 1)
        inp, tgt = seq[:, :-1], seq[:, 1:]
        mask = torch.zeros_like(tgt, dtype=torch.float32)
        mask[:, P - 1:] = 1
        adv = torch.randn(B, 1).expand_as(mask)
        t0 = time.perf_counter()
        with torch.no_grad():  # the reference model's forward (same weights, same cost)
            ref = torch.log_softmax(m(inp), -1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1) + 0.01
        opt.zero_grad()
        logp = torch.log_softmax(m(inp), -1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        old = logp.detach()
        ratio = torch.exp(logp - old)
        surr = torch.min(ratio * adv, ratio.clamp(0.8, 1.2) * adv)
        kl = torch.exp(ref - logp) - (ref - logp) - 1
        loss = -(((surr - 0.04 * kl) * mask).sum(1) / mask.sum(1)).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        upd.append(time.perf_counter() - t0)
    print(json.dumps({"rows": B, "prompt": P, "new": N, "threads": a.threads,
                      "rollout_tok_s": sorted(roll)[len(roll) // 2], "update_s": sorted(upd)[len(upd) // 2]}))


if __name__ == "__main__":
    main()
