#!/usr/bin/env bash
# tools/bench/bench_warc.sh — speed of the WARC reader (`mathmine warc stats`) on a ≥100 MB
# .warc.gz of real pages, side by side in one run with
#   - libdeflate-gunzip -c FILE >/dev/null   (the inflate floor: no parsing at all)
#   - webrecorder's warcio.js (npm `warcio`, installed into $BENCH_NODE; iterates every record
#     and reads its payload)
# single-threaded, then `-j 2` over the sample web's per-site files, plus peak RSS
# (/usr/bin/time -v).  Rates are uncompressed MB (10^6 bytes) per second of wall time, best of
# $REPEAT runs (the machine may be shared: the CPU seconds are printed too).
#
# Input: the sample web's --big set (tools/sampleweb/build.sh, built on first use into
# $SW_DIR), its per-site .warc.gz files concatenated (gzip members stay one per record) until
# the file is at least $MIN_MB MB.  Writes $BENCH/warc.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${MM_BUILD:-build}
MM=${MM:-$PWD/$B/mathmine}
BENCH=${BENCH:-$PWD/$B/bench}
SW_DIR=${SW_DIR:-$PWD/$B/sampleweb-big}
BENCH_NODE=${BENCH_NODE:-$PWD/$B/bench-node}
REPEAT=${REPEAT:-3}
MIN_MB=${MIN_MB:-100}
mkdir -p "$BENCH"

# ---- input ------------------------------------------------------------------------------
if ! ls "$SW_DIR"/*.warc.gz >/dev/null 2>&1 || [ ! -f "$SW_DIR/manifest.tsv" ]; then
  echo "bench_warc: building the sample web (--big) into $SW_DIR (once)"
  bash tools/sampleweb/build.sh "$SW_DIR" --big --quiet
fi
SITES=("$SW_DIR"/*.warc.gz)
BIG=$BENCH/warc-big.warc.gz
if [ ! -f "$BIG" ] || [ "$(stat -c %s "$BIG")" -lt $((MIN_MB * 1000000)) ]; then
  : >"$BIG.tmp"
  while [ "$(stat -c %s "$BIG.tmp")" -lt $((MIN_MB * 1000000)) ]; do cat "${SITES[@]}" >>"$BIG.tmp"; done
  mv "$BIG.tmp" "$BIG"
fi

# the same records as ONE gzip member (a whole-file .gz): isa-l's streaming path
ONE=$BENCH/warc-big-one-member.warc.gz
if [ ! -f "$ONE" ]; then
  libdeflate-gunzip -c "$BIG" | gzip -1 >"$ONE.tmp" && mv "$ONE.tmp" "$ONE"
fi

# ---- warcio.js ------------------------------------------------------------------------------
if [ ! -d "$BENCH_NODE/node_modules/warcio" ]; then
  echo "bench_warc: npm install --prefix $BENCH_NODE warcio"
  mkdir -p "$BENCH_NODE"
  npm install --silent --prefix "$BENCH_NODE" warcio >/dev/null 2>&1 || echo "bench_warc: npm install failed; warcio.js column skipped"
fi
cat >"$BENCH_NODE/iter.mjs" <<'EOF'
// Iterate every record of a WARC with warcio.js and read its whole payload.
import { WARCParser } from "warcio";
import fs from "fs";
let records = 0, bytes = 0;
const parser = new WARCParser(fs.createReadStream(process.argv[2]));
for await (const record of parser) {
  records++;
  for await (const chunk of record) bytes += chunk.length;
}
console.log(JSON.stringify({ records, bytes }));
EOF

# ---- timing helpers -------------------------------------------------------------------------
# run_best NAME CMD...: best wall time of $REPEAT runs -> $NAME_wall, its CPU seconds -> $NAME_cpu,
# its peak RSS in kB -> $NAME_rss; stdout of the last run in $BENCH/NAME.out
run_best() {
  local name=$1; shift
  local best=999999 cpu=0 rss=0
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %U %S %M' -o "$BENCH/$name.time" "$@" >"$BENCH/$name.out" 2>"$BENCH/$name.err" || true
    read -r wall u s m < <(tail -1 "$BENCH/$name.time")
    if awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a < b)}'; then
      best=$wall; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{print u + s}'); rss=$m
    fi
  done
  printf -v "${name}_wall" '%s' "$best"; printf -v "${name}_cpu" '%s' "$cpu"; printf -v "${name}_rss" '%s' "$rss"
}
stat_of() { awk -v k="$2" '$1==k {print $2}' "$BENCH/$1.out"; }

run_best mm "$MM" warc stats -j 1 "$BIG"
ubytes=$(stat_of mm bytes_out); records=$(stat_of mm records)
run_best gunzip bash -c 'libdeflate-gunzip -c "$1" >/dev/null' _ "$BIG"
has_node=0; wj_rate=0; wj_cpu_rate=0; warcio_wall=0; warcio_cpu=0; warcio_rss=0
if [ -d "$BENCH_NODE/node_modules/warcio" ]; then
  has_node=1
  run_best warcio node "$BENCH_NODE/iter.mjs" "$BIG"
fi
run_best one "$MM" warc stats -j 1 "$ONE"
run_best onegz bash -c 'libdeflate-gunzip -c "$1" >/dev/null' _ "$ONE"
run_best j1 "$MM" warc stats -j 1 "${SITES[@]}"
run_best j2 "$MM" warc stats -j 2 "${SITES[@]}"
sites_bytes=$(stat_of j1 bytes_out)

rate() { awk -v b="$1" -v t="$2" 'BEGIN{printf "%.1f", (t > 0 ? b / t / 1e6 : 0)}'; }
rrate() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%.0f", (t > 0 ? n / t : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}'; }
mm_rate=$(rate "$ubytes" "$mm_wall"); gz_rate=$(rate "$ubytes" "$gunzip_wall")
mm_cpu_rate=$(rate "$ubytes" "$mm_cpu"); gz_cpu_rate=$(rate "$ubytes" "$gunzip_cpu")
if [ "$has_node" = 1 ]; then wj_rate=$(rate "$ubytes" "$warcio_wall"); wj_cpu_rate=$(rate "$ubytes" "$warcio_cpu"); fi
j1_rate=$(rate "$sites_bytes" "$j1_wall"); j2_rate=$(rate "$sites_bytes" "$j2_wall")

echo
echo "WARC reading: $(basename "$BIG") $(($(stat -c %s "$BIG") / 1000000)) MB gzip, $((ubytes / 1000000)) MB uncompressed, $records records ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
printf '%-34s %9s %10s %12s %10s %9s\n' tool "wall s" "MB/s" "records/s" "MB/s CPU" "RSS MB"
row() { printf '%-34s %9s %10s %12s %10s %9s\n' "$1" "$2" "$3" "$4" "$5" "$(($6 / 1024))"; }
row "mathmine warc stats" "$mm_wall" "$mm_rate" "$(rrate "$records" "$mm_wall")" "$mm_cpu_rate" "$mm_rss"
row "libdeflate-gunzip -c >/dev/null" "$gunzip_wall" "$gz_rate" "-" "$gz_cpu_rate" "$gunzip_rss"
[ "$has_node" = 1 ] && row "warcio.js (node, payloads read)" "$warcio_wall" "$wj_rate" "$(rrate "$records" "$warcio_wall")" "$wj_cpu_rate" "$warcio_rss"
echo "mathmine / libdeflate-gunzip: $(ratio "$mm_rate" "$gz_rate")x wall, $(ratio "$mm_cpu_rate" "$gz_cpu_rate")x CPU (target >= 0.8)"
[ "$has_node" = 1 ] && echo "mathmine / warcio.js:         $(ratio "$mm_rate" "$wj_rate")x wall, $(ratio "$mm_cpu_rate" "$wj_cpu_rate")x CPU (target >= 5)"
echo "one gzip member for the whole file: mathmine $(rate "$ubytes" "$one_wall") MB/s wall, $(rate "$ubytes" "$one_cpu") MB/s CPU, RSS $((one_rss / 1024)) MB; libdeflate-gunzip $(rate "$ubytes" "$onegz_wall") MB/s wall, $(rate "$ubytes" "$onegz_cpu") MB/s CPU, RSS $((onegz_rss / 1024)) MB"
echo "${#SITES[@]} site files, $((sites_bytes / 1000000)) MB: -j 1 $j1_rate MB/s, -j 2 $j2_rate MB/s ($(ratio "$j2_rate" "$j1_rate")x; CPU s $j1_cpu vs $j2_cpu; peak RSS -j 2: $((j2_rss / 1024)) MB)"

cat >"$BENCH/warc.json" <<EOF
{"input": "$(basename "$BIG")", "gzip_bytes": $(stat -c %s "$BIG"), "uncompressed_bytes": $ubytes, "records": $records,
 "mathmine": {"wall_s": $mm_wall, "cpu_s": $mm_cpu, "mb_per_s": $mm_rate, "records_per_s": $(rrate "$records" "$mm_wall"), "peak_rss_kb": $mm_rss},
 "libdeflate_gunzip": {"wall_s": $gunzip_wall, "cpu_s": $gunzip_cpu, "mb_per_s": $gz_rate, "peak_rss_kb": $gunzip_rss},
 "warcio_js": {"wall_s": $warcio_wall, "cpu_s": $warcio_cpu, "mb_per_s": $wj_rate, "peak_rss_kb": $warcio_rss},
 "one_member": {"gzip_bytes": $(stat -c %s "$ONE"), "wall_s": $one_wall, "cpu_s": $one_cpu, "peak_rss_kb": $one_rss, "gunzip_wall_s": $onegz_wall, "gunzip_cpu_s": $onegz_cpu, "gunzip_peak_rss_kb": $onegz_rss},
 "sites": {"files": ${#SITES[@]}, "uncompressed_bytes": $sites_bytes, "j1_mb_per_s": $j1_rate, "j2_mb_per_s": $j2_rate, "j2_peak_rss_kb": $j2_rss},
 "cores": $(nproc), "load": $(cut -d' ' -f1 /proc/loadavg)}
EOF
