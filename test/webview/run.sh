#!/usr/bin/env bash
# Webview suite: the BUILT panel bundle (dist/webview) in Debian's Chromium via playwright-core,
# fed by a fake host (test/webview/harness.ts). Prints frame-time figures for 1,000,000 events.
set -uo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$KW_ROOT"
shopt -s nullglob
files=(out/test/webview/*.test.js)
[ ${#files[@]} -gt 0 ] || { echo "webview: no compiled tests under out/test/webview"; echo "0 passed, 1 failed"; exit 1; }
[ -f dist/webview/panel.js ] || { echo "webview: dist/webview/panel.js missing (run scripts/build.sh)"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$CHROMIUM" ] || { echo "webview: $CHROMIUM not found (apt-get install chromium)"; echo "0 passed, 1 failed"; exit 1; }
exec bash scripts/run-node-tests.sh "${files[@]}"
