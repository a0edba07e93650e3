#!/bin/sh
# Runs the three BF16 benchmarks one after the other (5 repetitions each, the programs' default),
# waiting up to $WAIT seconds (default 600) per program for the 1-minute load average to drop below
# 0.7 (the two cores are shared), and keeps each program's full output with the load average before
# and after. Usage: [WAIT=s] scripts/run_benches.sh [build-dir] [out-dir] [extra benchmark flags...]
# (the programs are build-dir/bench/odma_bench_bf16_*; out-dir defaults to docs/bf16_results)
set -u
build=${1:-build}
out=${2:-docs/bf16_results}
shift 2 2>/dev/null || true
mkdir -p "$out"
# oneDNN's OpenMP runtime reads this before main(): match the kernels' thread count.
export OMP_NUM_THREADS="${ODMA_THREADS:-2}"
for b in bench_bf16_gemv bench_bf16_gemm bench_bf16_attention; do
  waited=0
  while [ "$(cut -d' ' -f1 /proc/loadavg | cut -d. -f1)" -ge 1 ] || \
        [ "$(cut -d' ' -f1 /proc/loadavg | cut -d. -f2 | cut -c1)" -ge 7 ] && \
        [ "$waited" -lt "${WAIT:-600}" ]; do
    sleep 10
    waited=$((waited + 10))
  done
  {
    echo "# $b $(date -u +%FT%TZ) loadavg before: $(cat /proc/loadavg) (waited ${waited}s)"
    "$build/bench/odma_$b" "$@"
    echo "# loadavg after: $(cat /proc/loadavg)"
  } > "$out/$b.txt" 2>&1
done
