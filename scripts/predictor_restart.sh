#!/usr/bin/env bash
# Does what the predictor learnt survive a restart? (issue 18, docs/predictor.md) `odma serve`
# (qwen2-tiny, --predictor bundled@0.5, the Alpaca-trained model) serves Vicuna's answer lengths
# (`odma loadgen --dataset alpaca-vicuna --ignore-eos`: every answer as long as Vicuna's, about
# twice Alpaca's), so it learns a drift; it stops (SIGTERM: the state is saved), and the same next
# requests go to a server restarted WITH --predictor-state and to one started without it. Each
# figure is the mean |predicted − actual| output tokens over a window (from /metrics'
# odma:predictor_abs_error_tokens sum and count).
#
#   scripts/predictor_restart.sh [BUILD_DIR] [LEARN] [WINDOW]    (defaults: build 800 200)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
learn=${2:-800}
window=${3:-200}
# shellcheck source=serve_lib.sh
source scripts/serve_lib.sh
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

start() {  # $@: extra serve flags
  start_odma_serve "$work/serve.log" "$build/odma" --model data/models/qwen2-tiny \
    --kv-memory 64MiB --predictor bundled@0.5 "$@" || exit 1
}
error_sum_count() {
  curl -s "http://127.0.0.1:$port/metrics" |
    awk '/^odma:predictor_abs_error_tokens_sum/ {s=$NF} /^odma:predictor_abs_error_tokens_count/ {c=$NF} END {print s, c}'
}
load() {  # $1: requests, $2: seed
  "$build/odma" loadgen --base-url "http://127.0.0.1:$port" --dataset alpaca-vicuna \
    --num-prompts "$1" --seed "$2" --ignore-eos --max-concurrency 32 >/dev/null 2>&1
}
window_error() {  # $1: requests, $2: seed → mean abs error over them
  read -r s0 c0 <<<"$(error_sum_count)"
  load "$1" "$2"
  sleep 0.5
  read -r s1 c1 <<<"$(error_sum_count)"
  python3 -c "print('%.1f' % ((float('$s1') - float('$s0')) / max(1.0, float('$c1') - float('$c0'))))"
}

start --predictor-state "$work/state.odmp"
first=$(window_error "$window" 1)
load $((learn - 2 * window)) 2
last=$(window_error "$window" 3)
stop_odma_serve
start --predictor-state "$work/state.odmp"
restored=$(window_error "$window" 4)
stop_odma_serve
start
fresh=$(window_error "$window" 4)
stop_odma_serve
echo "| window ($window requests of Vicuna-length answers) | mean abs error (tokens) |"
echo "|---|---|"
echo "| first, bundled Alpaca model, before learning | $first |"
echo "| last before the restart (after $learn requests) | $last |"
echo "| first after a restart with --predictor-state | $restored |"
echo "| the same requests, restarted without it | $fresh |"
