#!/usr/bin/env bash
# tokenizer_hf: the files `mathmine tokenizer train` writes are GPT-2 / Hugging Face files.
# Debian has no `tokenizers`/`transformers` package, so a pure-Python GPT-2 BPE (the algorithm
# of GPT-2's encoder.py: bytes_to_unicode, the pre-tokenisation regex, rank-ordered merges)
# loads vocab.json + merges.txt and encodes the same texts; the ids must be identical.  The
# regex is Python's `regex` module (\p{L}, \p{N}) when installed (Debian python3-regex),
# else a by-hand transcription of the pattern on unicodedata categories.  Invalid UTF-8 goes
# through Python's surrogateescape, so each bad byte is one "other" character, as in C.
source "$(dirname "$0")/../lib.sh"

cat > "$T/ref.py" <<'PY'
import json, sys, unicodedata
try:
    import regex
    PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
    def pretokens(s): return PAT.findall(s)
    HOW = "regex module"
except ImportError:
    WS = set([0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] + list(range(9, 14)) + [32] + list(range(0x2000, 0x200B)))
    def cls(ch):
        c = ord(ch)
        if c in WS: return "S"
        k = unicodedata.category(ch)[0]
        return k if k in "LN" else "O"
    def pretokens(s):
        out, i, n = [], 0, len(s)
        while i < n:
            if s[i] == "'":
                for c in ("s", "t", "re", "ve", "m", "ll", "d"):
                    if s.startswith(c, i + 1):
                        out.append(s[i:i + 1 + len(c)]); i += 1 + len(c); break
                else: c = None
                if c: continue
            st = i
            if s[i] == " " and i + 1 < n and cls(s[i + 1]) != "S": i += 1
            k = cls(s[i])
            if k != "S":
                i += 1
                while i < n and cls(s[i]) == k: i += 1
                out.append(s[st:i]); continue
            j = i
            while j < n and cls(s[j]) == "S": j += 1
            if j == n or j - i == 1: out.append(s[i:j]); i = j
            else: out.append(s[i:j - 1]); i = j - 1
        return out
    HOW = "hand-written pattern on unicodedata"

def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))

tokdir = sys.argv[1]
vocab = json.load(open(tokdir + "/vocab.json", encoding="utf-8"))
lines = open(tokdir + "/merges.txt", encoding="utf-8").read().split("\n")
assert lines[0].startswith("#version"), "merges.txt must start with #version"
ranks = {tuple(l.split(" ")): r for r, l in enumerate(x for x in lines[1:] if x)}
for (a, b) in ranks:
    assert a in vocab and b in vocab and a + b in vocab, (a, b)
assert sorted(vocab.values()) == list(range(len(vocab))), "ids must be 0..n-1"
assert vocab.get("<|endoftext|>") == len(vocab) - 1
b2u = bytes_to_unicode()
cache = {}
def bpe(tok):
    if tok in cache: return cache[tok]
    word = list(tok)
    while len(word) > 1:
        pairs = [(ranks.get((word[i], word[i + 1]), 1 << 60), i) for i in range(len(word) - 1)]
        r, _ = min(pairs)
        if r == 1 << 60: break
        a, b = word[_], word[_ + 1]
        new, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == a and word[i + 1] == b: new.append(a + b); i += 2
            else: new.append(word[i]); i += 1
        word = new
    cache[tok] = word
    return word

for path in sys.argv[2:]:
    data = open(path, "rb").read()
    text = data.decode("utf-8", "surrogateescape")
    ids = []
    for pt in pretokens(text):
        mapped = "".join(b2u[b] for b in pt.encode("utf-8", "surrogateescape"))
        ids.extend(vocab[t] for t in bpe(mapped))
    open(path + ".ref", "w").write(" ".join(map(str, ids)) + "\n")
print("reference pre-tokeniser:", HOW)
PY

# Training text: maths in English and Chinese, web articles in many languages.
$PY - "$SHARED" "$T" <<'PY'
import json, sys, random
sh, t = sys.argv[1], sys.argv[2]
def texts(path, keys):
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        yield "\n".join(str(d[k]) for k in keys if k in d)
gsm = list(texts(sh + "/benchmarks/gsm8k/train.jsonl", ["question", "answer"]))
cm = list(texts(sh + "/benchmarks/cmath/cmath_dev.jsonl", ["input", "golden"]))
mt = list(texts(sh + "/benchmarks/math/test.jsonl", ["problem", "solution"]))
gt = json.load(open(sh + "/testdata/article-extraction-benchmark/ground-truth.json", encoding="utf-8"))
art = [v.get("articleBody", "") for v in gt.values()]
with open(t + "/train.jsonl", "w") as f:
    for x in gsm[:3000] + cm + mt[:2000] + art:
        f.write(json.dumps({"id": str(len(x)), "text": x}, ensure_ascii=False) + "\n")
open(t + "/en.txt", "w").write("\n\n".join(gsm[3000:3300]))
open(t + "/zh.txt", "w").write("\n\n".join(cm[:400]))
open(t + "/tex.txt", "w").write("\n\n".join(mt[2000:2300]))
open(t + "/web.txt", "w").write("\n\n".join(art[:60]))
r = random.Random(7)
edge = ["don't we'll I'M it's 'tis ''s", "a  b   c\t\td\n\n\ne \u00a0x\u3000y", "x²+½=Ⅻ ٣٤ ໑",
        "naïve café Ångström ḿ", "\u0915\u093f\u0924\u093e\u092c", "   ", " ", "\n", "'", "' s",
        "a" * 300 + " " + "7" * 200 + "=" * 120, "emoji 😀😀 🇫🇷 \u200d"]
open(t + "/edge.txt", "w").write("\n".join(edge))
open(t + "/bytes.bin", "wb").write(bytes(r.randrange(256) for _ in range(20000)) +
    b"\xe4\xb8 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf \xe0\x80\x80 ab\xffcd \xf0\x9f\x98")
PY

check "train" $MM tokenizer train --vocab 3000 -j 2 "$T/train.jsonl" -o "$T/tok"
out=$($PY "$T/ref.py" "$T/tok" "$T/en.txt" "$T/zh.txt" "$T/tex.txt" "$T/web.txt" "$T/edge.txt" "$T/bytes.bin" 2>&1)
if [ $? = 0 ]; then ok "python GPT-2 BPE loads vocab.json + merges.txt ($out)"; else fail "python reference: $out"; fi
for f in en zh tex web edge; do
  $MM tokenizer encode --tokenizer "$T/tok" "$T/$f.txt" > "$T/$f.ids"
  if cmp -s "$T/$f.ids" "$T/$f.txt.ref"; then ok "ids equal the Python GPT-2 reference: $f ($(wc -w < "$T/$f.ids") tokens)"
  else fail "ids differ from the reference on $f"; diff <(tr ' ' '\n' < "$T/$f.ids") <(tr ' ' '\n' < "$T/$f.txt.ref") | head -5; fi
done
$MM tokenizer encode --tokenizer "$T/tok" "$T/bytes.bin" > "$T/bytes.ids"
if cmp -s "$T/bytes.ids" "$T/bytes.bin.ref"; then ok "ids equal the reference on random bytes / invalid UTF-8"; else fail "invalid UTF-8 ids differ"; fi
finish
