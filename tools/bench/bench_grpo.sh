#!/usr/bin/env bash
# bench_grpo — the paper's comparison at small scale on the arith task, and speed.
#
#  1. a small model: a byte-level GPT-2 warmed up on arith worked solutions (--algo sft), or
#     the checkpoint in $INIT (e.g. a `mathmine pretrain` run on a mix with arith documents);
#  2. held-out greedy accuracy, Pass@K and Maj@K before RL;
#  3. GRPO (outcome and process supervision), and online RFT with the same samples per step
#     and the same number of steps;
#  4. the same after each, as one table;
#  5. rollout tokens/s and update time per step of the GRPO run, next to the same step in
#     PyTorch (tools/bench/grpo_torch.py: same model, same batch shape, same thread count).
# Knobs (environment): OPS DIGITS STYLE SFT_STEPS STEPS QUESTIONS GROUP LR K N THREADS INIT.
# Writes $BENCH/grpo.json.
set -euo pipefail
: "${MM:?}" "${BENCH:?}"
OPS=${OPS:-2} DIGITS=${DIGITS:-1} SFT_STEPS=${SFT_STEPS:-400} STEPS=${STEPS:-60} STYLE=${STYLE---plain}
QUESTIONS=${QUESTIONS:-16} GROUP=${GROUP:-8} LR=${LR:-1e-4} K=${K:-8} N=${N:-500}
THREADS=${THREADS:-2} MAXNEW=${MAXNEW:-40}
W=$BENCH/grpo-work
rm -rf "$W"; mkdir -p "$W"
export OMP_WAIT_POLICY=passive
TASK="--task arith $STYLE --ops $OPS --digits $DIGITS --task-seed 1 --n-test $N"
EVAL="$TASK --n $N --k $K --temperature 0.7 --max-new-tokens $MAXNEW -j $THREADS"
RL="$TASK --steps $STEPS --questions $QUESTIONS --group $GROUP --lr $LR --max-new-tokens $MAXNEW --micro-batch 32 --seed 1 -j $THREADS --no-filter-groups"
t0=$SECONDS
if [ -n "${INIT:-}" ]; then
  START=$INIT
else
  echo "warm-up: byte-level GPT-2 (2 layers, 4 heads, 64 dims), $SFT_STEPS steps of worked solutions"
  $MM -q grpo --algo sft --init new:2,4,64,${CTX:-96} $TASK --steps "$SFT_STEPS" --sft-batch 32 --lr 3e-3 -j "$THREADS" -o "$W/sft" > /dev/null
  START=$W/sft/final
fi
$MM eval --ckpt "$START" $EVAL > "$W/eval-start.json"
echo "GRPO: $STEPS steps x $QUESTIONS questions x $GROUP samples"
$MM -q grpo --init "$START" $RL -o "$W/grpo" > /dev/null
$MM eval --ckpt "$W/grpo/final" $EVAL > "$W/eval-grpo.json"
echo "GRPO with process supervision: the same budget"
$MM -q grpo --init "$START" $RL --supervision process -o "$W/proc" > /dev/null
$MM eval --ckpt "$W/proc/final" $EVAL > "$W/eval-proc.json"
echo "online RFT: the same budget"
$MM -q grpo --init "$START" $RL --algo online-rft -o "$W/orft" > /dev/null
$MM eval --ckpt "$W/orft/final" $EVAL > "$W/eval-orft.json"

# speed: the GRPO run's mean rollout tokens/s and update seconds, and PyTorch on the same shape
read -r ROWS PLEN NEW CTOK CUPD < <(/usr/bin/python3 - "$W/grpo/log.jsonl" "$START" $QUESTIONS $GROUP <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tok = sum(r["rollout_tok_s"] for r in rows) / len(rows)
upd = sum(r["update_s"] for r in rows) / len(rows)
new = max(1, round(sum(r["out_len"] for r in rows) / len(rows)))
plen = max(1, round(sum(r["prompt_len"] for r in rows) / len(rows)))
print(int(sys.argv[3]) * int(sys.argv[4]), plen, new, tok, upd)
PY
)
/usr/bin/python3 "$(dirname "$0")/grpo_torch.py" "$START" --rows "$ROWS" --prompt "$PLEN" --new "$NEW" --threads "$THREADS" > "$W/torch.json"

/usr/bin/python3 - "$W" "$BENCH/grpo.json" "$K" "$CTOK" "$CUPD" $((SECONDS - t0)) "$OPS" "$DIGITS" "$STEPS" "$QUESTIONS" "$GROUP" <<'PY'
import json, sys
W, out, K = sys.argv[1], sys.argv[2], sys.argv[3]
ctok, cupd, secs = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
ops, digits, steps, q, g = sys.argv[7:12]
runs = ("start", "grpo", "proc", "orft")
ev = {n: json.load(open(f"{W}/eval-{n}.json")) for n in runs}
torch = json.load(open(f"{W}/torch.json"))
names = {"start": "before RL", "grpo": "GRPO", "proc": "GRPO (process)", "orft": "online RFT"}
print(f"\narith (ops {ops}, digits {digits}), {ev['start']['n']} held-out questions; "
      f"RL: {steps} steps x {q} questions x {g} samples")
print(f"{'model':<15} {'greedy':>8} {'pass@'+K:>8} {'maj@'+K:>8} {'sample acc':>11}")
for n in runs:
    e = ev[n]
    print(f"{names[n]:<15} {e['greedy_acc']:>8.3f} {e['pass_at_'+K]:>8.3f} {e['maj_at_'+K]:>8.3f} {e['sample_acc']:>11.3f}")
print(f"\nspeed per GRPO step ({torch['rows']} rows, {torch['prompt']} prompt + {torch['new']} new tokens, "
      f"{torch['threads']} threads)")
print(f"{'':<12} {'rollout tok/s':>14} {'update s':>9}")
print(f"{'mathmine':<12} {ctok:>14.0f} {cupd:>9.3f}")
print(f"{'PyTorch':<12} {torch['rollout_tok_s']:>14.0f} {torch['update_s']:>9.3f}")
print(f"(total {secs} s)")
json.dump({"eval": ev, "mathmine": {"rollout_tok_s": ctok, "update_s": cupd}, "torch": torch,
           "seconds": secs, "config": {"ops": ops, "digits": digits, "steps": steps,
           "questions": q, "group": g}}, open(out, "w"), indent=1)
PY
