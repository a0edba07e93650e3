#!/usr/bin/env bash
# BF16 vs F32 on a DRAM-resident model (docs/model.md "Dtypes"): batch-1 decode TPOT and the
# prefill rate of a 512-token prompt, through `odma generate`, for each configuration in turn,
# REPEATS times interleaved; prints the median and min–max of each figure and of the ratios.
#
#   scripts/bf16_measure.sh [MODEL_DIR] [REPEATS]
#
# MODEL_DIR defaults to a qwen2-0.5b-shape random model made in /tmp (0.99 GB BF16). The
# configurations: bf16 (AVX512-BF16 where the CPU has it: ODMA_ISA default), bf16 with ODMA_ISA=
# avx512 (the AVX-512F fallback kernels), f32 (F32 weights and K/V: our GEMV + OpenBLAS sgemm).
set -euo pipefail
cd "$(dirname "$0")/.."
ODMA=${ODMA:-./build/odma}
MODEL=${1:-/tmp/odma-qwen2-0.5b-shape}
REPEATS=${2:-3}
[ -x "$ODMA" ] || { echo "bf16_measure: build $ODMA first" >&2; exit 2; }
if [ ! -f "$MODEL/model.safetensors" ]; then
  "$ODMA" model make-random --preset qwen2-0.5b-shape --out "$MODEL" >&2
fi
prompt=$(printf 'hello world %.0s' $(seq 256))  # 512 Qwen2 tokens

run() {  # name, env..., then "--" and generate flags; prints "name prompt_tokens ttft_ms tpot_ms"
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local out
  out=$(env "${envs[@]}" "$ODMA" generate --model "$MODEL" --prompt "$prompt" --max-tokens 64 \
        --ignore-eos "$@" 2>&1 >/dev/null)
  local pt ttft tpot
  pt=$(awk -F'|' '/prompt tokens/ {gsub(/ /,"",$3); print $3}' <<<"$out")
  ttft=$(awk -F'|' '/TTFT/ {gsub(/ /,"",$3); print $3}' <<<"$out")
  tpot=$(awk -F'|' '/TPOT/ {gsub(/ /,"",$3); print $3}' <<<"$out")
  echo "$name $pt $ttft $tpot"
}

results=$(mktemp)
for r in $(seq "$REPEATS"); do
  echo "bf16_measure: repeat $r/$REPEATS" >&2
  run bf16 ODMA_ISA=amx -- --dtype bf16 >>"$results"
  run bf16-avx512f ODMA_ISA=avx512 -- --dtype bf16 >>"$results"
  run f32 ODMA_ISA=amx -- --dtype f32 >>"$results"
done

python3 - "$results" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {}
for name, pt, ttft, tpot in rows:
    by.setdefault(name, []).append((int(pt), float(ttft), float(tpot)))
def rng(v, fmt="{:.1f}"):
    v = sorted(v)
    return f"{fmt.format(statistics.median(v))} ({fmt.format(v[0])}–{fmt.format(v[-1])})"
print("| config | prompt tokens | prefill tok/s | TPOT ms | prefill vs f32 | decode vs f32 |")
print("|---|---|---|---|---|---|")
f32 = by["f32"]
for name, runs in by.items():
    pre = [pt / (ttft / 1e3) for pt, ttft, _ in runs]
    tpot = [t for _, _, t in runs]
    pre_ratio = [p / (f[0] / (f[1] / 1e3)) for p, f in zip(pre, f32)]
    dec_ratio = [f[2] / t for t, f in zip(tpot, f32)]
    print(f"| {name} | {runs[0][0]} | {rng(pre, '{:.0f}')} | {rng(tpot, '{:.2f}')} | "
          f"{rng(pre_ratio, '{:.2f}')}x | {rng(dec_ratio, '{:.2f}')}x |")
PY
rm -f "$results"
