#!/usr/bin/env bash
# demo step 10: the sample web — real HTML from Debian documentation packages, one host name per
# site, crawled by GNU wget into $DEMO/web/<host>.warc.gz (see docs/sampleweb.md).  A rerun keeps
# the WARCs already there.  $DEMO/web/manifest.tsv says which sites are math.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
bash "$SRC/tools/sampleweb/build.sh" "$DEMO/web"
