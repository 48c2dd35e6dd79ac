#!/usr/bin/env bash
# bench_pretrain — training tokens/s of mathmine's GPT-2 against the same model, batch and
# optimizer (AdamW, grad clipping) in PyTorch at its best thread count, in one run; MFU of both
# against the two-thread sgemm peak that `mathmine pretrain --bench` measures; and generation
# tokens/s with the KV cache.  Both sides use OpenBLAS's AVX-512 kernels where the CPU has them
# (mathmine selects them itself; PyTorch gets OPENBLAS_CORETYPE=SkylakeX), and both let idle
# OpenMP threads sleep (OMP_WAIT_POLICY=passive, what mathmine sets for itself).
# Env: BENCH_STEPS (5), BENCH_CONFIG, BENCH_BATCH (8), BENCH_THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."
MM=${MM:-$PWD/build/mathmine}
BENCH=${BENCH:-$PWD/build/bench}
PY=/usr/bin/python3
STEPS=${BENCH_STEPS:-5}
BATCH=${BENCH_BATCH:-8}
THREADS=${BENCH_THREADS:-2}
CONFIG=${BENCH_CONFIG:-layers=6,heads=6,dim=384,ctx=256,vocab=8192}
mkdir -p "$BENCH"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CORE=""
grep -q avx512f /proc/cpuinfo && CORE=SkylakeX

echo "config $CONFIG, batch $BATCH, $STEPS timed steps after one warm-up; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
"$MM" pretrain --bench --config "$CONFIG" --batch "$BATCH" --steps "$STEPS" -j "$THREADS" | tee "$TMP/mm.txt"
mm_tps=$(awk '/^tokens\/s/ {print $2}' "$TMP/mm.txt")
peak=$(awk '/^sgemm peak/ {print $3}' "$TMP/mm.txt")
mm_mfu=$(awk '/^MFU/ {print $2}' "$TMP/mm.txt" | tr -d %)
flops=$(awk '/^model GFLOP/ {gsub(/[(]/,"",$4); print $4}' "$TMP/mm.txt")

cat >"$TMP/torch_bench.py" <<'EOF'
import math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = dict(kv.split("=") for kv in sys.argv[1].split(","))
L, H, D, T, V = (int(cfg[k]) for k in ("layers", "heads", "dim", "ctx", "vocab"))
B, steps, threads = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.c_attn, self.c_proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.c_fc, self.mlp_proj = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))
    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q, k, v = (z.view(b, t, H, D // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // H))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        x = x + self.c_proj((att @ v).transpose(1, 2).reshape(b, t, D))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
        self.h = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(D)
    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.h:
            x = blk(x)
        return self.ln_f(x) @ self.wte.weight.t()  # tied output embedding

model = GPT()
decay = [p for p in model.parameters() if p.dim() >= 2]
nodecay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}],
                        lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
x = torch.randint(0, V, (B, T))
y = torch.randint(0, V, (B, T))
def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
step()
t0 = time.time()
for _ in range(steps):
    step()
dt = time.time() - t0
print(f"{B * T * steps / dt:.1f}")
EOF

best=0; best_t=0; torch_rows=""
for t in $(seq 1 "$THREADS"); do
  tps=$(OPENBLAS_CORETYPE=${CORE:-$OPENBLAS_CORETYPE} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} OMP_NUM_THREADS=$t $PY "$TMP/torch_bench.py" "$CONFIG" "$BATCH" "$STEPS" "$t" 2>/dev/null || echo 0)
  echo "pytorch       $tps tokens/s with $t thread(s)"
  torch_rows="$torch_rows{\"threads\": $t, \"tokens_per_s\": $tps},"
  if awk -v a="$tps" -v b="$best" 'BEGIN{exit !(a > b)}'; then best=$tps; best_t=$t; fi
done

# Generation: a checkpoint of the same config (one step on random tokens), 8 prompts x 128 tokens.
$PY - "$TMP/gen" "${CONFIG##*vocab=}" <<'EOF'
import os, random, struct, sys
out, vocab = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
random.seed(0)
toks = [random.randrange(vocab) for _ in range(20000)]
hdr = [0] * 256
hdr[0], hdr[1], hdr[2] = (20240520 if vocab <= 65536 else 20240801), 1, len(toks)
fmt = "<%d%s" % (len(toks), "H" if vocab <= 65536 else "I")
open(f"{out}/train_000.bin", "wb").write(struct.pack("<256i", *hdr) + struct.pack(fmt, *toks))
EOF
"$MM" pretrain --data "$TMP/gen/train_*.bin" --config "$CONFIG" --batch 1 --steps 1 --out "$TMP/ckpt" -q -j "$THREADS" >/dev/null
prompt=$(seq -s ' ' 1 16)
args=(); for i in $(seq 8); do args+=(--tokens "$prompt"); done
gen_line=$("$MM" generate --ckpt "$TMP/ckpt" "${args[@]}" --max-new 128 --no-stop --seed 1 -j "$THREADS" 2>&1 >/dev/null | grep 'tokens/s')
gen_tps=$(sed -E 's/.*: ([0-9.]+) tokens\/s.*/\1/' <<<"$gen_line")
gen1_line=$("$MM" generate --ckpt "$TMP/ckpt" --tokens "$prompt" --max-new 128 --no-stop --seed 1 -j "$THREADS" 2>&1 >/dev/null | grep 'tokens/s')
gen1_tps=$(sed -E 's/.*: ([0-9.]+) tokens\/s.*/\1/' <<<"$gen1_line")

ratio=$(awk -v a="$mm_tps" -v b="$best" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
torch_mfu=$(awk -v t="$best" -v f="$flops" -v p="$peak" 'BEGIN{printf "%.1f", (p > 0 ? 100 * t * f * 1e6 / (p * 1e9) : 0)}')
echo
printf '%-34s %12s %8s\n' "training ($CONFIG, batch $BATCH)" "tokens/s" "MFU"
printf '%-34s %12s %7s%%\n' "mathmine ($THREADS threads)" "$mm_tps" "$mm_mfu"
printf '%-34s %12s %7s%%\n' "pytorch (best: $best_t thread(s))" "$best" "$torch_mfu"
printf '%-34s %12s\n' "mathmine / pytorch" "${ratio}x"
printf '%-34s %12s\n' "sgemm peak ($THREADS threads), GFLOP/s" "$peak"
printf '%-34s %12s\n' "generation, 8 sequences, tokens/s" "$gen_tps"
printf '%-34s %12s\n' "generation, 1 sequence, tokens/s" "$gen1_tps"
cat >"$BENCH/pretrain.json" <<EOF
{"config": "$CONFIG", "batch": $BATCH, "steps": $STEPS, "threads": $THREADS,
 "mathmine_tokens_per_s": $mm_tps, "mathmine_mfu_percent": $mm_mfu,
 "pytorch": [${torch_rows%,}], "pytorch_best_tokens_per_s": $best, "pytorch_best_threads": $best_t,
 "pytorch_mfu_percent": $torch_mfu, "speedup": $ratio, "sgemm_peak_gflops": $peak,
 "mflop_per_token": $flops, "generate_tokens_per_s_batch8": ${gen_tps:-0},
 "generate_tokens_per_s_batch1": ${gen1_tps:-0}}
EOF
