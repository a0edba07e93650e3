#!/usr/bin/env bash
# Installs every Debian 12 package odma needs to build, test and run, then the npm packages the
# tests use (tests/node, pinned by its package-lock.json). Idempotent and non-interactive:
# packages already present are not touched; apt and npm run only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential     # g++ 12 (C++20)
  cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev   # tests and benchmarks
  nlohmann-json3-dev  # JSON: configs, tokenizer.json, traces, HTTP bodies
  libpcre2-dev        # tokenizer pre-split regex (UTF + UCP, JIT)
  libutf8proc-dev     # NFC normalisation
  libopenblas-dev     # CPU matrix products
  zlib1g-dev          # the shipped data files are gzip-compressed
  libcpp-httplib-dev  # odma serve / loadgen: HTTP/1.1 server and client (llama.cpp's choice)
  curl                # the server's integration tests talk to it with curl too
  python3             # scripts/soak.py: the soak's fault injector (CTest label soak)
  python3-numpy python3-yaml  # tools/llama_cpp/hf_to_gguf.py: odma's weights as GGUF for llama.cpp
  libdnnl-dev         # oneDNN: odma_bench_bf16_gemm compares it with odma's own BF16 GEMM
  nginx               # scripts/replicas.sh and tests/deploy: the load balancer in front of replicas
  ccache              # optional compiler cache: faster rebuilds and CI runs (cache outside the clone)
  clang-14 libclang-rt-14-dev  # .ci/run's sanitizer build and the libFuzzer targets (fuzz/)
)

# Node.js runs the OpenAI client and chat-template oracles of the tests; a machine that already
# has node (and its npm) keeps it, else Debian's packages provide both.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} Debian packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as locked (no install scripts run).
node_dir="$(dirname "$0")/../tests/node"
if [ -f "$node_dir/package-lock.json" ]; then
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
     ! cmp -s "$node_dir/package-lock.json" "$node_dir/node_modules/.odma-installed-lock"; then
    echo "setup: npm ci in tests/node"
    (cd "$node_dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    cp "$node_dir/package-lock.json" "$node_dir/node_modules/.odma-installed-lock"
  else
    echo "setup: tests/node npm packages present"
  fi
fi
