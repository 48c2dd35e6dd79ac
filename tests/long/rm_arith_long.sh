#!/usr/bin/env bash
# The reward-model test of tests/integration/rm_arith.sh from a stronger policy (1200 warm-up
# steps: ~90% right at temperature 1), sampled at temperature 1.5 so that both labels are
# common; the trained reward model must reach a held-out AUC of 0.7 (measured 0.75).
SFT_STEPS=1200 RM_TEMP=1.5 MIN_AUC=0.7 exec bash "$(dirname "$0")/../integration/rm_arith.sh"
