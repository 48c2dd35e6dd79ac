#!/usr/bin/env bash
# bench_tokenizer: BPE training time on ~100 MB of real text and encoding MB/s per core, next to
# a pure-Python GPT-2 BPE (Debian has no Hugging Face `tokenizers`; when python3 can import it,
# it is timed too).  The corpus is built once from text on this machine: the maths benchmarks
# and web articles in ../shared, then the HTML manuals and compressed changelogs under
# /usr/share/doc with their markup stripped.  Writes $BENCH/tokenizer.json.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MM=${MM:-$SRC/build/mathmine}
BENCH=${BENCH:-$SRC/build/bench}
PY=/usr/bin/python3
MB=${TOK_BENCH_MB:-100}
VOCAB=${TOK_BENCH_VOCAB:-8192}
mkdir -p "$BENCH"
W=$BENCH/tokenizer-work; mkdir -p "$W"
CORPUS=$W/corpus-${MB}mb.txt
export MM_NO_PROGRESS=1

if [ ! -s "$CORPUS" ]; then
  echo "building a ${MB} MB corpus of real text in $CORPUS ..."
  $PY - "$SRC/../shared" "$CORPUS" "$MB" <<'PY'
import glob, gzip, html.parser, json, os, sys
shared, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
limit = mb * 1000 * 1000
class Strip(html.parser.HTMLParser):
    def __init__(self): super().__init__(); self.parts = []; self.skip = 0
    def handle_starttag(self, t, a): self.skip += t in ("script", "style")
    def handle_endtag(self, t): self.skip -= t in ("script", "style") and self.skip > 0
    def handle_data(self, d):
        if not self.skip: self.parts.append(d)
def texts():
    for p in sorted(glob.glob(shared + "/benchmarks/*/*.jsonl")):
        for line in open(p, encoding="utf-8", errors="replace"):
            try: d = json.loads(line)
            except ValueError: continue
            yield "\n".join(str(v) for v in d.values() if isinstance(v, str))
    gt = json.load(open(shared + "/testdata/article-extraction-benchmark/ground-truth.json", encoding="utf-8"))
    for v in gt.values(): yield v.get("articleBody", "")
    for p in sorted(glob.glob("/usr/share/doc/**/*.html", recursive=True)):
        s = Strip()
        try: s.feed(open(p, encoding="utf-8", errors="replace").read())
        except Exception: continue
        yield "".join(s.parts)
    for p in sorted(glob.glob("/usr/share/doc/*/*.gz")):
        try: yield gzip.open(p).read().decode("utf-8", "replace")
        except Exception: continue
n = 0
with open(out + ".tmp", "w", encoding="utf-8") as f:
    for t in texts():
        if n >= limit: break
        t = t[: limit - n]
        f.write(t + "\n\n"); n += len(t.encode("utf-8")) + 2
os.rename(out + ".tmp", out)
print("corpus: %.1f MB" % (n / 1e6))
PY
fi
size=$(stat -c %s "$CORPUS")
cores=$(nproc)

# 1. training on the whole corpus, all cores for counting
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$W/train.time" \
  $MM tokenizer train --vocab "$VOCAB" --force --stats "$W/train.json" "$CORPUS" -o "$W/tok" 2>"$W/train.log"
t1=$(date +%s.%N)
train_s=$(echo "$t1 - $t0" | bc)

# 2. encoding, one thread: the first 20 MB, binary ids (no text formatting)
head -c 20000000 "$CORPUS" > "$W/enc.txt"
enc_bytes=$(stat -c %s "$W/enc.txt")
$MM -v tokenizer encode --binary --tokenizer "$W/tok" "$W/enc.txt" > "$W/enc.bin" 2>"$W/enc.log"
# "... in W s (C s of CPU): ..." — wall and CPU seconds of the encode call itself
enc_s=$(sed -nE 's/.* in ([0-9.]+) s \(([0-9.]+) s of CPU\).*/\1/p' "$W/enc.log")
enc_cpu=$(sed -nE 's/.* in ([0-9.]+) s \(([0-9.]+) s of CPU\).*/\2/p' "$W/enc.log")
tokens=$(( $(stat -c %s "$W/enc.bin") / 4 ))
# round trip while we are here
$MM tokenizer decode --binary --tokenizer "$W/tok" "$W/enc.bin" | cmp -s - "$W/enc.txt" && rt=true || rt=false

# 3. shard: the corpus as a document shard (paragraphs grouped into ~4 KB documents), through
#    `mathmine shard` on 1 thread and on all cores; CPU seconds from /usr/bin/time
DOCS=$W/corpus-${MB}mb.jsonl.zst
if [ ! -s "$DOCS" ]; then
  $PY - "$CORPUS" <<'PY' | zstd -q -o "$DOCS"
import json, sys
buf, n = [], 0
for para in open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().split("\n\n"):
    buf.append(para); n += len(para)
    if n >= 4096:
        sys.stdout.write(json.dumps({"id": str(hash(buf[0])), "text": "\n\n".join(buf)}, ensure_ascii=False) + "\n"); buf, n = [], 0
if buf: sys.stdout.write(json.dumps({"text": "\n\n".join(buf)}, ensure_ascii=False) + "\n")
PY
fi
for j in 1 "$cores"; do
  /usr/bin/time -f "%U %S" -o "$W/shard-$j.time" $MM shard --force -j "$j" --tokenizer "$W/tok" \
    --stats "$W/shard-$j.json" "$DOCS" -o "$W/shards-$j" 2>/dev/null
done

# 4. the Python baselines (CPU seconds, so that other load on the machine counts less): pure-Python GPT-2 BPE encoding of 1 MB with the same files, and a
#    pure-Python trainer (count words, recount pairs every merge) on 1 MB to 600 tokens;
#    Hugging Face tokenizers when importable.
head -c 1000000 "$CORPUS" > "$W/py.txt"
$PY - "$W/tok" "$W/py.txt" "$MM" "$W" > "$W/python.json" <<'PY'
import collections, json, resource, subprocess, sys, time
tokdir, path, mm, w = sys.argv[1:5]
try:
    import regex; pat = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
except ImportError:
    import re; pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+|_+""")
bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256)); cs = bs[:]; n = 0
for b in range(256):
    if b not in bs: bs.append(b); cs.append(256 + n); n += 1
b2u = dict(zip(bs, map(chr, cs)))
vocab = json.load(open(tokdir + "/vocab.json", encoding="utf-8"))
ranks = {tuple(l.split(" ")): r for r, l in enumerate(x for x in open(tokdir + "/merges.txt", encoding="utf-8").read().split("\n")[1:] if x)}
cache = {}
def bpe(tok):
    if tok in cache: return cache[tok]
    word = list(tok)
    while len(word) > 1:
        r, i = min((ranks.get((word[i], word[i + 1]), 1 << 60), i) for i in range(len(word) - 1))
        if r == 1 << 60: break
        a, b = word[i], word[i + 1]; new = []; i = 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == a and word[i + 1] == b: new.append(a + b); i += 2
            else: new.append(word[i]); i += 1
        word = new
    cache[tok] = word; return word
text = open(path, encoding="utf-8", errors="surrogateescape").read()
nbytes = len(text.encode("utf-8", "surrogateescape"))
t0 = time.process_time(); ids = []
for pt in pat.findall(text):
    ids.extend(vocab[t] for t in bpe("".join(b2u[b] for b in pt.encode("utf-8", "surrogateescape"))))
enc_s = time.process_time() - t0
# pure-Python trainer: word counts, then each merge recounts pairs over the distinct words
t0 = time.process_time()
words = collections.Counter(pat.findall(text))
seqs = {wd: [bytes([b]) for b in wd.encode("utf-8", "surrogateescape")] for wd in words}
ntok = 256
while ntok < 600 - 1:
    pairs = collections.Counter()
    for wd, s in seqs.items():
        c = words[wd]
        for i in range(len(s) - 1): pairs[s[i], s[i + 1]] += c
    if not pairs: break
    (a, b), c = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
    if c < 2: break
    for wd, s in seqs.items():
        i = 0; new = []
        while i < len(s):
            if i + 1 < len(s) and s[i] == a and s[i + 1] == b: new.append(a + b); i += 2
            else: new.append(s[i]); i += 1
        seqs[wd] = new
    ntok += 1
py_train_s = time.process_time() - t0
t0 = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run([mm, "tokenizer", "train", "--force", "--vocab", "600", "-j", "1", path, "-o", w + "/tok600"], check=True, stderr=subprocess.DEVNULL)
t1 = resource.getrusage(resource.RUSAGE_CHILDREN)
c_train_s = (t1.ru_utime + t1.ru_stime) - (t0.ru_utime + t0.ru_stime)
res = {"py_encode_mb_s": nbytes / 1e6 / enc_s, "py_train_1mb_600_s": py_train_s,
       "c_train_1mb_600_s": c_train_s, "py_bytes": nbytes, "py_regex": "regex" in sys.modules}
try:
    import tokenizers
    t0 = time.process_time(); tk = tokenizers.ByteLevelBPETokenizer(tokdir + "/vocab.json", tokdir + "/merges.txt")
    tk.encode(text); res["hf_encode_mb_s"] = nbytes / 1e6 / (time.process_time() - t0)
except ImportError:
    res["hf_tokenizers"] = "not installed"
print(json.dumps(res))
PY

$PY - "$W" "$size" "$train_s" "$enc_bytes" "$enc_s" "$tokens" "$rt" "$cores" "$BENCH/tokenizer.json" "$enc_cpu" <<'PY'
import json, os, sys
w, size, train_s, enc_bytes, enc_s, tokens, rt, cores, out, enc_cpu = sys.argv[1:11]
size, train_s, enc_bytes, enc_s, tokens, cores, enc_cpu = int(size), float(train_s), int(enc_bytes), float(enc_s), int(tokens), int(cores), float(enc_cpu)
tr = json.load(open(w + "/train.json")); py = json.load(open(w + "/python.json"))
s1 = json.load(open(w + "/shard-1.json")); sn = json.load(open(w + "/shard-%d.json" % cores))
r = {"corpus_mb": size / 1e6, "vocab": tr["vocab"], "train_seconds": train_s,
     "train_count_seconds": tr["count_seconds"], "train_merge_seconds": tr["merge_seconds"],
     "unique_words": tr["unique_words"], "encode_mb_s_1thread_wall": enc_bytes / 1e6 / enc_s,
     "encode_mb_s_per_cpu_second": enc_bytes / 1e6 / enc_cpu, "loadavg_1min": os.getloadavg()[0],
     "encode_bytes_per_token": enc_bytes / max(tokens, 1), "roundtrip_exact": rt == "true",
     "shard_encode_mb_s_1thread": s1["encode_mb_per_s"], "shard_encode_mb_s_%dthreads" % cores: sn["encode_mb_per_s"],
     "shard_total_seconds_%dthreads" % cores: sn["seconds"], "cores": cores, **py}
cpu1 = sum(map(float, open(w + "/shard-1.time").read().split()))
r["train_cpu_seconds"] = sum(map(float, open(w + "/train.time").read().split()))
r["shard_mb_per_cpu_second"] = s1["input_bytes"] / 1e6 / cpu1
json.dump(r, open(out, "w"), indent=1)
print("%-48s %12s" % ("measure", "value"))
print("%-48s %12.1f" % ("corpus (MB of real text)", r["corpus_mb"]))
print("%-48s %12.1f" % ("train vocab %d: seconds (%d cores counting)" % (r["vocab"], cores), train_s))
print("%-48s %12.1f" % ("  CPU seconds (user+sys, all threads)", r["train_cpu_seconds"]))
print("%-48s %12.1f" % ("  of which counting pre-tokens (s)", r["train_count_seconds"]))
print("%-48s %12.1f" % ("  of which merging, incl. setup (s)", r["train_merge_seconds"]))
print("%-48s %12.1f" % ("encode MB/s per core (CPU time, 20 MB)", r["encode_mb_s_per_cpu_second"]))
print("%-48s %12.1f" % ("encode MB/s, 1 thread, wall clock", r["encode_mb_s_1thread_wall"]))
print("%-48s %12.2f" % ("bytes per token", r["encode_bytes_per_token"]))
print("%-48s %12.1f" % ("shard MB per CPU second (read+encode+write)", r["shard_mb_per_cpu_second"]))
print("%-48s %12.1f" % ("shard MB/s, 1 thread, wall (read+encode)", r["shard_encode_mb_s_1thread"]))
print("%-48s %12.1f" % ("shard MB/s, %d threads, wall" % cores, sn["encode_mb_per_s"]))
print("%-48s %12s" % ("decode(encode(x)) == x", r["roundtrip_exact"]))
print("%-48s %12.1f" % ("load average while measuring (1 min)", r["loadavg_1min"]))
print("%-48s %12.2f" % ("pure-Python GPT-2 BPE encode MB/s (same files)", r["py_encode_mb_s"]))
print("%-48s %12.1f" % ("pure-Python trainer, 1 MB -> 600 tokens (s)", r["py_train_1mb_600_s"]))
print("%-48s %12.2f" % ("mathmine trainer, same 1 MB -> 600 (s, 1 core)", r["c_train_1mb_600_s"]))
if "hf_encode_mb_s" in r: print("%-48s %12.1f" % ("Hugging Face tokenizers encode MB/s", r["hf_encode_mb_s"]))
else: print("Hugging Face tokenizers: not installed (Debian has no package); compared with pure Python")
PY
