#!/usr/bin/env bash
# The README's quick start, run as written (the block between the quickstart markers), in a
# temporary folder next to a link to ../shared, with `build/mathmine` pointing at this build.
source "$(dirname "$0")/../lib.sh"

mkdir -p "$T/run/build" "$T/run/tools"
ln -s "$SRC/../shared" "$T/shared"
ln -s "$MM" "$T/run/build/mathmine"
ln -s "$SRC/tools/sampleweb" "$T/run/tools/sampleweb"
awk '/<!-- quickstart -->/{on=1; next} /<!-- \/quickstart -->/{on=0} on && !/^```/' "$SRC/README.md" > "$T/quickstart.sh"
[ -s "$T/quickstart.sh" ] && ok "README has a quick start block" || { fail "README has a quick start block"; finish; }
(cd "$T/run" && bash -euo pipefail -x "$T/quickstart.sh") >"$T/qs.log" 2>&1
rc=$?
same "the quick start runs to the end" "$rc" 0
[ "$rc" = 0 ] || tail -30 "$T/qs.log"
R=$T/run
[ "$(ls "$R"/docs/*.jsonl.zst 2>/dev/null | wc -l)" = 7 ] && ok "7 document shards extracted" || fail "7 document shards extracted"
[ -s "$R/math.ids" ] && ok "selection wrote ids" || fail "selection wrote ids"
[ -s "$R/work/report.md" ] && ok "iterate wrote its report" || fail "iterate wrote its report"
[ -s "$R/contamination.json" ] && ok "decontamination report" || fail "decontamination report"
ls "$R"/tokens/train_*.bin >/dev/null 2>&1 && ok "token shards" || fail "token shards"
[ -s "$R/ckpt/model.safetensors" ] && ok "checkpoint written" || fail "checkpoint written"
grep -q '"greedy' "$R/../qs.log" 2>/dev/null || grep -q 'greedy' "$T/qs.log" && ok "eval printed accuracy" || fail "eval printed accuracy"
cp "$T/qs.log" "${MM_QS_LOG:-/dev/null}" 2>/dev/null; finish
