#!/usr/bin/env bash
# select_10m — tests/integration/select_bounded.sh at the issue's scale: 10 million score rows in
# 2,000 score files reduce under 1 GB RSS with the same cut-off as an exact sort.
MM_SELECT_ROWS=10000000 MM_SELECT_RSS_KB=1048576 exec bash "$(dirname "$0")/../integration/select_bounded.sh"
