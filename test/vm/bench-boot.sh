#!/usr/bin/env bash
# Boot-time benchmark: boots each kernel N times (one VM at a time), prints every boot_s (start of
# qemu -> first successful ssh login), the stop time, and the host load average beside them
# (the machine is shared: load doubles boot times).
#   bench-boot.sh [N=3] [KERNELS="6.1 5.10 6.12"] [--lsm LIST]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
N=${1:-3}; KS=${2:-$KW_VM_KERNELS}; shift 2 2>/dev/null || shift $#
port=${KW_VM_PORT:-2390}
printf '%-6s %-24s %8s %8s  %s\n' kernel release boot_s stop_s loadavg
for k in $KS; do
  for i in $(seq "$N"); do
    out=$(bash "$KW_VM_TOOLS/vm.sh" start --kernel "$k" --name "bench-$k" --port "$port" "$@" 2>/dev/null) \
      || { echo "$k: boot $i failed"; continue; }
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    t=$(kw_now); bash "$KW_VM_TOOLS/vm.sh" stop "bench-$k" >/dev/null; stop_s=$(kw_elapsed "$t")
    kv=$(sed -E 's/.* kver=([^ ]+).*/\1/' <<<"$out"); b=$(sed -E 's/.* boot_s=([^ ]+).*/\1/' <<<"$out")
    printf '%-6s %-24s %8s %8s  %s\n' "$k" "$kv" "$b" "$stop_s" "$load"
  done
done
