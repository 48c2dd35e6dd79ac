#!/usr/bin/env bash
# Regenerates the seed models of this corpus (tiny fastText models: dim 2, a few hundred rows):
#   bash tests/fuzz/corpus/fuzz_ftmodel/make-seeds.sh build/mathmine
# (This script is itself replayed as one more non-model input.)
set -eu
MM=${1:-build/mathmine}; D=$(dirname "$0"); T=$(mktemp -d); trap 'rm -rf $T' EXIT
printf 'solve x + 1 = 2\nthe integral of x dx\nprove that n is prime\n' > $T/p.txt
printf 'the mayor said today\nweather is sunny\nfootball match result\n' > $T/n.txt
o="--dim 2 --epoch 1 --min-count 1 -j 1 --seed 1"
$MM classify train --pos $T/p.txt --neg $T/n.txt -o $D/softmax.bin $o --bucket 20 2>/dev/null
$MM classify train --pos $T/p.txt --neg $T/n.txt -o $D/hs-subwords.bin $o --bucket 30 --loss hs --minn 2 --maxn 3 --word-ngrams 2 2>/dev/null
$MM classify train --pos $T/p.txt --neg $T/n.txt -o $D/ova.bin $o --bucket 10 --loss ova 2>/dev/null
$MM classify train --pos $T/p.txt --neg $T/n.txt -o $T/q.bin $o --bucket 260 2>/dev/null
$MM classify quantize --model $T/q.bin -o $D/quant.ftz
$MM classify quantize --model $T/q.bin -o $D/quant-qnorm-cutoff.ftz --qnorm --cutoff 256
ls -la $D
