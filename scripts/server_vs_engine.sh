#!/usr/bin/env bash
# The server's overhead, measured (docs/server.md "Measured"): the same model, trace, policy and
# KV budget served (1) in process by `odma bench --trace` and (2) over HTTP by `odma serve`
# under `odma loadgen --trace`, all requests at once, forced output lengths. Then every policy
# behind the server on that trace, and the most concurrent streams held without a failure.
#
#   scripts/server_vs_engine.sh [REPEATS]      (default 3; needs ./build/odma; ~2 min on 2 cores)
#
# The model is the `small` random preset (the bench's default, written to a temp folder); the
# trace is 48 Alpaca test requests (the bench's Alpaca sample), prompts as token ids of their
# lengths (both sides then compute the very same prompts' lengths), outputs capped at 256.
set -euo pipefail
cd "$(dirname "$0")/.."
odma=./build/odma
repeats=${1:-3}
work=$(mktemp -d /tmp/odma-server-vs-engine.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
slots=816                      # the bench's Alpaca budget: 3 static reservations (docs/bench.md)
kv_bytes=$((slots * 4096))     # `small` in BF16 (its checkpoint's dtype): 8 layers x 2 x 2 KV heads x 64 x 2 B

$odma model make-random --preset small --out "$work/small" >/dev/null
$odma trace --mix alpaca --count 48 --seed 1 |
  sed -E 's/"prompt":"([^"\\]|\\.)*",//' >"$work/trace.jsonl"  # token-id prompts of the same lengths

serve() {  # policy, extra flags...; waits until ready; sets $port
  local policy=$1
  shift
  # max_model_len 512 (the trace's largest request is 285 tokens): the server checks that one
  # request of max_model_len fits the budget, as static must hold one.
  $odma serve --model "$work/small" --policy "$policy" --kv-memory "$kv_bytes" --port 0 \
    --max-model-len 512 "$@" \
    2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "odma serve: ready" "$work/serve.log" 2>/dev/null && break
    sleep 0.1
  done
  port=$(sed -nE 's/.*listening on http:\/\/127.0.0.1:([0-9]+).*/\1/p' "$work/serve.log" | head -1)
}
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d$2)" "$1"; }

echo "== 1. in-process engine vs the server, predictor none: both reserve each request's max_tokens"
echo "   (= its output length, as loadgen sends it), so both do the same work. ODMA_THREADS=1: the"
echo "   engine on one core, the other left to the HTTP threads and the load generator (a client"
echo "   runs elsewhere in a deployment); threads 2: the engine on both cores, the client competing"
printf '| threads | policy | run | engine TPS | server TPS | server / engine | engine TTFT p50 ms | server TTFT p50 ms | added TTFT p50 ms | engine TPOT p50 ms | server TPOT p50 ms | added per token µs |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for threads in 1 2; do
export ODMA_THREADS=$threads
for r in $(seq 1 "$repeats"); do
  for policy in static paged odma; do
    $odma bench --model "$work/small" --trace "$work/trace.jsonl" --kv-slots $slots \
      --policies $policy --predictor none --max-tokens 256 --e2e-only --json "$work/b.json" \
      >/dev/null 2>&1
    serve $policy --predictor none
    $odma loadgen --base-url "http://127.0.0.1:$port" --trace "$work/trace.jsonl" \
      --request-rate inf --max-tokens 256 --ignore-eos --json "$work/l.json" >/dev/null 2>&1
    stop
    python3 - "$work/b.json" "$work/l.json" $policy $r $threads <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))["results"][0]
l = json.load(open(sys.argv[2]))
assert l["failed"] == 0, l["errors"][:3]
e_tps, s_tps = b["tps"], l["output_throughput"]
e_ttft, s_ttft = b["ttft_p50_s"] * 1e3, l["median_ttft_ms"]
e_tpot, s_tpot = b["tpot_p50_s"] * 1e3, l["median_tpot_ms"]
print(f"| {sys.argv[5]} | {sys.argv[3]} | {sys.argv[4]} | {e_tps:.1f} | {s_tps:.1f} | {s_tps / e_tps:.3f}x | {e_ttft:.1f} | {s_ttft:.1f} | {s_ttft - e_ttft:+.1f} | {e_tpot:.2f} | {s_tpot:.2f} | {(s_tpot - e_tpot) * 1e3:+.0f} |")
EOF
  done
done
done
unset ODMA_THREADS

echo
echo "== 1b. one request at a time (no queueing): TTFT of the same request in process and over HTTP"
printf '| request | prompt tokens | engine TTFT ms | server TTFT ms | added ms |\n|---|---|---|---|---|\n'
serve odma --predictor none
for i in $(seq 1 8); do
  sed -n "${i}p" "$work/trace.jsonl" >"$work/one.jsonl"
  $odma bench --model "$work/small" --trace "$work/one.jsonl" --kv-slots $slots --policies odma \
    --predictor none --max-tokens 256 --e2e-only --json "$work/b.json" >/dev/null 2>&1
  $odma loadgen --base-url "http://127.0.0.1:$port" --trace "$work/one.jsonl" --request-rate inf \
    --max-tokens 256 --ignore-eos --json "$work/l.json" >/dev/null 2>&1
  python3 - "$work/b.json" "$work/l.json" "$work/one.jsonl" $i <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))["results"][0]
l = json.load(open(sys.argv[2]))
n = json.loads(open(sys.argv[3]).read())["prompt_tokens"]
e, s = b["ttft_p50_s"] * 1e3, l["median_ttft_ms"]
print(f"| {sys.argv[4]} | {n} | {e:.2f} | {s:.2f} | {s - e:+.2f} |")
EOF
done
stop

echo
echo "== 2. every policy behind the server (predictor bundled@0.5, the server's default)"
printf '| policy | completed | failed | output tok/s | req/s | TTFT p50 / p99 ms | TPOT p50 / p99 ms | ITL p99 ms | E2EL p50 ms |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for policy in static paged s3 odma oracle; do
  serve $policy
  $odma loadgen --base-url "http://127.0.0.1:$port" --trace "$work/trace.jsonl" \
    --request-rate inf --max-tokens 256 --ignore-eos --json "$work/l.json" >/dev/null 2>&1 || true
  stop
  python3 - "$work/l.json" $policy <<'EOF'
import json, sys
l = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {l['completed']} | {l['failed']} | {l['output_throughput']:.1f} | {l['request_throughput']:.2f} | {l['median_ttft_ms']:.0f} / {l['p99_ttft_ms']:.0f} | {l['median_tpot_ms']:.1f} / {l['p99_tpot_ms']:.1f} | {l['p99_itl_ms']:.1f} | {l['median_e2el_ms']:.0f} |")
EOF
done

echo
echo "== 3. concurrent streams held (qwen2-tiny, --max-connections 1100, 64 tokens each)"
printf '| streams | completed | failed | output tok/s | TTFT p99 ms |\n|---|---|---|---|---|\n'
for c in 128 256 512 1024; do
  $odma serve --model data/models/qwen2-tiny --kv-memory 512MiB --max-connections 1100 \
    --max-waiting 4096 --port 0 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 1 300); do grep -q "ready" "$work/serve.log" && break; sleep 0.1; done
  port=$(sed -nE 's/.*listening on http:\/\/127.0.0.1:([0-9]+).*/\1/p' "$work/serve.log" | head -1)
  $odma loadgen --base-url "http://127.0.0.1:$port" --dataset alpaca --num-prompts $c \
    --request-rate inf --output-len 64 --ignore-eos --json "$work/c.json" >/dev/null 2>&1 || true
  stop
  python3 - "$work/c.json" $c <<'EOF'
import json, sys
l = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {l['completed']} | {l['failed']} | {l['output_throughput']:.0f} | {l['p99_ttft_ms']:.0f} |")
EOF
done
