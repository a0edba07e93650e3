#!/usr/bin/env bash
# odma vs llama.cpp on the same weights, on this machine, in one run (docs/bench.md
# "odma vs llama.cpp"): batch-1 decode and prefill, odma BF16 vs llama.cpp BF16 and odma INT8
# (--quantization int8) vs llama.cpp Q8_0, REPEATS times interleaved; prints medians (min–max)
# and odma ÷ llama.cpp ratios.
#
#   scripts/llama_cpp_compare.sh [MODEL_DIR] [REPEATS]
#
# MODEL_DIR: an odma / Hugging Face Qwen2 directory (config.json, model.safetensors, tokenizer.json);
# default a random qwen2-0.5b-shape model in /tmp (made if missing). REPEATS: default 5.
# Environment: THREADS (2), PROMPT_TOKENS (512, even), GEN_TOKENS (64), ODMA (./build/odma),
# LLAMA_DIR (build-llama: source, build and GGUF files, git-ignored), STEPS (all | build: stop after
# building and converting | measure: skip the build checks), LLAMA_TYPES ("bf16 q8_0"; add f16 to
# also time an F16 GGUF against odma BF16).
#
# Where llama.cpp comes from: its source is the git bundle inside the npm package node-llama-cpp,
# pinned in tools/llama_cpp/package-lock.json (installed here with npm ci --ignore-scripts, like
# tests/node). It is cloned into $LLAMA_DIR/src and built natively (Release, GGML_NATIVE) with
# CMake: llama-bench, llama-quantize and llama-simple only. The model is converted to a BF16 GGUF
# by tools/llama_cpp/hf_to_gguf.py (numpy + llama.cpp's gguf-py; not convert_hf_to_gguf.py, which
# needs torch), then quantized to Q8_0 (and F16) by llama-quantize. Nothing is downloaded but the
# locked npm package.
#
# What is timed, at equal threads and lengths:
#   prefill: odma generate's TTFT for a PROMPT_TOKENS prompt ("hello world" repeated; prompt
#            tokens / TTFT, which also includes the first token's LM head and sampling) vs
#            llama-bench pp<PROMPT_TOKENS> (llama_decode of the prompt from an empty context);
#   decode:  odma's batch-1 TPOT over GEN_TOKENS tokens after that prompt (contexts P..P+G) vs
#            llama-bench tg<GEN_TOKENS> @ d<PROMPT_TOKENS> (G tokens after a P-token context).
set -euo pipefail
cd "$(dirname "$0")/.."
ODMA=${ODMA:-./build/odma}
MODEL=${1:-/tmp/odma-qwen2-0.5b-shape}
REPEATS=${2:-5}
THREADS=${THREADS:-2}
PROMPT_TOKENS=${PROMPT_TOKENS:-512}
GEN_TOKENS=${GEN_TOKENS:-64}
LLAMA_DIR=${LLAMA_DIR:-build-llama}
STEPS=${STEPS:-all}
LLAMA_TYPES=${LLAMA_TYPES:-bf16 q8_0}
NPM_DIR=tools/llama_cpp
BUNDLE=$NPM_DIR/node_modules/node-llama-cpp/llama/gitRelease.bundle
SRC=$LLAMA_DIR/src
BLD=$LLAMA_DIR/build
BIN=$BLD/bin
log() { echo "llama_cpp_compare: $*" >&2; }

# Python with numpy (Debian: python3-numpy) and yaml (python3-yaml, imported by gguf-py). A
# pyenv or venv python3 first on PATH may lack Debian's dist-packages: fall back to /usr/bin.
PY=python3
if ! "$PY" -c 'import numpy, yaml' 2>/dev/null; then
  PY=/usr/bin/python3
  "$PY" -c 'import numpy, yaml' 2>/dev/null ||
    { log "needs numpy and yaml for python3: apt-get install python3-numpy python3-yaml"; exit 2; }
fi

if [ "$STEPS" != measure ]; then
  # 1. llama.cpp's source: the npm package, exactly as locked, then its git bundle.
  if [ ! -f "$NPM_DIR/node_modules/.package-lock.json" ] ||
     ! cmp -s "$NPM_DIR/package-lock.json" "$NPM_DIR/node_modules/.odma-installed-lock"; then
    log "npm ci in $NPM_DIR (node-llama-cpp, without its prebuilt binaries)"
    (cd "$NPM_DIR" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error)
    cp "$NPM_DIR/package-lock.json" "$NPM_DIR/node_modules/.odma-installed-lock"
  fi
  want=$(git bundle list-heads "$BUNDLE" | awk '$2 == "HEAD" {print $1}')
  have=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    log "cloning llama.cpp $want from $BUNDLE into $SRC"
    rm -rf "$SRC" "$BLD"
    mkdir -p "$LLAMA_DIR"
    git clone -q "$BUNDLE" "$SRC"
    git -C "$SRC" -c advice.detachedHead=false checkout -q "$want"
  fi

  # 2. Native Release build of the three tools (no HTTPS/CURL, no server, no tests).
  if [ ! -f "$BLD/build.ninja" ]; then
    cmake -S "$SRC" -B "$BLD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
      -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF \
      -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON \
      -DLLAMA_BUILD_EXAMPLES=ON >&2
  fi
  log "building llama-bench llama-quantize llama-simple (nice, -j$(nproc))"
  nice cmake --build "$BLD" -j"$(nproc)" --target llama-bench llama-quantize llama-simple >&2
fi

[ -x "$ODMA" ] || { log "build $ODMA first (cmake --build build --target odma)"; exit 2; }
for t in llama-bench llama-quantize llama-simple; do
  [ -x "$BIN/$t" ] || { log "$BIN/$t missing: run with STEPS=all"; exit 2; }
done
if [ ! -f "$MODEL/model.safetensors" ]; then
  "$ODMA" model make-random --preset qwen2-0.5b-shape --out "$MODEL" >&2
fi

# 3. GGUF files, remade when the checkpoint is newer: BF16 (bytes copied), then Q8_0 (and F16).
name=$(basename "$MODEL")
GGUF_DIR=$LLAMA_DIR/models
mkdir -p "$GGUF_DIR"
gguf() { echo "$GGUF_DIR/$name-$1.gguf"; }
if [ ! -s "$(gguf bf16)" ] || [ "$MODEL/model.safetensors" -nt "$(gguf bf16)" ]; then
  log "converting $MODEL to $(gguf bf16)"
  "$PY" "$NPM_DIR/hf_to_gguf.py" --gguf-py "$SRC/gguf-py" "$MODEL" "$(gguf bf16)"
fi
for ty in $LLAMA_TYPES; do
  [ "$ty" = bf16 ] && continue
  if [ ! -s "$(gguf "$ty")" ] || [ "$(gguf bf16)" -nt "$(gguf "$ty")" ]; then
    log "llama-quantize $(gguf bf16) -> $(gguf "$ty") (${ty^^})"
    "$BIN/llama-quantize" "$(gguf bf16)" "$(gguf "$ty")" "${ty^^}" "$THREADS" >"$(gguf "$ty").log" 2>&1 ||
      { tail -20 "$(gguf "$ty").log" >&2; exit 1; }
  fi
done

# 4. Smoke test: llama.cpp loads each file and decodes a few tokens greedily.
if [ "$STEPS" != measure ]; then
  for ty in $LLAMA_TYPES; do
    out=$("$BIN/llama-simple" -m "$(gguf "$ty")" -n 8 "hello world" 2>&1) ||
      { echo "$out" | tail -20 >&2; log "llama-simple failed on $(gguf "$ty")"; exit 1; }
    log "llama-simple $ty: $(grep -m1 -o 'decoded [0-9]* tokens in [^,]*, speed: [0-9.]* t/s' <<<"$out")"
  done
fi
[ "$STEPS" = build ] && exit 0

# 5. Measurements, interleaved: per repeat, odma BF16, llama.cpp BF16, odma INT8, llama.cpp Q8_0.
prompt="hello world"
for _ in $(seq $((PROMPT_TOKENS / 2 - 1))); do prompt+=" hello world"; done  # 2 tokens each
results=$(mktemp)
trap 'rm -f "$results"' EXIT

odma_run() {  # label quantization -> "odma label prompt_tokens prefill_tok_s decode_tok_s"
  local out pt ttft tpot
  out=$(ODMA_THREADS=$THREADS "$ODMA" generate --model "$MODEL" --prompt "$prompt" \
        --max-tokens "$GEN_TOKENS" --ignore-eos --kv-memory 256MiB --quantization "$2" 2>&1 >/dev/null) || true
  pt=$(awk -F'|' '/prompt tokens/ {gsub(/ /,"",$3); print $3}' <<<"$out")
  ttft=$(awk -F'|' '/TTFT/ {gsub(/ /,"",$3); print $3}' <<<"$out")
  tpot=$(awk -F'|' '/TPOT/ {gsub(/ /,"",$3); print $3}' <<<"$out")
  if [ -z "$pt" ] || [ -z "$tpot" ]; then echo "$out" >&2; log "odma generate failed"; exit 1; fi
  "$PY" -c "import sys; pt,ttft,tpot=map(float,sys.argv[1:]); print('odma $1', int(pt), pt/(ttft/1e3), 1e3/tpot)" \
    "$pt" "$ttft" "$tpot"
}
llama_run() {  # label type -> "llama label prompt_tokens prefill_tok_s decode_tok_s"
  local pp tg
  pp=$("$BIN/llama-bench" -m "$(gguf "$2")" -t "$THREADS" -p "$PROMPT_TOKENS" -n 0 -r 1 -o jsonl 2>/dev/null) ||
    { log "llama-bench pp failed on $(gguf "$2")"; exit 1; }
  tg=$("$BIN/llama-bench" -m "$(gguf "$2")" -t "$THREADS" -p 0 -n "$GEN_TOKENS" -d "$PROMPT_TOKENS" \
       -r 1 -o jsonl 2>/dev/null) || { log "llama-bench tg failed on $(gguf "$2")"; exit 1; }
  "$PY" -c "import json, sys
pp, tg = (json.loads(s.strip().splitlines()[-1]) for s in sys.argv[2:4])
print('llama', sys.argv[1], pp['n_prompt'], pp['avg_ts'], tg['avg_ts'])" "$1" "$pp" "$tg"
}

log "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; threads $THREADS, prompt $PROMPT_TOKENS, generate $GEN_TOKENS"
for r in $(seq "$REPEATS"); do
  log "repeat $r/$REPEATS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  odma_run bf16 none >>"$results"
  for ty in $LLAMA_TYPES; do
    [ "$ty" = q8_0 ] && continue
    llama_run "$ty" "$ty" >>"$results"
  done
  odma_run int8 int8 >>"$results"
  case " $LLAMA_TYPES " in *" q8_0 "*) llama_run q8_0 q8_0 >>"$results" ;; esac
done

# 6. The table: medians (min–max); ratios are medians of the per-repeat odma ÷ llama.cpp ratios.
"$PY" - "$results" "$LLAMA_TYPES" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
runs = {}
for eng, label, pt, pre, dec in rows:
    runs.setdefault((eng, label), []).append((int(pt), float(pre), float(dec)))
def mr(v, f="{:.1f}"):
    v = sorted(v)
    return f"{f.format(statistics.median(v))} ({f.format(v[0])}–{f.format(v[-1])})"
n = len(next(iter(runs.values())))
print(f"{n} interleaved repeats; tok/s, median (min–max)\n")
print("| engine | weights | prompt tokens | prefill tok/s | decode tok/s | decode ms/token |")
print("|---|---|---|---|---|---|")
for (eng, label), v in runs.items():
    name = "odma" if eng == "odma" else "llama.cpp"
    print(f"| {name} | {label.upper()} | {v[0][0]} | {mr([x[1] for x in v])} | "
          f"{mr([x[2] for x in v])} | {mr([1e3 / x[2] for x in v], '{:.2f}')} |")
pairs = [("bf16", t) for t in sys.argv[2].split() if t != "q8_0"] + [("int8", "q8_0")]
print("\n| odma ÷ llama.cpp | prefill | decode |")
print("|---|---|---|")
for o, l in pairs:
    a, b = runs.get(("odma", o)), runs.get(("llama", l))
    if not a or not b:
        continue
    pre = [x[1] / y[1] for x, y in zip(a, b)]
    dec = [x[2] / y[2] for x, y in zip(a, b)]
    print(f"| odma {o.upper()} vs llama.cpp {l.upper()} | {mr(pre, '{:.2f}×')} | {mr(dec, '{:.2f}×')} |")
PY
