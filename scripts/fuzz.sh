#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/) for SECONDS each (default 300) and prints one line per
# target: executions, exec/s, coverage (cov: edges, ft: features), corpus size, and whether it
# found anything. Builds them first in $FUZZ_BUILD_DIR (default build-fuzz: clang 14, ASan +
# UBSan, only the libraries and the fuzz targets). Findings land in $FUZZ_BUILD_DIR/fuzz/artifacts/;
# each becomes a regression test in tests/<layer>/ (docs/reliability.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
dir=${FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(safetensors model_config tokenizer_json tokenizer_encode_decode chat_template
           predictor_model trace_jsonl trace_csv openai_request)
fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DODMA_SANITIZE=ON -DODMA_FUZZ=ON -DODMA_BUILD_TESTS=OFF -DODMA_BUILD_BENCH=OFF
fi
cmake --build "$dir" --target "${targets[@]/#/fuzz_}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
status=0
printf '%-24s %12s %8s %7s %7s %7s  %s\n' target execs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  log="$dir/fuzz/$t.log"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  result=ok
  ODMA_FUZZ_SCRATCH="$dir/fuzz/corpus/$t" fuzz/run_target.sh "$dir/fuzz/fuzz_$t" "$seconds" \
    "fuzz/corpus/$t" "${dict[@]}" >"$log" 2>&1 || { result="FOUND (see $log)"; status=1; }
  # The last status line ("#N DONE cov: C ft: F corp: K/..b ... exec/s: E ...") and the final stats.
  line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "${line%% *}")
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$line" | grep -oE '[0-9]+' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$line" | grep -oE '[0-9]+' || true)
  corp=$(grep -oE 'corp: [0-9]+' <<<"$line" | grep -oE '[0-9]+' || true)
  printf '%-24s %12s %8s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$result"
done
exit $status
