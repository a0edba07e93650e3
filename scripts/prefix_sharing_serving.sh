#!/usr/bin/env bash
# Prefix sharing through the server (issue 17), on a random qwen2-0.5b-shape model (the real
# Qwen2 tokenizer and chat template), with --enable-prefix-caching vs --no-enable-prefix-caching,
# REPEATS interleaved repeats (on, off, on, off, ...: a noisy machine drifts between runs):
#   system   12 Alpaca chats, one at a time, behind a ~1,000-token system prompt
#            (loadgen --system-prompt-tokens 1000): TTFT p50, cached tokens
#   turns    4 conversations of 4 turns, 4 at a time (loadgen --multi-turn): TTFT p50, hit rate
#   n=4      one completion with n = 4 against 4 separate requests of the same ~600-token prompt
#            sent together: prompt tokens computed (odma:prompt_tokens_total) and output tok/s
# Usage: scripts/prefix_sharing_serving.sh [BUILD_DIR] [REPEATS]   (prints one table at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeats=${2:-3}
# shellcheck source=serve_lib.sh
source scripts/serve_lib.sh
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
echo "making the random qwen2-0.5b-shape model..." >&2
"$build/odma" model make-random --preset qwen2-0.5b-shape --out "$work/model" >/dev/null

start_server() {  # $1: on | off
  local flag=--enable-prefix-caching
  [ "$1" = off ] && flag=--no-enable-prefix-caching
  start_odma_serve "$work/serve_$1.log" "$build/odma" --model "$work/model" --max-model-len 4096 \
    "$flag" || exit 1
}

for rep in $(seq 1 "$repeats"); do
  for mode in on off; do
    echo "== repeat $rep, prefix caching $mode" >&2
    start_server "$mode"
    url="http://127.0.0.1:$port"
    "$build/odma" loadgen --base-url "$url" --endpoint /v1/chat/completions --dataset alpaca \
      --system-prompt-tokens 1000 --num-prompts 12 --max-concurrency 1 --output-len 16 \
      --ignore-eos --json "$work/system_${mode}_$rep.json" >/dev/null
    "$build/odma" loadgen --base-url "$url" --multi-turn --turns 4 --dataset alpaca \
      --num-prompts 16 --max-concurrency 4 --output-len 32 --ignore-eos \
      --json "$work/turns_${mode}_$rep.json" >/dev/null
    python3 scripts/parallel_samples.py "$url" >"$work/samples_${mode}_$rep.json"
    stop_odma_serve
  done
done
python3 - "$work" "$repeats" <<'EOF'
import json, statistics, sys
work, repeats = sys.argv[1], int(sys.argv[2])
def load(kind, mode):
    return [json.load(open(f"{work}/{kind}_{mode}_{r}.json")) for r in range(1, repeats + 1)]
def med(xs):
    return statistics.median(xs)
def ratio_line(name, on, off, key):
    r = [a[key] / b[key] for a, b in zip(on, off)]
    print(f"  {name}: on {med([a[key] for a in on]):.1f}, off {med([b[key] for b in off]):.1f}; "
          f"on/off median {med(r):.3f} (range {min(r):.3f}-{max(r):.3f})")
for kind, title in (("system", "system prompt (~1,000 tokens), 12 chats, one at a time"),
                    ("turns", "multi-turn chat, 4 conversations x 4 turns, 4 at a time")):
    on, off = load(kind, "on"), load(kind, "off")
    print(title)
    ratio_line("TTFT p50 ms", on, off, "median_ttft_ms")
    ratio_line("TTFT p99 ms", on, off, "p99_ttft_ms")
    ratio_line("output tok/s", on, off, "output_throughput")
    print(f"  hit rate on {100 * med([a['prefix_cache_hit_rate'] for a in on]):.1f}%, "
          f"off {100 * med([b['prefix_cache_hit_rate'] for b in off]):.1f}%; "
          f"failed on {sum(a['failed'] for a in on)}, off {sum(b['failed'] for b in off)}; "
          f"cached tokens per request (on) {med([a['total_cached_tokens'] / a['completed'] for a in on]):.0f}")
for mode in ("on", "off"):
    s = load("samples", mode)
    print(f"n = 4 vs 4 requests (caching {mode}), prompt {s[0]['prompt_tokens']} tokens, "
          f"{s[0]['max_tokens']} tokens per sample:")
    for k in ("n4", "separate"):
        print(f"  {k:9s} prompt tokens computed {med([x[k]['prefill_tokens'] for x in s]):.0f}, "
              f"output {med([x[k]['output_tok_s'] for x in s]):.1f} tok/s, "
              f"wall {med([x[k]['wall_s'] for x in s]):.2f} s")
    r = [x["n4"]["output_tok_s"] / x["separate"]["output_tok_s"] for x in s]
    print(f"  n4/separate output tok/s median {med(r):.3f} (range {min(r):.3f}-{max(r):.3f})")
EOF
