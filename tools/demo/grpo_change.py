#!/usr/bin/env python3
"""demo step 70: the change of greedy accuracy between two `mathmine eval --dump` files of the
same test items, with its standard error.

The arith test split is drawn with replacement from a finite set of questions (for the demo's
`--plain --ops 2 --digits 1`, about 280 distinct ones: 1,000 items hold 257), and greedy decoding
gives the same output for the same question, so the items are not independent: the standard
errors below treat each distinct question as one cluster (the usual sqrt(p(1-p)/n) on 1,000
items would be about 2.5 times too small).  The change is paired (same items before and after),
so its standard error is that of the per-question differences.

usage: grpo_change.py BEFORE.jsonl AFTER.jsonl   (prints one line)
"""
import collections
import json
import math
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def clustered_se(keys, values):
    """Standard error of the mean of values, clustered by key."""
    n = len(values)
    mean = sum(values) / n
    sums = collections.defaultdict(float)
    for k, v in zip(keys, values):
        sums[k] += v - mean
    return math.sqrt(sum(s * s for s in sums.values())) / n


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    qs = [r["question"] for r in a]
    if qs != [r["question"] for r in b]:
        sys.exit("grpo_change.py: the two dumps hold different items")
    ya = [1.0 if r["correct"] else 0.0 for r in a]
    yb = [1.0 if r["correct"] else 0.0 for r in b]
    n = len(qs)
    d = [y - x for x, y in zip(ya, yb)]
    print(
        "greedy %.3f -> %.3f: change %+.3f, standard error of the change %.3f "
        "(%d items, %d distinct questions; %d became right, %d became wrong)"
        % (sum(ya) / n, sum(yb) / n, sum(d) / n, clustered_se(qs, d), n, len(set(qs)),
           sum(1 for v in d if v > 0), sum(1 for v in d if v < 0)))


if __name__ == "__main__":
    main()
