#!/usr/bin/env bash
# Unit suite: TypeScript that never imports vscode (decoder, parsers, contract), in Node.
set -uo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$KW_ROOT"
shopt -s nullglob
files=(out/test/unit/*.test.js)
[ ${#files[@]} -gt 0 ] || { echo "unit: no compiled tests under out/test/unit"; echo "0 passed, 1 failed"; exit 1; }
exec bash scripts/run-node-tests.sh "${files[@]}"
