#!/usr/bin/env bash
# mathmine eval --curve: Pass@k and Maj@k for k = 1, 2, 4, ... <= K from the same K samples.
# On a tiny model warmed up in the test: the curve's ends agree with the plain numbers
# (Pass@1 = Maj@1 = sample accuracy, Pass@K = pass_at_K, Maj@K = maj_at_K), Pass@k never falls
# with k, asking for the curve changes no other number, and --curve without --k is refused.
source "$(dirname "$0")/../lib.sh"
export OMP_WAIT_POLICY=passive
TASK="--plain --ops 1 --digits 1 --task-seed 1 --n-test 100"
EVAL="$TASK --n 40 --max-new-tokens 24 --temperature 1 -j 1"

check "warm-up: a small model trained in the test" \
  $MM -q grpo --algo sft --init new:1,2,32,64 $TASK --steps 200 --sft-batch 16 --lr 3e-3 --seed 1 -j 1 -o "$T/sft"
check "eval --k 8 --curve" sh -c "$MM eval --ckpt $T/sft/final $EVAL --k 8 --curve > $T/c8.json"
check "eval --k 8" sh -c "$MM eval --ckpt $T/sft/final $EVAL --k 8 > $T/p8.json"
check "eval --k 12 --curve" sh -c "$MM eval --ckpt $T/sft/final $EVAL --k 12 --curve > $T/c12.json"
$PY - "$T" <<'PY' && ok "the curve agrees with pass@K, maj@K and sample accuracy" || fail "curve"
import json, sys
T = sys.argv[1]
c8, p8, c12 = (json.load(open(f"{T}/{n}.json")) for n in ("c8", "p8", "c12"))
cv = c8["curve"]
def near(a, b): return abs(a - b) < 1e-9
assert [p["k"] for p in cv] == [1, 2, 4, 8], cv
assert [p["k"] for p in c12["curve"]] == [1, 2, 4, 8], c12["curve"]
assert 0 < c8["sample_acc"] < 1, c8  # the test says nothing if every sample is right or wrong
assert near(cv[0]["pass"], c8["sample_acc"]) and near(cv[0]["maj"], c8["sample_acc"]), cv[0]
assert near(cv[-1]["pass"], c8["pass_at_8"]) and near(cv[-1]["maj"], c8["maj_at_8"]), cv[-1]
assert all(a["pass"] <= b["pass"] + 1e-12 for a, b in zip(cv, cv[1:])), cv
for key in ("greedy_acc", "pass_at_8", "maj_at_8", "sample_acc"):
    assert c8[key] == p8[key], key
# K = 12: Pass@8 is the estimate over 12 samples, between Pass@4 and Pass@12
cv = c12["curve"]
assert near(cv[0]["pass"], c12["sample_acc"]) and cv[2]["pass"] <= cv[3]["pass"] <= c12["pass_at_12"] + 1e-12
PY
$MM eval --ckpt "$T/sft/final" $EVAL --curve > /dev/null 2>&1
same "--curve without --k is a usage error" "$?" 2
finish
