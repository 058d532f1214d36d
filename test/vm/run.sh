#!/usr/bin/env bash
# The 'vm' suite (scripts/test.sh, .ci/run): the agent's event cases in a Debian 12 (6.1) guest
# under qemu, once per attach mode the guest offers (fentry, kprobe, tracepoint) and once with
# auto through sudo, plus a second 6.1 guest booted with an lsm= list without bpf (probe must
# say lsm_bpf false). Then the disk guest's self-check (disk-guest.test.ts: Debian 12 with systemd,
# reboot, power cut; its first run builds the image, ~2-4 min). The full 3-kernel matrix is
# 'npm run test:kernels' (test/vm/kernels.sh).
# Ends with one 'N passed, N failed' line summing both parts; exits non-zero when either failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$KW_ROOT"
make -s -C test/agent/trigger && bash test/vm/build-triggers.sh || { echo "vm: cannot build the trigger programs"; echo "0 passed, 1 failed"; exit 1; }
# test/vm + what it imports (test/agent's suite and cases, src/core): ~4 s
npx tsc -p test/vm/tsconfig.json || { echo "vm: TypeScript build of test/vm failed"; echo "0 passed, 1 failed"; exit 1; }
# auto (agent through sudo): the mode-selection check, then a cross-section of the cases (one per
# family and syscall path, a filter); the full auto run is in npm run test:kernels
# the 1,000-exec burst takes 25-80 s per mode under TCG: it runs on the host and in the matrix
export KW_VM_SKIP_CASES=${KW_VM_SKIP_CASES-'1,000 short-lived'}
AUTO_CASES=${KW_VM_AUTO_CASES:-'coreutils|busybox rm|dirfd from another|rename over|O_CREAT|write vs create|relative exec|failed execs|shebang|filter --uid|cgroup v2 path|io_uring'}
out=$(mktemp); trap 'rm -f "$out"' EXIT
total_pass=0; total_fail=0; parts=()
# count PART RC: adds the part's last 'N passed, N failed' line (in $out) to the totals; a part
# that exited non-zero without counting a failure, or printed no line at all, counts one
count() {
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line"); p=${p:-0}
  f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line"); f=${f:-0}
  if [ -z "$line" ] || { [ "$2" != 0 ] && [ "$f" = 0 ]; }; then f=$((f == 0 ? 1 : f)); fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  parts+=("$1: $p passed, $f failed, exit $2")
}
node out/test/vm/matrix.js --kernels "${KW_VM_KERNELS_CI:-6.1}" --lsm-guest 6.1 --port "${KW_VM_PORT:-0}" \
  --json test-results/vm-suite.json --auto-cases "$AUTO_CASES" | tee "$out"
count matrix "${PIPESTATUS[0]}"
# after the matrix (one guest at a time on 2 cores)
echo; echo "# disk guest (Debian 12 + systemd): the harness self-check, watches as systemd units"
bash scripts/run-node-tests.sh out/test/vm/disk-guest.test.js out/test/vm/watch-systemd.test.js | tee "$out"
count disk-guest "${PIPESTATUS[0]}"
echo; printf '# %s\n' "${parts[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ] && [ "$total_pass" -gt 0 ]
