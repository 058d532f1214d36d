#!/usr/bin/env bash
# What a guard costs work it does not guard (issue 14; bpf/guard.bpf.h). A guard needs BPF LSM or
# BPF trampolines, which this machine's kernel refuses, so this boots a Debian guest (test/vm,
# TCG: absolute times are slow, the ratios are what count) and runs there, rounds interleaved:
#   dd       MiB of /dev/zero written in 4 KiB writes to a file outside the guarded tree
#            (every write passes the file_permission hook: the first walks the path up, the
#            next ones reuse that verdict until a rename)
#   tree     ten copies of /usr (creates and writes; the guest has no compiler for a build) and
#            their removal, outside the tree
# under: none; a guard with --deny-delete, --deny-write and --quota on an unrelated /srv/guarded
# (every hook loaded) as BPF LSM; the same as fmod_ret. Prints medians and each one / none.
#   bench/guard-cost.sh [ROUNDS=5] [MIB=1024]     (needs scripts/setup.sh and scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
MIB=${2:-1024}
KERNEL=${KW_BENCH_KERNEL:-6.1}
AGENT=dist/agent/kwitness-agent-x86_64
[ -x "$AGENT" ] || { echo "guard-cost: $AGENT missing (run scripts/build.sh)" >&2; exit 1; }
name=kw-guard-bench-$$
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'bash test/vm/vm.sh stop "$name" >/dev/null 2>&1 || true' EXIT
mem=$(( MIB + 1536 ))   # the file lives in the guest's RAM
bash test/vm/vm.sh start --kernel "$KERNEL" --name "$name" --port "$port" --mem "$mem" --smp 2 | tail -1
bash test/vm/vm.sh scp "$name" "$AGENT" vm:/tmp/kwitness-agent
# the measurement runs detached in the guest (minutes under TCG: no ssh session has to last that
# long), and is polled for its result
guest=$(mktemp); trap 'rm -f "$guest"; bash test/vm/vm.sh stop "$name" >/dev/null 2>&1 || true' EXIT
cat > "$guest" <<'GUEST'
set -euo pipefail
trap 'touch /tmp/guard-cost.done' EXIT
A=/tmp/kwitness-agent
mkdir -p /srv/guarded /tmp/b
echo keep > /srv/guarded/disk.img
us() { echo $(( $(date +%s%N) / 1000 )); }
run_dd() { local s; s=$(us); dd if=/dev/zero of=/tmp/b/out bs=4k count=$(( MIB * 256 )) status=none; echo $(( $(us) - s )); rm -f /tmp/b/out; }
run_tree() { local s; s=$(us); mkdir /tmp/b/copies; for i in $(seq 10); do cp -a /usr "/tmp/b/copies/$i"; done; rm -rf /tmp/b/copies; echo $(( $(us) - s )); }
start_guard() { # $1: lsm or fmod_ret; waits for the ready record
  "$A" guard --deny-delete /srv/guarded/disk.img --deny-write /srv/guarded --quota /srv/guarded=1G --attach "$1" --format json > /tmp/b/g.out 2>/tmp/b/g.err &
  echo $! > /tmp/b/g.pid
  for _ in $(seq 300); do grep -q '"type":"ready"' /tmp/b/g.out && return 0; sleep 0.1; done
  echo "guard-cost: the $1 guard did not start: $(cat /tmp/b/g.err)" >&2; exit 1
}
stop_guard() { kill "$(cat /tmp/b/g.pid)"; wait "$(cat /tmp/b/g.pid)" 2>/dev/null || true; }
variants="none lsm fmod_ret"
grep -qw bpf /sys/kernel/security/lsm || variants="none fmod_ret"
for r in $(seq "$ROUNDS"); do
  for v in $variants; do
    [ "$v" = none ] || start_guard "$v"
    run_dd >> "/tmp/b/dd-$v"
    run_tree >> "/tmp/b/tree-$v"
    [ "$v" = none ] || stop_guard
  done
done
files=$(find /usr -type f | wc -l)
median() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "guard-cost: kernel $(uname -r), $(nproc) vCPUs (TCG), $ROUNDS interleaved rounds; lsm: $(cat /sys/kernel/security/lsm)"
echo "  dd: ${MIB} MiB in 4 KiB writes ($(( MIB * 256 )) writes); tree: 10 copies of /usr ($(( files * 10 )) files) + rm -rf"
for w in dd tree; do
  base=$(median "/tmp/b/$w-none")
  for v in $variants; do
    m=$(median "/tmp/b/$w-$v")
    printf '  %-5s %-9s median %9.3f s   %s x none\n' "$w" "$v" "$(awk -v m="$m" 'BEGIN{print m/1e6}')" "$(awk -v m="$m" -v b="$base" 'BEGIN{printf "%.3f", m/b}')"
  done
done
GUEST
bash test/vm/vm.sh scp "$name" "$guest" vm:/tmp/guard-cost-guest.sh
bash test/vm/vm.sh ssh "$name" "ROUNDS=$ROUNDS MIB=$MIB setsid nohup bash /tmp/guard-cost-guest.sh > /tmp/guard-cost.out 2>&1 < /dev/null & echo started"
until bash test/vm/vm.sh ssh "$name" 'test -e /tmp/guard-cost.done' 2>/dev/null; do sleep 10; done
bash test/vm/vm.sh ssh "$name" 'cat /tmp/guard-cost.out'
