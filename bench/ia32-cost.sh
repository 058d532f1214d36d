#!/usr/bin/env bash
# What watching 32-bit (ia32) syscalls costs every OTHER syscall (issue 12; bpf/ia32.bpf.h).
# A syscall-bound load (dd bs=1: one read and one write per byte, 2*N syscalls of 64-bit code)
# runs untraced, under the agent with --ia32 off, with --ia32 kprobe (a pair on the __ia32_*
# entry points only; where kprobes work) and with --ia32 tracepoint (the raw sys_enter/sys_exit
# pair, which runs on every syscall). Rounds are interleaved; medians per variant are printed,
# with the cost per syscall over --ia32 off. Needs root and scripts/build.sh.
#   bench/ia32-cost.sh [ROUNDS=5] [BYTES=2000000]
set -euo pipefail
cd "$(dirname "$0")/.."
AGENT=dist/agent/kwitness-agent-$(uname -m)
ROUNDS=${1:-5}
BYTES=${2:-2000000}
[ -x "$AGENT" ] || { echo "ia32-cost: $AGENT missing (run scripts/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

load() { # seconds for the dd run
  local s e
  s=$(date +%s%N); dd if=/dev/zero of=/dev/null bs=1 count="$BYTES" 2>/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))   # microseconds
}

variants=(untraced off tracepoint)
"$AGENT" trace unlink --attach kprobe --format json </dev/null >/dev/null 2>&1 & kp=$!
sleep 1; if kill -0 $kp 2>/dev/null; then variants+=(kprobe); kill $kp; fi; wait $kp 2>/dev/null || true

for r in $(seq "$ROUNDS"); do
  for v in "${variants[@]}"; do
    if [ "$v" = untraced ]; then load >>"$tmp/$v"; continue; fi
    "$AGENT" trace unlink,create,write --ia32 "$v" --format json >"$tmp/out" 2>"$tmp/err" & a=$!
    for _ in $(seq 100); do grep -q '"type":"ready"' "$tmp/out" && break; sleep 0.1; done
    grep -q '"type":"ready"' "$tmp/out" || { echo "ia32-cost: the agent (--ia32 $v) did not start: $(cat "$tmp/err")" >&2; exit 1; }
    load >>"$tmp/$v"
    kill $a; wait $a 2>/dev/null || true
  done
done

median() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
base=$(median "$tmp/off")
syscalls=$((2 * BYTES))
echo "ia32-cost: $syscalls syscalls per run (dd bs=1), $ROUNDS interleaved rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
for v in "${variants[@]}"; do
  m=$(median "$tmp/$v")
  extra=$(awk -v m="$m" -v b="$base" -v n="$syscalls" 'BEGIN{printf "%+.0f", (m-b)*1000/n}')
  printf '  %-11s median %8.3f s   %s ns per syscall over --ia32 off\n' "$v" "$(awk -v m="$m" 'BEGIN{print m/1e6}')" "$extra"
done
