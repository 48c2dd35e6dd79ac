#!/usr/bin/python3
"""GPT-2 in plain PyTorch, the reference that tests/unit/test_gpt2.c checks mathmine against.

Usage: gpt2_reference.py CKPT_DIR IO.safetensors [--tol 1e-4]

CKPT_DIR holds model.safetensors + config.json written by mathmine (Hugging Face GPT-2 names,
Conv1D layout: weight [in, out]).  IO.safetensors holds what mathmine computed from it:
  tokens [B, T], targets [B, T] (as F32), logits [B, T, V], loss [1], grad.<name> for every
  tensor after one backward, losses [S] and final.<name> after S AdamW steps on the same batch
  (grad clipping at `clip`, lr, eps, weight decay from the metadata).
The same computation is done here in float32 and every quantity is compared as
max|ours - torch| / max|torch|; the worst is printed and the exit status is 1 above --tol.
safetensors is parsed by hand (json + numpy), so only numpy and torch are needed.
"""
import json
import math
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (name, t["dtype"])
        b, e = t["data_offsets"]
        arr = np.frombuffer(data[base + b : base + e], dtype="<f4").reshape(t["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def forward(p, cfg, tokens):
    return hidden(p, cfg, tokens) @ p["wte.weight"].t()


def hidden(p, cfg, tokens):
    """The output of the final LayerNorm, [B, T, D] (what the LM head and rl/value.h read)."""
    B, T = tokens.shape
    D, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
    hs = D // H
    x = p["wte.weight"][tokens] + p["wpe.weight"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(L):
        g = lambda k: p[f"h.{l}.{k}"]
        h = torch.nn.functional.layer_norm(x, (D,), g("ln_1.weight"), g("ln_1.bias"), 1e-5)
        qkv = h @ g("attn.c_attn.weight") + g("attn.c_attn.bias")
        q, k, v = qkv.split(D, dim=2)
        q = q.view(B, T, H, hs).transpose(1, 2)
        k = k.view(B, T, H, hs).transpose(1, 2)
        v = v.view(B, T, H, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + y @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
        h = torch.nn.functional.layer_norm(x, (D,), g("ln_2.weight"), g("ln_2.bias"), 1e-5)
        h = gelu_tanh(h @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias"))
        x = x + h @ g("mlp.c_proj.weight") + g("mlp.c_proj.bias")
    return torch.nn.functional.layer_norm(x, (D,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)


def loss_of(logits, targets):
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1)


def rel(a, b):
    den = b.abs().max().item()
    return (a - b).abs().max().item() / (den if den > 0 else 1.0)


def main():
    ckpt, io_path = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[sys.argv.index("--tol") + 1]) if "--tol" in sys.argv else 1e-4
    torch.set_num_threads(1)
    cfg = json.load(open(f"{ckpt}/config.json"))
    params, _ = read_safetensors(f"{ckpt}/model.safetensors")
    io, meta = read_safetensors(io_path)
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    tokens = io["tokens"].long()
    targets = io["targets"].long()
    worst = {}

    def note(kind, name, r):
        if r > worst.get(kind, (0.0, ""))[0] or kind not in worst:
            worst[kind] = (r, name)

    logits = forward(p, cfg, tokens)
    loss = loss_of(logits, targets)
    loss.backward()
    note("logits", "logits", rel(io["logits"], logits.detach()))
    note("loss", "loss", rel(io["loss"], loss.detach().reshape(1)))
    for name, t in p.items():
        note("grad", name, rel(io["grad." + name], t.grad))

    # AdamW on the same batch, with the same decay groups and clipping as mathmine.
    steps, lr, wd, clip = int(meta["steps"]), float(meta["lr"]), float(meta["weight_decay"]), float(meta["clip"])
    eps = float(meta["eps"])
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    decay = [t for t in p.values() if t.dim() == 2]
    nodecay = [t for t in p.values() if t.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": wd}, {"params": nodecay, "weight_decay": 0.0}],
        lr=lr, betas=(0.9, 0.95), eps=eps)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(forward(p, cfg, tokens), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), clip)
        opt.step()
        losses.append(loss.item())
    note("adamw-loss", "losses", rel(io["losses"], torch.tensor(losses)))
    for name, t in p.items():
        note("adamw-param", name, rel(io["final." + name], t.detach()))

    bad = False
    for kind, (r, name) in worst.items():
        flag = "ok" if r <= tol else "FAIL"
        bad |= r > tol
        print(f"{flag:4} {kind:12} max rel diff {r:.3e}  ({name})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
