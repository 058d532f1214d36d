#!/usr/bin/env bash
# Agent suite: the real agent (dist/agent/kwitness-agent-<arch>) against this machine's kernel,
# as root. Builds the static trigger program (build/kw-trigger), then runs the compiled node:test
# files out/test/agent/*.test.js (scripts/build.sh compiles them); ends with 'N passed, N failed'.
set -uo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
kw_need_root "$@"
cd "$KW_ROOT"
make -s -C test/agent/trigger || { echo "agent: building test/agent/trigger failed"; echo "0 passed, 1 failed"; exit 1; }
shopt -s nullglob
files=(out/test/agent/*.test.js)
[ ${#files[@]} -gt 0 ] || { echo "agent: no compiled tests under out/test/agent (run scripts/build.sh)"; echo "0 passed, 1 failed"; exit 1; }
exec bash scripts/run-node-tests.sh "${files[@]}"
