#!/usr/bin/env bash
# THE test command (README, .ci/run): sets up, builds, and runs every suite on real parts:
#   unit      TypeScript without vscode (decoder, parsers, contract)
#   fuzz      the agent's argument parser and record builder under libFuzzer + ASan/UBSan
#             (bounded, ~1 min; scripts/fuzz.sh runs longer), the wire decoder's property test
#   agent     the real agent against this machine's kernel (tracepoints)
#   ssh       the core over a real OpenSSH sshd on 127.0.0.1
#   webview   the built panel in real Chromium
#   vm        the agent's suite in a Debian 12 guest under qemu, every attach mode it offers
#   vscode    extension-host tests and UI journeys in real VS Code (code-server)
# Each suite is test/<name>/run.sh and ends with 'N passed, N failed'; the last line here sums them.
# KW_SUITES="unit agent" runs a subset.
set -uo pipefail
source "$(dirname "$0")/lib/env.sh"
kw_need_root "$@"
cd "$KW_ROOT"
T0=$(kw_now)
bash scripts/setup.sh || { echo "test: setup failed"; echo "0 passed, 1 failed"; exit 1; }
source scripts/lib/env.sh
bash scripts/build.sh || { echo "test: build failed"; echo "0 passed, 1 failed"; exit 1; }

total_pass=0; total_fail=0; summary=()
for suite in ${KW_SUITES:-unit fuzz agent ssh webview vm vscode}; do
  runner=test/$suite/run.sh
  if [ ! -f "$runner" ]; then summary+=("$suite: missing $runner"); total_fail=$((total_fail + 1)); continue; fi
  echo; echo "=== suite $suite"
  t=$(kw_now); out=$(mktemp)
  bash "$runner" 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
  line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line"); p=${p:-0}
  f=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/' <<<"$line"); f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi     # a suite that crashed counts as a failure
  if [ -z "$line" ] && [ "$rc" = 0 ]; then f=1; fi   # ... and so does one that ran nothing
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  summary+=("$(printf '%-8s %4s passed, %3s failed, exit %s, %ss' "$suite" "$p" "$f" "$rc" "$(kw_elapsed "$t")")")
  rm -f "$out"
done
echo; echo "=== summary ($(kw_elapsed "$T0")s)"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
