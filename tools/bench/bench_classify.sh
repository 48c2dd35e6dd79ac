#!/usr/bin/env bash
# bench_classify — our fastText-compatible scorer vs `fasttext predict-prob`, same model, same input,
# same run.  The model is trained with DeepSeekMath's settings (dim 256, lr 0.1, wordNgrams 3,
# minCount 3, epoch 3, bucket 2M: a ~2 GB input matrix) on real documents found on this machine:
# the HTML manuals of the sample web's Debian packages (tools/sampleweb/sites.tsv: math sites are
# positives, the rest negatives; tags stripped), GSM8K and MATH texts (positives) and the article
# texts of ../shared/testdata (negatives).  Documents are cached in $BENCH/classify/.
#
# Measured per core as CPU seconds (one thread on each side):
#   fasttext      `fasttext predict-prob MODEL norm.txt 2` on the normalised documents
#   ours-lines    `mathmine classify predict --normalized --all` on the same file (like for like)
#   ours-shards   `mathmine classify score -j 1` on the document shards (JSON parsing and
#                 normalisation included, the real pipeline)
# plus model load time (a one-line input) and max RSS, and the largest |score difference|.
# Env: CLF_BENCH_DOCS (documents, default 12000).
set -euo pipefail
: "${MM:?}" "${BENCH:?}" "${SRC:?}"
W=$BENCH/classify
mkdir -p "$W"
NDOCS=${CLF_BENCH_DOCS:-12000}
PY=/usr/bin/python3

if [ ! -s "$W/docs.txt" ] || [ "$(cat "$W/ndocs" 2>/dev/null)" != "$NDOCS" ]; then
  echo "building $NDOCS documents in $W ..."
  rm -rf "$W/shards"; mkdir -p "$W/shards"
  $PY - "$SRC" "$W" "$NDOCS" <<'EOF'
import sys, os, json, random, html.parser, hashlib
src, w, ndocs = sys.argv[1], sys.argv[2], int(sys.argv[3])
shared = os.path.realpath(os.path.join(src, '..', 'shared'))
class Strip(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.out = []; s.skip = 0
    def handle_starttag(s, t, a):
        if t in ('script', 'style'): s.skip += 1
        if t in ('p', 'div', 'br', 'li', 'h1', 'h2', 'h3', 'tr', 'pre'): s.out.append('\n')
    def handle_endtag(s, t):
        if t in ('script', 'style') and s.skip: s.skip -= 1
    def handle_data(s, d):
        if not s.skip: s.out.append(d)
def text_of(path):
    p = Strip()
    try: p.feed(open(path, encoding='utf-8', errors='replace').read())
    except Exception: return ''
    return ' '.join(''.join(p.out).split())
rows = []
for line in open(os.path.join(src, 'tools/sampleweb/sites.tsv')):
    if line.startswith('#') or not line.strip(): continue
    f = line.rstrip('\n').split('\t')
    if len(f) >= 6 and os.path.isdir(f[3]): rows.append((f[0], f[3], f[5] == '1'))
docs = []  # (text, url, host, is_math)
for host, folder, math in rows:
    for dp, dn, fn in sorted(os.walk(folder)):
        for n in sorted(fn):
            if n.endswith('.html'):
                docs.append((os.path.join(dp, n), 'https://%s/%s' % (host, os.path.relpath(os.path.join(dp, n), folder)), host, math))
random.seed(1)
random.shuffle(docs)
# cap each host at 40% of the HTML part so no one manual dominates
out, per_host = [], {}
cap_html = int(ndocs * 0.75)
for path, url, host, math in docs:
    if len(out) >= cap_html: break
    if per_host.get(host, 0) >= 0.4 * cap_html: continue
    t = text_of(path)
    if len(t) < 200: continue
    per_host[host] = per_host.get(host, 0) + 1
    out.append((t, url, host, math))
bench = []
for l in open(os.path.join(shared, 'benchmarks/gsm8k/train.jsonl')):
    d = json.loads(l); bench.append(d['question'] + '\n' + d['answer'])
for l in open(os.path.join(shared, 'benchmarks/math/test.jsonl')):
    d = json.loads(l); bench.append(d['problem'] + '\n' + d['solution'])
random.shuffle(bench)
gt = json.load(open(os.path.join(shared, 'testdata/article-extraction-benchmark/ground-truth.json')))
arts = [v.get('articleBody', '') for v in gt.values() if len(v.get('articleBody', '')) > 200]
need = ndocs - len(out)
for i, a in enumerate(arts[:need // 3]): out.append((a, 'https://news.example/a/%d' % i, 'news.example', False))
for i, b in enumerate(bench[:ndocs - len(out)]): out.append((b, 'https://bench.example/q/%d' % i, 'bench.example', True))
random.shuffle(out)
nsh = 4
sh = [open(os.path.join(w, 'shards', 'docs-%02d.jsonl' % k), 'w') for k in range(nsh)]
with open(os.path.join(w, 'docs.txt'), 'w') as dt, open(os.path.join(w, 'pos.txt'), 'w') as pf, open(os.path.join(w, 'neg.txt'), 'w') as nf:
    for i, (t, url, host, math) in enumerate(out):
        one = ' '.join(t.split())
        dt.write(one + '\n')
        (pf if math else nf).write(one + '\n')
        d = {'id': hashlib.sha1(url.encode()).hexdigest()[:16], 'text': t, 'url': url, 'host': host, 'domain': host}
        sh[i % nsh].write(json.dumps(d, ensure_ascii=False) + '\n')
for f in sh: f.close()
print('documents:', len(out), 'math:', sum(1 for x in out if x[3]), 'bytes:', sum(len(x[0].encode()) for x in out))
EOF
  echo "$NDOCS" > "$W/ndocs"
  rm -f "$W/model.bin"
fi

if [ ! -s "$W/model.bin" ]; then
  echo "training the DeepSeekMath-settings model (dim 256, bucket 2M, 3 epochs) ..."
  t0=$(date +%s.%N)
  "$MM" classify train --pos "$W/pos.txt" --neg "$W/neg.txt" -o "$W/model.bin" --seed 1 >/dev/null
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "train_seconds %.0f\n", b - a}' > "$W/train.txt"
fi
"$MM" classify normalize "$W/docs.txt" > "$W/norm.txt"
N=$(wc -l < "$W/norm.txt"); BYTES=$(stat -c %s "$W/norm.txt"); RAW=$(stat -c %s "$W/docs.txt")
cat "$W/model.bin" > /dev/null   # both sides read the model from the page cache
head -1 "$W/norm.txt" > "$W/one.txt"

# CPU seconds (user + sys) are the measure: "per core" rates, robust on a shared machine.
cpu() { /usr/bin/time -f '%U %S %e %M' -o "$W/$1.time" "${@:2}"; }
cpu ft_load  fasttext predict-prob "$W/model.bin" "$W/one.txt" 2 > /dev/null
cpu ft       fasttext predict-prob "$W/model.bin" "$W/norm.txt" 2 > "$W/ft.out"
cpu ours     "$MM" classify predict --model "$W/model.bin" --normalized --all --timing "$W/norm.txt" > "$W/ours.out" 2> "$W/ours.timing"
head -1000 "$W/norm.txt" > "$W/norm1k.txt"
cpu ours_map "$MM" classify predict --model "$W/model.bin" --load map --normalized --timing "$W/norm1k.txt" > /dev/null 2> "$W/ours_map.timing"
rm -rf "$W/scores"
cpu shards   "$MM" classify score --model "$W/model.bin" -j 1 --out-dir "$W/scores" --stats "$W/score-stats.json" "$W"/shards/*.jsonl 2>/dev/null

$PY - "$W" "$N" "$BYTES" "$RAW" "${BENCH}/classify.json" <<'EOF'
import sys, json, re, os
w, n, nbytes, raw, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def parse(f):
    return [{t[i]: float(t[i + 1]) for i in range(0, len(t), 2)} for t in (l.split() for l in open(f))]
a, b = parse(w + '/ft.out'), parse(w + '/ours.out')
assert len(a) == len(b) == n, (len(a), len(b), n)
maxd = max([abs(x[k] - y.get(k, 0)) for x, y in zip(a, b) for k in x] + [0])
def t(name):
    u, s, e, kb = open(w + '/' + name + '.time').read().split(); return float(u) + float(s), float(e), int(kb)
def timing(name):
    m = re.search(r'load ([0-9.]+) s cpu ([0-9.]+) s wall; scoring (\d+) docs ([0-9.]+) MB: ([0-9.]+) s cpu', open(w + '/' + name + '.timing').read())
    return float(m.group(1)), float(m.group(2)), int(m.group(3)), float(m.group(4)) * 1e6, float(m.group(5))
ftl_cpu, ftl_wall, _ = t('ft_load'); ft_cpu, ft_wall, ft_rss = t('ft')
_, _, ours_rss = t('ours'); _, _, map_rss = t('ours_map'); sh_cpu, sh_wall, sh_rss = t('shards')
ol_cpu, ol_wall, on, ob, os_cpu = timing('ours'); ml_cpu, ml_wall, mn, mb, ms_cpu = timing('ours_map')
st = json.load(open(w + '/score-stats.json'))
ft_score = max(ft_cpu - ftl_cpu, 1e-9)
rows = [  # name, docs, bytes, scoring cpu s, load cpu s, load wall s, max rss KB
    ('fasttext predict-prob', n, nbytes, ft_score, ftl_cpu, ftl_wall, ft_rss),
    ('mathmine classify predict', on, ob, os_cpu, ol_cpu, ol_wall, ours_rss),
    ('  same, --load map (1k docs)', mn, mb, ms_cpu, ml_cpu, ml_wall, map_rss),
    ('mathmine classify score -j1 *', st['docs'], nbytes, sh_cpu, 0.0, st['load_seconds'], sh_rss),
]
info = open(w + '/train.txt').read().strip() if os.path.exists(w + '/train.txt') else ''
print('documents %d, normalised input %.1f MB (raw text %.1f MB); model %.2f GB, %s' % (n, nbytes / 1e6, raw / 1e6, os.path.getsize(w + '/model.bin') / 1e9, info))
print('%-32s %9s %10s %10s %10s %10s %10s' % ('scorer (1 thread, per CPU-s)', 'score cpu', 'docs/s', 'MB/s', 'load cpu', 'load wall', 'RSS MB'))
res = {'documents': n, 'input_bytes': nbytes, 'max_abs_diff': maxd, 'rows': []}
for name, dn, db, sc, lc, lw, rss in rows:
    print('%-32s %9.2f %10.0f %10.2f %10.3f %10.3f %10.0f' % (name, sc, dn / sc, db / 1e6 / sc, lc, lw, rss / 1024))
    res['rows'].append({'name': name.strip(), 'docs': dn, 'score_cpu_s': sc, 'docs_per_cpu_s': dn / sc, 'mb_per_cpu_s': db / 1e6 / sc, 'load_cpu_s': lc, 'load_wall_s': lw, 'max_rss_mb': rss / 1024})
print('* the whole command: shard reading, JSON, normalisation, score files and model load included')
sp = (on / os_cpu) / (n / ft_score)
print('speed-up per core vs fasttext predict-prob: %.1fx (scoring), %.1fx (whole score command vs fastText scoring only)' % (sp, (st['docs'] / sh_cpu) / (n / ft_score)))
print('model load: fastText %.1f s CPU / %.1f s wall; ours %.2f s CPU / %.2f s wall (read), %.3f s wall (map)' % (ftl_cpu, ftl_wall, ol_cpu, ol_wall, ml_wall))
print('largest |score difference| vs fasttext predict-prob: %.2g on %d documents (fastText prints 6 digits)' % (maxd, n))
res['speedup_scoring'] = sp
json.dump(res, open(out, 'w'), indent=1)
if maxd > 1e-5: print('FAIL: scores differ'); sys.exit(1)
EOF
