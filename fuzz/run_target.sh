#!/usr/bin/env bash
# One bounded libFuzzer run: run_target.sh BINARY SECONDS CORPUS [libFuzzer flags...]
# New inputs go to $ODMA_FUZZ_SCRATCH (default: a temporary folder); the committed CORPUS is only
# read. Exit status: libFuzzer's (non-zero on a crash, sanitizer report, leak, timeout or OOM);
# the last line is the run's "#N DONE cov: ... ft: ... exec/s: ..." summary.
set -euo pipefail
bin=$1 seconds=$2 corpus=$3
shift 3
scratch=${ODMA_FUZZ_SCRATCH:-$(mktemp -d)}
mkdir -p "$scratch"
artifacts="$scratch/../artifacts/$(basename "$bin")/"
mkdir -p "$artifacts"
# -timeout=1: an input slower than a second is a finding (a parser must answer fast);
# -rss_limit_mb=2048: so is one that needs 2 GB; -max_len: the largest seed, with room to grow.
exec "$bin" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$artifacts" "$@" "$scratch" "$corpus"
