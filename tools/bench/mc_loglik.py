#!/usr/bin/env python3
"""Multiple-choice accuracy of a checkpoint by the log-likelihood of each option
(docs/corpus_eval.md, "Multiple choice by log-likelihood").

For each question of an MMLU-format CSV (question, four options, the letter), every option is
scored as the completion of the question's prompt, by one `mathmine eval --loss --dump` over
all the (question, option) pairs (cloze style: the options are not listed in the prompt, so a
model need not know the letters); the option with the lowest loss is the model's answer, by
total nats (`acc_sum`) and by nats per UTF-8 byte of the option (`acc_per_byte`, which does
not favour short options).  `--unconditioned` scores the options without their question: what
the model prefers from the options alone, the baseline a model must beat to be using the
question.  Chance is 1/4.

usage: mc_loglik.py --mm build/mathmine --ckpt CKPT --csv FILE [--n N] [--unconditioned]
prints one JSON object: n, acc_sum, acc_per_byte, chance and the standard error at chance.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mm", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--unconditioned", action="store_true")
    a = ap.parse_args()
    with open(a.csv, newline="") as f:
        rows = [r for r in csv.reader(f) if len(r) >= 6]
    if a.n:
        rows = rows[: a.n]
    right_sum = right_byte = 0
    with tempfile.TemporaryDirectory() as tmp:
        items, dump = os.path.join(tmp, "items.jsonl"), os.path.join(tmp, "loss.jsonl")
        with open(items, "w") as f:
            for r in rows:
                for o in r[1:5]:
                    f.write(json.dumps({"question": r[0], "solution": o, "answer": o}) + "\n")
        cmd = [a.mm, "eval", "--loss", "--ckpt", a.ckpt, "--task", "bench", "--test-file", items,
               "--dump", dump]
        if a.unconditioned:
            cmd.append("--unconditioned")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(dump) as f:
            loss = [json.loads(line) for line in f]
    if len(loss) != 4 * len(rows):
        sys.exit("mc_loglik.py: %d losses for %d options" % (len(loss), 4 * len(rows)))
    for i, r in enumerate(rows):
        gold = "ABCD".index(r[5].strip())
        s = loss[4 * i: 4 * i + 4]
        right_sum += min(range(4), key=lambda k: s[k]["nats"]) == gold
        right_byte += min(range(4), key=lambda k: s[k]["nats"] / max(s[k]["bytes"], 1)) == gold
    n = len(rows)
    res = {"ckpt": a.ckpt, "csv": a.csv, "n": n, "conditioned": not a.unconditioned,
           "acc_sum": right_sum / n, "acc_per_byte": right_byte / n, "chance": 0.25,
           "se_at_chance": math.sqrt(0.25 * 0.75 / n)}
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
