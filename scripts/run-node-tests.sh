#!/usr/bin/env bash
# Runs compiled node:test files and ends with the plain line 'N passed, N failed'.
# Usage: run-node-tests.sh out/test/unit/*.test.js
set -uo pipefail
log=$(mktemp)
node --test --test-timeout="${KW_TEST_TIMEOUT_MS:-600000}" --test-reporter=spec --test-reporter-destination=stdout \
     --test-reporter=tap --test-reporter-destination="$log" "$@"
rc=$?
pass=$(grep -E '^# pass ' "$log" | tail -1 | awk '{print $3}')
fail=$(grep -E '^# fail ' "$log" | tail -1 | awk '{print $3}')
rm -f "$log"
echo "${pass:-0} passed, ${fail:-0} failed"
[ "$rc" = 0 ] && [ "${fail:-0}" = 0 ] && [ "${pass:-0}" -gt 0 ]
