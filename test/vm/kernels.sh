#!/usr/bin/env bash
# 'npm run test:kernels': the full kernel matrix — every kernel of test/vm/kernels.tsv marked for
# it (Debian 11's 5.10, 12's 6.1, 13's 6.12, trixie-backports' and sid's 7.x) as guests, booted
# one at a time, the agent's event cases in every attach mode each one offers and with auto
# (through sudo), probe output per kernel, and the no-bpf lsm= guest on 6.1.
# Prints one table kernel x mode -> passed/failed and ends with 'N passed, N failed'.
# Results also go to test-results/vm-matrix.json.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
kw_need_root "$@"
cd "$KW_ROOT"
make -s -C test/agent/trigger && bash test/vm/build-triggers.sh || { echo "kernels: cannot build the trigger programs"; echo "0 passed, 1 failed"; exit 1; }
npx tsc -p test/vm/tsconfig.json || { echo "kernels: TypeScript build of test/vm failed"; echo "0 passed, 1 failed"; exit 1; }
exec node out/test/vm/matrix.js ${KW_VM_KERNELS_MATRIX:+--kernels "$KW_VM_KERNELS_MATRIX"} --lsm-guest 6.1 \
  --port "${KW_VM_PORT:-0}" --json test-results/vm-matrix.json "$@"
