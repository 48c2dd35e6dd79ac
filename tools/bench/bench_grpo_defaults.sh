#!/usr/bin/env bash
# bench_grpo_defaults — does the RL step lower held-out accuracy?  The paper's setting (every
# group trained on) against --filter-groups (the default: groups without signal dropped and
# resampled), 3 seeds each, on a weak and a nearly saturated model (docs/grpo.md, "Defaults
# that do not make a model worse").
#
# Models: a fresh byte-level GPT-2 (2 layers, 4 heads, 64 dims) after WEAK (400) and STRONG
# (1500) steps of `grpo --algo sft` on arith worked solutions.  Each GRPO run: 20 steps of 16
# questions x 8 samples, lr 1e-4, beta 0.04; evaluated on 200 held-out questions (greedy, K = 4
# at temperature 0.7).  Knobs (environment): WEAK STRONG SEEDS THREADS.  Writes
# $BENCH/grpo_defaults.json.
set -euo pipefail
: "${MM:?}" "${BENCH:?}"
WEAK=${WEAK:-400} STRONG=${STRONG:-1500} SEEDS=${SEEDS:-1 2 3} THREADS=${THREADS:-1}
W=$BENCH/grpo_defaults-work
rm -rf "$W"; mkdir -p "$W"
export OMP_WAIT_POLICY=passive
TASK="--task arith --plain --ops 2 --digits 1 --task-seed 1 --n-test 200"
EVAL="$TASK --n 200 --k 4 --temperature 0.7 --max-new-tokens 32 -j $THREADS"
RL="$TASK --steps 20 --questions 16 --group 8 --lr 1e-4 --beta 0.04 --max-new-tokens 32 -j $THREADS"
for model in weak strong; do
  steps=$WEAK; [ $model = strong ] && steps=$STRONG
  $MM -q grpo --algo sft --init new:2,4,64,96 $TASK --steps "$steps" --sft-batch 32 --lr 3e-3 \
    -j "$THREADS" -o "$W/$model" > /dev/null
  $MM eval --ckpt "$W/$model/final" $EVAL > "$W/$model-before.json"
  for setting in paper filter; do
    opt=--no-filter-groups; [ $setting = filter ] && opt=--filter-groups
    for s in $SEEDS; do
      $MM -q grpo --init "$W/$model/final" $RL $opt --seed "$s" -o "$W/$model-$setting-$s" \
        > "$W/$model-$setting-$s.summary" 2>/dev/null
      $MM eval --ckpt "$W/$model-$setting-$s/final" $EVAL > "$W/$model-$setting-$s.json"
    done
  done
done
/usr/bin/python3 - "$W" "$BENCH/grpo_defaults.json" $SEEDS <<'PY'
import json, statistics, sys
W, out, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
res = {}
print("%-7s %-8s %-22s %-22s %-22s %s" % ("model", "setting", "greedy (before→mean±sd)", "pass@4", "maj@4", "no-signal groups"))
for model in ("weak", "strong"):
    b = json.load(open(f"{W}/{model}-before.json"))
    for setting in ("paper", "filter"):
        runs = [json.load(open(f"{W}/{model}-{setting}-{s}.json")) for s in seeds]
        eq = [json.load(open(f"{W}/{model}-{setting}-{s}.summary"))["equal_groups"] for s in seeds]
        row = {"before": {k: b[k] for k in ("greedy_acc", "pass_at_4", "maj_at_4")}, "runs": runs, "equal_groups": eq}
        cells = []
        for k in ("greedy_acc", "pass_at_4", "maj_at_4"):
            v = [r[k] for r in runs]
            sd = statistics.stdev(v) if len(v) > 1 else 0
            cells.append("%.3f→%.3f±%.3f" % (b[k], statistics.mean(v), sd))
        print("%-7s %-8s %-22s %-22s %-22s %.2f" % (model, setting, *cells, statistics.mean(eq)))
        res[f"{model}/{setting}"] = row
json.dump(res, open(out, "w"), indent=1)
PY
