#!/usr/bin/env bash
# Installs every Debian 12 package odma needs to build, test and run. Idempotent and
# non-interactive: packages already present are not touched, and apt runs only when one is missing.
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
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
