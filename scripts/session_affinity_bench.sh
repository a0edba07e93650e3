#!/usr/bin/env bash
# Prefix-cache affinity across replicas (issue 21, docs/deploy.md): multi-turn chat through nginx
# in front of two `odma serve` replicas, routed by least connections vs by session (X-Session-Id
# on a consistent ring), and one replica serving everything as the reference — REPEATS interleaved
# repeats of the three. The `small` random model (23 M params; qwen2-tiny's tokenizer, the Qwen2.5
# chat template), 16 conversations of 4 turns, 4 conversations at a time, 32 tokens per answer.
# Prints the prefix-cache hit rate and TTFT p50 / p99 (medians over the repeats).
#
#   scripts/session_affinity_bench.sh [BUILD_DIR] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeats=${2:-3}
# shellcheck source=serve_lib.sh
source scripts/serve_lib.sh
work=$(mktemp -d)
rs=
trap '[ -n "$rs" ] && kill -TERM "$rs" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$build/odma" model make-random --preset small --out "$work/model" >/dev/null

run() {  # $1: label, $2: replicas, $3: routing
  local out="$work/$1_$rep.json"
  bash scripts/replicas.sh "$2" --odma "$build/odma" --model "$work/model" --base-port 0 \
    --lb-port 0 --run-dir "$work/run_$1" --routing "$3" --check-interval 0 \
    --kv-memory 64MiB --shutdown-timeout 2 --chat-template data/chat_templates/qwen2_5.json \
    >"$work/rs.out" 2>&1 </dev/null &
  rs=$!
  wait_replicas_ready "$rs" "$work/rs.out" "$work/run_$1" 120 || { cat "$work/rs.out" >&2; exit 1; }
  "$build/odma" loadgen --base-url "$LB_URL" --multi-turn --turns 4 --dataset alpaca \
    --num-prompts 64 --request-rate 4 --max-concurrency 16 --think-time 1 --output-len 32 \
    --ignore-eos --json "$out" >/dev/null
  kill -TERM "$rs"
  wait "$rs" || true
  rs=
  rm -rf "$work/run_$1"
}

for rep in $(seq 1 "$repeats"); do
  echo "== repeat $rep" >&2
  run least-conn 2 least-conn
  run session 2 session
  run one 1 session
done
python3 - "$work" "$repeats" <<'EOF'
import json, statistics, sys
work, repeats = sys.argv[1], int(sys.argv[2])
print("| routing | replicas | prefix hit | TTFT p50 ms | TTFT p99 ms | output tok/s | failed |")
print("|---|---|---|---|---|---|---|")
for label, replicas in (("least-conn", 2), ("session", 2), ("one", 1)):
    runs = [json.load(open(f"{work}/{label}_{r}.json")) for r in range(1, repeats + 1)]
    med = lambda k: statistics.median(x[k] for x in runs)
    print(f"| {label if label != 'one' else 'one replica'} | {replicas} | "
          f"{100 * med('prefix_cache_hit_rate'):.1f}% | {med('median_ttft_ms'):.1f} | "
          f"{med('p99_ttft_ms'):.1f} | {med('output_throughput'):.1f} | "
          f"{sum(x['failed'] for x in runs)} |")
EOF
