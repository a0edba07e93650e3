#!/usr/bin/env bash
# Fails when a raw assert( appears under src/: both CI builds define NDEBUG, so such a check never
# runs. Internal invariants use ODMA_ASSERT (base/debug.h, active at ODMA_DEBUG >= 1) and statuses
# whose success is an invariant use ODMA_CHECK_STATUS (kv/types.h).
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE '(^|[^_[:alnum:]])assert[[:space:]]*\(' src --include='*.h' --include='*.cpp' --include='*.inc' || true)
if [ -n "$hits" ]; then
  echo "raw assert( under src/ (compiled out by NDEBUG; use ODMA_ASSERT):"
  echo "$hits"
  exit 1
fi
if grep -rn '#include <cassert>' src >/dev/null; then
  echo "src/ includes <cassert>; use base/debug.h's ODMA_ASSERT:"
  grep -rn '#include <cassert>' src
  exit 1
fi
echo "no raw assert( under src/"
