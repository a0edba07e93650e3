#!/usr/bin/env bash
# The padded-vocabulary serving check (issue 16): a random qwen2-0.5b-shape model (151,936 logits,
# a tokenizer of 151,665 ids) behind `odma serve`, sampled at temperature 1 (loadgen's default) by
# 16 concurrent streams of 128 and then of 2,000 tokens. Every request must complete: a padding id
# decodes to no text. Usage: scripts/padded_vocab_serving.sh [BUILD_DIR] [LONG_TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
long=${2:-2000}
# shellcheck source=serve_lib.sh
source scripts/serve_lib.sh
server=
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/odma" model make-random --preset qwen2-0.5b-shape --out "$work/model" >/dev/null
start_odma_serve "$work/serve.log" "$build/odma" --model "$work/model" --max-model-len 4096
for len in 128 "$long"; do
  echo "== 16 streams x $len tokens, temperature 1"
  "$build/odma" loadgen --base-url "http://127.0.0.1:$port" --dataset alpaca --num-prompts 16 \
    --output-len "$len" --ignore-eos --max-concurrency 16 --json "$work/run_$len.json" | tail -n 25
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('completed', r['completed'], 'failed', r.get('failed', 0)); sys.exit(1 if r.get('failed', 0) else 0)" "$work/run_$len.json"
done
