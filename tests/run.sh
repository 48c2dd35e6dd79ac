#!/usr/bin/env bash
# tests/run.sh — runs every test suite and prints one closing summary line.
#   unit tests (release build), the same unit tests under ASan+UBSan, the fuzz corpora replayed
#   through the fuzz targets, and the integration scripts tests/integration/*.sh.
# MM_LONG=1 also runs tests/long/*.sh.  MM_ONLY=pattern runs only suites whose name matches.
set -u
cd "$(dirname "$0")/.."
export MM_SRC=$PWD MM_BUILD=${MM_BUILD:-build}
B=$MM_BUILD
export MM=$PWD/$B/mathmine
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
log=$B/test-logs; mkdir -p "$log"
pass=0; fail=0; failed_suites=()
run_suite() { # name cmd...
  local name=$1; shift
  if [ -n "${MM_ONLY:-}" ] && [[ "$name" != *$MM_ONLY* ]]; then return; fi
  local t0=$SECONDS
  mkdir -p "$(dirname "$log/$name.log")"; "$@" >"$log/$name.log" 2>&1; local rc=$?
  local line; line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log/$name.log" | tail -1)
  local p f; p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  [ -z "$line" ] && { p=0; f=1; }
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  pass=$((pass+p)); fail=$((fail+f))
  printf '%-40s %4d passed %3d failed  %4ds\n' "$name" "$p" "$f" $((SECONDS-t0))
  if [ "$f" != 0 ]; then failed_suites+=("$name"); grep -E '^(FAIL|  )' "$log/$name.log" | head -30 | sed 's/^/    /'; tail -5 "$log/$name.log" | sed 's/^/    | /'; fi
}
for t in "$B"/tests/test_*; do [ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"; done
for t in "$B"/tests-asan/test_*; do [ -x "$t" ] && run_suite "asan/$(basename "$t")" "$t"; done
# Fuzz targets: replay the committed corpus (and golden bad inputs), then a short seeded run of
# mutations into a scratch folder (never into the committed corpus).
fuzz_replay() { # FUZZER NAME
  local f=$1 n=$2 scratch; scratch=$(mktemp -d)
  local count; count=$(ls tests/fuzz/corpus/$n 2>/dev/null | wc -l)
  if "$f" -runs=0 "tests/fuzz/corpus/$n" >"$scratch/replay.log" 2>&1 \
     && "$f" -runs=2000 -max_len=4096 -seed=1 -artifact_prefix="$scratch/" "$scratch" "tests/fuzz/corpus/$n" >"$scratch/run.log" 2>&1; then
    echo "$n: $count inputs replayed + 2000 seeded mutations"; echo "$n: 1 passed, 0 failed"
  else
    tail -30 "$scratch"/*.log; ls "$scratch"/crash-* 2>/dev/null; echo "$n: 0 passed, 1 failed"
  fi
  rm -rf "$scratch"
}
for f in "$B"/fuzzers/fuzz_*; do
  [ -x "$f" ] || continue
  run_suite "fuzz-replay/$(basename "$f")" fuzz_replay "$f" "$(basename "$f")"
done
for t in tests/integration/*.sh; do [ -f "$t" ] && run_suite "integration/$(basename "$t" .sh)" bash "$t"; done
# The bad-input matrix once more through the ASan+UBSan build of the program (a subset: see the
# script).  Leak checks are off there: a command that fails exits without freeing (cli_die).
if [ -x "$B/mathmine-asan" ]; then
  run_suite "asan/bad_inputs" env MM="$PWD/$B/mathmine-asan" MM_BAD_SUBSET=1 \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 bash tests/integration/bad_inputs.sh
fi
if [ -n "${MM_LONG:-}" ]; then for t in tests/long/*.sh; do [ -f "$t" ] && run_suite "long/$(basename "$t" .sh)" bash "$t"; done; fi
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]} (logs in $log/)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
