#!/usr/bin/env bash
# tools/sampleweb/build.sh — build the sample web: real HTML from Debian documentation packages,
# served on 127.0.0.1 under one host name per site (serve.py) and crawled by GNU wget into one
# OUT_DIR/<host>.warc.gz per site.  See docs/sampleweb.md.
#
# Usage: build.sh OUT_DIR [--small | --big] [--sites h1,h2,...] [--max-pages N] [-j N]
#                 [--no-install] [--quiet]
#   (default)      the demo set: 12 sites, ~3,400 HTML pages (column "default" of sites.tsv)
#   --small        the test set: 3 math + 3 other sites, ~36-60 pages each (column "small")
#   --big          every page of every site plus 4 more big sites (column "big"), ≥100 MB
#   --sites LIST   only these hosts (comma-separated) of the chosen set
#   --max-pages N  cap every site section at N HTML pages
#   -j N           crawl N sites at once (default: number of cores, 4 to 8)
#   --no-install   fail instead of running apt-get when a package is missing
#   --quiet        no table at the end
# Idempotent: a site whose OUT_DIR/<host>.warc.gz exists is skipped; each WARC is written under a
# temporary name (.tmp.<host>.<run>.warc.gz) and renamed when wget has finished.  Writes OUT_DIR/manifest.tsv (per site:
# math flag, HTML pages, responses, chunked/gzip counts, bytes, pages per section; see stats.py)
# every run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
SITES_TSV=$HERE/sites.tsv

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-2}"; }
OUT= SET=default HOSTS= MAXP=0 JOBS= INSTALL=1 QUIET=
while [ $# -gt 0 ]; do
  case $1 in
    --small) SET=small ;;
    --big) SET=big ;;
    --default) SET=default ;;
    --sites) HOSTS=${2:?--sites needs a list}; shift ;;
    --sites=*) HOSTS=${1#*=} ;;
    --max-pages) MAXP=${2:?--max-pages needs N}; shift ;;
    --max-pages=*) MAXP=${1#*=} ;;
    -j) JOBS=${2:?-j needs N}; shift ;;
    -j*) JOBS=${1#-j} ;;
    --no-install) INSTALL= ;;
    --quiet) QUIET=1 ;;
    -h|--help) usage 0 ;;
    -*) echo "build.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$OUT" ] || { echo "build.sh: one OUT_DIR only" >&2; usage; }; OUT=$1 ;;
  esac
  shift
done
[ -n "$OUT" ] || usage
[[ "$MAXP" =~ ^[0-9]+$ ]] || { echo "build.sh: --max-pages needs a number" >&2; exit 2; }
if [ -z "$JOBS" ]; then JOBS=$(nproc); [ "$JOBS" -ge 4 ] || JOBS=4; [ "$JOBS" -le 8 ] || JOBS=8; fi
command -v wget >/dev/null || { echo "build.sh: GNU wget is needed (apt-get install wget)" >&2; exit 1; }
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

# ---- the chosen rows: host mount package folder (column 7/8/9 = small/default/big cap) -------
col=$(case $SET in small) echo 7 ;; default) echo 8 ;; big) echo 9 ;; esac)
rows=$(awk -F'\t' -v c="$col" -v hosts=",$HOSTS," '
  /^[ \t]*#/ || NF < 9 { next }
  $c == "-" { next }
  hosts != ",," && index(hosts, "," $1 ",") == 0 { next }
  { print $1 "\t" $2 "\t" $3 "\t" $4 }' "$SITES_TSV")
[ -n "$rows" ] || { echo "build.sh: no sites selected (set $SET, sites '$HOSTS')" >&2; exit 2; }
if [ -n "$HOSTS" ]; then
  for h in ${HOSTS//,/ }; do
    grep -q "^$h	" <<<"$rows" || { echo "build.sh: $h is not a site of the $SET set" >&2; exit 2; }
  done
fi
hosts=$(cut -f1 <<<"$rows" | awk '!seen[$0]++')

# ---- packages: install the missing ones (only for sites still to build) ---------------------
todo=()
for h in $hosts; do [ -s "$OUT/$h.warc.gz" ] || todo+=("$h"); done
if [ ${#todo[@]} -gt 0 ]; then
  pkgs=$(awk -F'\t' -v t=" ${todo[*]} " 'index(t, " " $1 " ") { print $3 }' <<<"$rows" | sort -u)
  missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
  if [ -n "$missing" ]; then
    missing=$(echo $missing)
    if [ -z "$INSTALL" ] || [ "$(id -u)" != 0 ]; then
      echo "build.sh: missing Debian packages: $missing (apt-get install --no-install-recommends $missing)" >&2; exit 1
    fi
    echo "build.sh: installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q --no-install-recommends $missing >"$OUT/.apt.log" 2>&1 ||
      { apt-get update -q >>"$OUT/.apt.log" 2>&1 && apt-get install -y -q --no-install-recommends $missing >>"$OUT/.apt.log" 2>&1; }; } ||
      { echo "build.sh: apt-get failed, see $OUT/.apt.log" >&2; tail -5 "$OUT/.apt.log" >&2; exit 1; }
    rm -f "$OUT/.apt.log"
  fi
fi

# ---- serve and crawl ---------------------------------------------------------------------
work=$(mktemp -d "$OUT/.work.XXXXXX")
tag=${work##*.}  # names this run's temporary WARCs, so concurrent builds into one folder never clash
srv_pid= xargs_pid=
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
  [ -n "$xargs_pid" ] && kill "$xargs_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"; rm -f "$OUT"/.tmp.*."$tag".warc.gz
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$(date +%s%N)
if [ ${#todo[@]} -gt 0 ]; then
  todo_csv=$(IFS=,; echo "${todo[*]}")
  "$PY" "$HERE/serve.py" --sites "$SITES_TSV" --set "$SET" --hosts "$todo_csv" --max-pages "$MAXP" \
    --port-file "$work/port" --log "$work/requests.log" 2>"$work/serve.err" &
  srv_pid=$!
  for _ in $(seq 600); do [ -s "$work/port" ] && break; kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.05; done
  [ -s "$work/port" ] || { echo "build.sh: serve.py did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
  port=$(cat "$work/port")

  crawl() { # host
    local h=$1 start mounts
    mounts=$(awk -F'\t' -v h="$h" '$1 == h { print $2 }' <<<"$rows")
    if [ "$(wc -l <<<"$mounts")" = 1 ]; then start="http://$h$mounts"; else start="http://$h/"; fi
    local tmp="$OUT/.tmp.$h.$tag"
    local rc=0
    env -u no_proxy -u NO_PROXY -u https_proxy -u HTTPS_PROXY \
      wget --no-config --no-verbose --recursive --level=inf --no-parent \
        -e robots=on -e use_proxy=yes -e "http_proxy=127.0.0.1:$port" \
        --compression=auto --tries=2 --timeout=60 \
        --reject '*.png,*.jpg,*.jpeg,*.gif,*.svg,*.ico,*.bmp,*.webp,*.woff,*.woff2,*.ttf,*.eot,*.otf,*.pdf,*.ps,*.dvi,*.zip,*.gz,*.tgz,*.bz2,*.xz,*.tar,*.mp4,*.webm' \
        --reject-regex '^https:|/_sources/|\.txt$' \
        --directory-prefix "$work/dl/$h" \
        --warc-file "$tmp" --no-warc-keep-log \
        "$start" >"$work/wget-$h.log" 2>&1 || rc=$?
    # wget exits 8 when some response was an error (the broken links of real docs give 404s)
    if [ "$rc" != 0 ] && [ "$rc" != 8 ]; then
      [ -d "$work" ] || { rm -f "$tmp.warc.gz"; return 1; }  # the build was stopped
      echo "build.sh: wget failed for $h (exit $rc):" >&2; tail -5 "$work/wget-$h.log" >&2
      rm -f "$tmp.warc.gz"; return 1
    fi
    [ -s "$tmp.warc.gz" ] || { echo "build.sh: wget wrote no WARC for $h" >&2; return 1; }
    mv -f "$tmp.warc.gz" "$OUT/$h.warc.gz"
    rm -rf "$work/dl/$h"
  }
  export -f crawl; export OUT work port rows tag
  # in the background so that a signal is handled at once: cleanup stops the server, and the
  # crawls still running then fail fast and delete their temporary WARCs
  printf '%s\n' "${todo[@]}" | xargs -P "$JOBS" -I{} bash -c 'crawl "$@"' _ {} &
  xargs_pid=$!
  wait "$xargs_pid" || { xargs_pid=; echo "build.sh: some sites failed" >&2; exit 1; }
  xargs_pid=
  kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null || true; srv_pid=
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
skipped=$(( $(wc -w <<<"$hosts") - ${#todo[@]} ))
"$PY" "$HERE/stats.py" --sites "$SITES_TSV" --manifest "$OUT/manifest.tsv" "$OUT" >"$work/table"
[ -n "$QUIET" ] || cat "$work/table"
printf 'build.sh: %s set, %d sites crawled, %d already there, %d.%d s; WARCs in %s\n' \
  "$SET" "${#todo[@]}" "$skipped" $((ms / 1000)) $((ms % 1000 / 100)) "$OUT"
