#!/usr/bin/env bash
# The soak under faults: scripts/soak.sh [MINUTES] (default 30; docs/reliability.md).
# Builds `odma` with AddressSanitizer + UndefinedBehaviorSanitizer and ODMA_DEBUG=2 (the KV
# validator after every operation) in $SOAK_BUILD_DIR (default build-asan, .ci/run's sanitizer
# build, configured as there when absent), then runs scripts/soak.py: `odma serve` under
# `odma loadgen` and a fault injector, a SIGTERM drain, the pass criteria checked. The figures
# land in $SOAK_BUILD_DIR/soak.json. Loopback only; it stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
dir=${SOAK_BUILD_DIR:-build-asan}
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DODMA_SANITIZE=ON -DODMA_DEBUG=2 \
    -DODMA_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++-14
fi
cmake --build "$dir" --target odma
exec python3 scripts/soak.py --odma "$dir/odma" --minutes "$minutes" --json "$dir/soak.json"
