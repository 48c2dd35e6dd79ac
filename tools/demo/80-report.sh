#!/usr/bin/env bash
# demo step 80: one HTML page of the whole demo run — funnel, per-stage speed, extraction,
# classifier, iterations, decontamination, samples, training curves — in $DEMO/report.html
# (`mathmine report`, common/report.h).  Prints its path.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
page=$("$MM" report "$DEMO" --title "mathmine demo run" -o "$DEMO/report.html")
echo "report: $page  (open it in a browser: file://$page)"
