#!/usr/bin/env bash
# run_manifest: `mathmine run` leaves OUT/_run/manifest.json (version, the pipeline file and its
# XXH3-64, the input list's XXH3-64, every task's marker with its stats, and the cost), and `status
# --cost` / `run --cost` print the cost table.  Every number is recomputed here from the task
# markers (CPU seconds, inputs, bytes, documents) and the files themselves (XXH3-64 through
# libxxhash): CPU-hours per stage, per TB of WARC input, per million documents, and the
# projection for a dump = per-file CPU × files (and × file_bytes / mean size with --file-bytes).
source "$(dirname "$0")/../lib.sh"
D=$SHARED/testdata/chatnoir-resiliparse/tests/data
mkdir -p "$T/w"
for i in 1 2 3 4 5; do cp "$D/warcfile.warc.gz" "$T/w/w$i.warc.gz"; done
(cd "$T/w" && ls) >"$T/list.txt"
cat >"$T/p.ini" <<P
out = $T/out
tasks = 2
[extract]
map = extract -j 1 -o {out}/docs
inputs = $T/list.txt
base = $T/w
[minhash-sig]
map = dedup minhash signatures -j 1 --work {out}/mh
inputs = {out}/docs/*.jsonl.zst
P
check "run" $MM run "$T/p.ini" -j 2 --dump-files 1000
M=$T/out/_run/manifest.json
[ -s "$M" ] && ok "manifest written" || { fail "no manifest"; finish; }

$PY - "$M" "$T/p.ini" "$($MM --version | cut -d' ' -f2)" "$(stat -c %s "$D/warcfile.warc.gz")" \
    >"$T/py.out" 2>&1 <<'PYEOF'
import ctypes, glob, json, math, os, sys
m = json.load(open(sys.argv[1]))
pini, version, wsize = sys.argv[2], sys.argv[3], int(sys.argv[4])
xx = ctypes.CDLL("libxxhash.so.0")
xx.XXH3_64bits.restype = ctypes.c_ulonglong
xx.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
def xxh(path):
    b = open(path, "rb").read()
    return "%016x" % xx.XXH3_64bits(b, len(b))
def close(a, b, what):
    assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12), "%s: %r != %r" % (what, a, b)
assert m["mathmine"] == version, m["mathmine"]
assert m["pipeline"]["text"] == open(pini).read(), "pipeline text"
assert m["pipeline"]["xxh3"] == xxh(pini), "pipeline xxh3"
ins = {i["stage"]: i for i in m["inputs"]}
assert ins["extract"]["files"] == 5, ins["extract"]
assert ins["extract"]["xxh3"] == xxh(ins["extract"]["path"]), "input list xxh3"
st = {s["name"]: s for s in m["stages"]}
assert [s["name"] for s in m["stages"]] == ["extract", "minhash-sig"]
c = m["cost"]
assert c["warc_files"] == 5 and c["warc_bytes"] == 5 * wsize, (c["warc_files"], c["warc_bytes"])
assert c["dump_files"] == 1000
close(c["assumed_file_bytes"], wsize, "assumed file size = the mean here")
cs = {s["name"]: s for s in c["stages"]}
total_cpu = 0
for name, s in st.items():
    marks = s["task_markers"]
    assert len(marks) == s["tasks"] == s["done"] == 2, (name, len(marks), s["tasks"])
    assert all(k["status"] == "done" and k["stats"] is not None for k in marks)
    cpu = sum(k["cpu_s"] for k in marks)
    assert cpu > 0, name
    total_cpu += cpu
    close(s["cpu_s"], cpu, name + " cpu_s")
    h = cpu / 3600
    close(cs[name]["cpu_hours"], h, name + " cpu_hours")
    close(cs[name]["cpu_hours_per_tb"], h / (5 * wsize / 1e12), name + " per TB")
    docs = s["docs"]
    assert docs > 0, name
    close(cs[name]["cpu_hours_per_million_docs"], h / (docs / 1e6), name + " per Mdocs")
    # the projection: per-file CPU × the dump's files
    close(cs[name]["projected_cpu_hours"], h / 5 * 1000, name + " projection")
    close(cs[name]["docs_per_cpu_s"], docs / cpu, name + " docs/CPU-s")
ext = st["extract"]
assert ext["docs"] == sum(k["stats"]["html"] for k in ext["task_markers"]), "extract docs = html pages"
close(c["total"]["cpu_hours"], total_cpu / 3600, "total cpu_hours")
close(c["total"]["projected_cpu_hours"], total_cpu / 3600 / 5 * 1000, "total projection")
print("ok", total_cpu)
PYEOF
[ $? = 0 ] && ok "manifest: version, pipeline, input list, markers and cost recomputed" || { fail "manifest"; cat "$T/py.out"; }

# the cost table: --file-bytes scales the projection by the assumed size over the mean size
$MM status "$T/out" --cost --dump-files 90000 --file-bytes 1.1e9 >"$T/cost.out"
same "status --cost exits 0" "$?" 0
got=$(awk '$1 == "total" {print $NF}' "$T/cost.out")
want=$($PY -c '
import json, sys
m = json.load(open(sys.argv[1]))
print("%.0f" % (m["cost"]["total"]["cpu_hours"] / m["cost"]["warc_bytes"] * 1.1e9 * 90000))' "$M")
same "status --cost: total projection for 90,000 files of 1.1 GB" "$got" "$want"
grep -q "projection: 90000 files of 1.1e+09 bytes" "$T/cost.out" && ok "the table states the assumed file size" \
    || { fail "assumed size"; cat "$T/cost.out"; }
$MM run "$T/p.ini" --cost >"$T/cost2.out" 2>&1
grep -q "^extract " "$T/cost2.out" && grep -q "^minhash-sig " "$T/cost2.out" && ok "run --cost prints every stage" \
    || { fail "run --cost"; cat "$T/cost2.out"; }
# the input list changes → its checksum changes
h1=$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["inputs"][0]["xxh3"])' "$M")
head -4 "$T/list.txt" >"$T/list4.txt" && mv "$T/list4.txt" "$T/list.txt"
rm -rf "$T/out/_run/extract"
$MM run "$T/p.ini" --stage extract >/dev/null 2>&1
h2=$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["inputs"][0]["xxh3"])' "$M")
[ -n "$h1" ] && [ "$h1" != "$h2" ] && ok "a different input list has a different checksum" || fail "input checksum did not change ($h1 $h2)"
finish
