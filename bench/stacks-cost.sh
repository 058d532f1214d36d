#!/usr/bin/env bash
# What --stacks costs (issue 13; bpf/stacks.bpf.h, native/stacks.c). Two loads, interleaved rounds:
#   rm -rf of FILES files in 100 dirs (the P1 storm's shape: one unlinkat each), traced with the
#     unlink family and --format wire into /dev/null: no stacks / --stacks kernel / --stacks
#     kernel,user. Each event then also carries its stacks, named by the agent (kallsyms, the ELF
#     files): the agent's CPU is printed beside the rm's wall time.
#   dd bs=1 (2*BYTES read/write syscalls that are not traced): --stacks adds a raw tracepoint on
#     every system call's entry, which returns at once for calls that start no event.
# Needs root and scripts/build.sh.   bench/stacks-cost.sh [ROUNDS=5] [FILES=100000] [BYTES=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
AGENT=${KW_AGENT:-dist/agent/kwitness-agent-$(uname -m)}
ROUNDS=${1:-5}
FILES=${2:-100000}
BYTES=${3:-1000000}
[ -x "$AGENT" ] || { echo "stacks-cost: $AGENT missing (run scripts/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/kw-stacks-cost.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

mktree() { # FILES empty files in 100 dirs under $tmp/tree
  mkdir -p "$tmp/tree"
  for d in $(seq 100); do mkdir "$tmp/tree/$d"; (cd "$tmp/tree/$d" && seq $((FILES / 100)) | xargs touch); done
}
us() { local t; t=$(date +%s%N); echo $((t / 1000)); }

variants=(untraced none kernel kernel,user)
for r in $(seq "$ROUNDS"); do
  for v in "${variants[@]}"; do
    a=
    if [ "$v" != untraced ]; then
      args=(trace unlink --format wire); [ "$v" = none ] || args+=(--stacks "$v")
      "$AGENT" "${args[@]}" >"$tmp/out" 2>"$tmp/err" & a=$!
      for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
      [ -s "$tmp/out" ] || { echo "stacks-cost: the agent ($v) did not start: $(cat "$tmp/err")" >&2; exit 1; }
    fi
    mktree; sync
    c0=$( [ -n "$a" ] && awk '{print $14+$15}' /proc/$a/stat || echo 0)
    s=$(us); rm -rf "$tmp/tree"; e=$(us)
    echo $((e - s)) >>"$tmp/rm-$v"
    s=$(us); dd if=/dev/zero of=/dev/null bs=1 count="$BYTES" 2>/dev/null; e=$(us)
    echo $((e - s)) >>"$tmp/dd-$v"
    if [ -n "$a" ]; then
      sleep 0.5 # the agent drains what the storm left in the ring
      c1=$(awk '{print $14+$15}' /proc/$a/stat)
      echo $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) >>"$tmp/cpu-$v"
      echo "$(stat -c %s "$tmp/out")" >>"$tmp/bytes-$v"
      kill $a; wait $a 2>/dev/null || true
    fi
  done
done

median() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
base=$(median "$tmp/rm-untraced"); ddbase=$(median "$tmp/dd-none")
echo "stacks-cost: rm -rf of $FILES files, dd bs=1 of $BYTES bytes; $ROUNDS interleaved rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
for v in "${variants[@]}"; do
  m=$(median "$tmp/rm-$v"); d=$(median "$tmp/dd-$v")
  line=$(awk -v m="$m" -v b="$base" 'BEGIN{printf "rm %7.0f ms (%.2fx untraced)", m/1000, m/b}')
  if [ "$v" != untraced ]; then
    line+=$(awk -v c="$(median "$tmp/cpu-$v")" -v o="$(median "$tmp/bytes-$v")" -v n="$FILES" 'BEGIN{printf "   agent CPU %5.0f ms, %4.0f bytes/event", c, o/n}')
    line+=$(awk -v d="$d" -v b="$ddbase" -v n="$((2 * BYTES))" 'BEGIN{printf "   other syscalls %+5.0f ns each", (d-b)*1000/n}')
  fi
  printf '  %-12s %s\n' "$v" "$line"
done
