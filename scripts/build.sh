#!/usr/bin/env bash
# Builds everything: the static agent (dist/agent/), the extension and CLI bundles (dist/),
# the webview bundle (dist/webview/), and the TypeScript tests (out/).
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$KW_ROOT"
t=$(kw_now)
make -s -C native
[ -f scripts/build-ts.mjs ] && node scripts/build-ts.mjs
[ -f webview/build.mjs ] && node webview/build.mjs
npx tsc -p tsconfig.json
[ -f webview/tsconfig.json ] && npx tsc -p webview/tsconfig.json --noEmit
echo "build: done in $(kw_elapsed "$t")s"
