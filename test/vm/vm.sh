#!/usr/bin/env bash
# Test VMs: Debian stock kernels under qemu, sshd on 127.0.0.1:<port> only.
#
#   vm.sh start --kernel 6.1|5.10|6.12 --name N --port P [--image initramfs|disk] [--reuse-disk]
#               [--lsm LIST|default] [--accel auto|tcg|kvm] [--mem MiB] [--smp N] [--timeout s]
#               [--append "kernel args"]
#       boots in the background, waits for ssh, prints
#       'READY port=P name=N pid=.. kernel=K kver=.. accel=.. lsm=.. image=.. boot_id=.. boot_s=..'
#       --image initramfs (default): busybox init, root fs in RAM, every kernel, 1 vCPU, 240 s
#       --image disk: Debian 12 with systemd (build-disk.sh), kernel 6.1 only, its own qcow2
#         overlay in run/N/, 2 vCPUs, 480 s; qemu runs without -no-reboot, so the guest can reboot
#       --reuse-disk: boot N's existing overlay again (after 'vm.sh kill N': a power cut)
#   vm.sh ssh N [-u USER] [CMD...]          (USER: root (default), tester, pwtester)
#   vm.sh scp N [-u USER] SRC... DEST       (guest paths start with 'vm:', e.g. vm:/tmp/x)
#   vm.sh reboot N [--timeout s]            disk guests: 'systemctl reboot' in the guest, waits
#                                           until ssh answers with a new boot_id -> REBOOTED ...
#   vm.sh kill N                            power cut: SIGKILL to N's qemu, its overlay is kept
#   vm.sh stop N                            kills only that VM's qemu, closes its ssh masters,
#                                           removes its overlay, waits until the port is free
#   vm.sh list                              running VMs
#   vm.sh paths                             key, known_hosts, users
#
# Keys: $KW_VM/keys/id_ed25519 logs in every user of every guest; $KW_VM/keys/known_hosts pins the
# host key all guests share, as '[127.0.0.1]:* ssh-ed25519 ...' (KW_VM = /var/tmp/kwitness/vm).
# --lsm: the kernel's lsm= list; the default list ends in 'bpf' (BPF LSM active); 'default' passes
# no lsm= (the kernel's built-in CONFIG_LSM).
# --accel auto: KVM only when it really boots this kernel here (tried once, the verdict is cached
# in $KW_VM/kvm-verdict-*), else TCG (--smp: 1 vCPU for initramfs, 2 for disk guests).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
vm_dir() { echo "$KW_VM_RUN/$1"; }
is_our_qemu() {  # is_our_qemu PID NAME: a qemu started with '-name kwvm-NAME' (exact argument)
  [ -r "/proc/$1/cmdline" ] && tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "kwvm-$2"
}
own_pid() {  # prints the pid of N's qemu when it is alive and really ours
  local d; d=$(vm_dir "$1"); local pid
  pid=$(cat "$d/pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && is_our_qemu "$pid" "$1" && { echo "$pid"; return 0; }
  # no (valid) pid file: a start interrupted while qemu daemonized; find it by its exact -name
  for c in /proc/[0-9]*/cmdline; do
    pid=${c#/proc/}; pid=${pid%/cmdline}
    [ "$(head -c 18 "$c" 2>/dev/null | tr '\0' ' ')" = "qemu-system-x86_64" ] || continue
    is_our_qemu "$pid" "$1" && { echo "$pid"; return 0; }
  done
  return 1
}
port_busy() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
ctl_opts() { echo "-o ControlMaster=no -o ControlPath=$(vm_dir "$1")/ctl-$2"; }
# One ssh master per VM and user, started detached with all its stdio on /dev/null (a master
# forked by ControlMaster=auto inherits the caller's stderr and makes '$(vm.sh ssh ... 2>&1)'
# hang until it exits). Later ssh/scp calls reuse it: ~0.1 s instead of ~1 s of emulated crypto.
ensure_master() {  # ensure_master NAME USER PORT
  local sock; sock=$(vm_dir "$1")/ctl-$2
  [ -S "$sock" ] && ssh -o ControlPath="$sock" -O check x 2>/dev/null && return 0
  # shellcheck disable=SC2046
  ssh $(kw_vm_ssh_opts) -o ControlMaster=yes -o ControlPath="$sock" -o ControlPersist=300 \
    -f -N -p "$3" "$2@127.0.0.1" </dev/null >/dev/null 2>&1 || true
}

close_masters() {  # close_masters NAME: the guest went away (stop, reboot, power cut)
  local c; for c in "$(vm_dir "$1")"/ctl-*; do [ -S "$c" ] && ssh -o ControlPath="$c" -O exit x 2>/dev/null || true; done
}
wait_port_free() {  # wait_port_free PORT: qemu's hostfwd socket closes shortly after qemu exits
  for _ in $(seq 50); do port_busy "$1" || return 0; sleep 0.1; done
  ! port_busy "$1"
}

kill_qemu() {  # kill_qemu NAME: SIGTERM, then SIGKILL after 5 s
  local pid; pid=$(own_pid "$1") || { rm -f "$(vm_dir "$1")/pid"; return 0; }
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$(vm_dir "$1")/pid"
}

cmd_stop() {
  local name=${1:-}; [ -n "$name" ] || usage
  local d; d=$(vm_dir "$name")
  [ -d "$d" ] || { echo "vm: stop: no VM named $name" >&2; return 1; }
  close_masters "$name"
  local pid; pid=$(own_pid "$name") || pid=""
  kill_qemu "$name"
  rm -f "$d/overlay.qcow2"   # a disk guest's writes (the base image is never written)
  local port; port=$(cat "$d/port" 2>/dev/null || echo)
  if [ -n "$port" ]; then
    wait_port_free "$port" || { echo "vm: stop: $name: port $port still held" >&2; return 1; }
  fi
  echo "STOPPED name=$name${pid:+ pid=$pid}${port:+ port=$port}"
}

# A power cut: SIGKILL, no shutdown in the guest. The overlay stays for 'start --reuse-disk'; what
# the guest had fsync'ed is in it (qemu hands writes to the host even with cache=unsafe), the rest
# of its page cache is lost, as on real hardware.
cmd_kill() {
  local name=${1:-}; [ -n "$name" ] || usage
  local d; d=$(vm_dir "$name")
  local pid; pid=$(own_pid "$name") || kw_vm_die "kill: $name is not running"
  kill -9 "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kw_vm_die "kill: $name's qemu (pid $pid) survived SIGKILL"
  rm -f "$d/pid"
  close_masters "$name"
  local port; port=$(cat "$d/port")
  wait_port_free "$port" || kw_vm_die "kill: $name: port $port still held"
  echo "KILLED name=$name pid=$pid port=$port"
}

# banner PORT SECONDS: wait on ONE connection for sshd's banner (each reconnect costs the guest a
# forked sshd, so not too short)
banner() { timeout "$2" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && head -c 4 <&3" 2>/dev/null; }
# wait_ssh NAME T0 LIMIT [OLD_BOOT_ID]: until root logs in (banner first, then one real login) and
# reads a boot_id other than OLD_BOOT_ID (a guest still shutting down for a reboot does not count).
# 0 = ready (run/N/boot_id written); 1 = qemu gone, soft lockup, or LIMIT s after T0 (then N's
# qemu is killed and the console kept as console.failed.log)
wait_ssh() {
  local name=$1 t0=$2 limit=$3 old=${4:-} d port id from patience=20
  d=$(vm_dir "$name"); port=$(cat "$d/port")
  # The disk guest's sshd starts before systemd-networkd gives the NIC its address. A connection
  # made before that hangs in qemu's user-mode TCP (SYN retransmits with backoff) long after the
  # guest could answer: there, give up on a silent connection after 5 s, not 20 (45 -> 36-38 s).
  [ "$(cat "$d/image" 2>/dev/null)" = disk ] && patience=5
  from=$(stat -c %s "$d/console.log" 2>/dev/null || echo 0)   # only this boot's console counts
  while :; do
    # shellcheck disable=SC2046
    if [ "$(banner "$port" "$patience")" = SSH- ] \
       && id=$(ssh $(kw_vm_ssh_opts) -p "$port" root@127.0.0.1 cat /proc/sys/kernel/random/boot_id 2>/dev/null) \
       && [ -n "$id" ] && [ "$id" != "$old" ]; then
      echo "$id" > "$d/boot_id"; return 0
    fi
    if ! own_pid "$name" >/dev/null; then
      echo "vm: $name: qemu exited; console tail:" >&2; tail -n 15 "$d/console.log" >&2; return 1
    fi
    if tail -c +$((from + 1)) "$d/console.log" | grep -q 'soft lockup'; then
      echo "vm: $name: guest soft lockup" >&2; cp "$d/console.log" "$d/console.failed.log"; kill_qemu "$name"; return 1
    fi
    if awk -v a="$(kw_now)" -v b="$t0" -v t="$limit" 'BEGIN{exit !(a-b>t)}'; then
      echo "vm: $name: no ssh after ${limit}s; console tail:" >&2; tail -n 15 "$d/console.log" >&2
      cp "$d/console.log" "$d/console.failed.log"; kill_qemu "$name"; return 1
    fi
    sleep 0.3
  done
}

# the initrd of kernel K = userland cpio + that kernel's modules cpio (the kernel unpacks both)
initrd_for() {
  local k=$1 out=$KW_VM/initrd-$1.cpio
  if [ ! -s "$out" ] || [ "$KW_VM/image/base.cpio" -nt "$out" ] || [ "$KW_VM/kernels/$k/mods.cpio" -nt "$out" ]; then
    cat "$KW_VM/image/base.cpio" "$KW_VM/kernels/$k/mods.cpio" > "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
  fi
  echo "$out"
}

cmd_start() {
  local kernel="" name="" port="" lsm="landlock,lockdown,yama,integrity,apparmor,bpf" accel=${KW_VM_ACCEL:-auto}
  local mem=1024 timeout="" extra="" retries=1 image=initramfs reuse=0 smp=""
  while [ $# -gt 0 ]; do
    case $1 in
      --kernel) kernel=$2; shift 2 ;; --name) name=$2; shift 2 ;; --port) port=$2; shift 2 ;;
      --lsm) lsm=$2; shift 2 ;; --accel) accel=$2; shift 2 ;; --mem) mem=$2; shift 2 ;;
      --timeout) timeout=$2; shift 2 ;; --append) extra=$2; shift 2 ;; --retries) retries=$2; shift 2 ;;
      --image) image=$2; shift 2 ;; --reuse-disk) reuse=1; shift ;; --smp) smp=$2; shift 2 ;;
      *) kw_vm_die "start: unknown option '$1'" ;;
    esac
  done
  [ -n "$kernel" ] && [ -n "$name" ] && [ -n "$port" ] || kw_vm_die "start: --kernel, --name and --port are required"
  kw_vm_suites "$kernel" >/dev/null || kw_vm_die "start: unknown kernel '$kernel' (known: $KW_VM_KERNELS)"
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || kw_vm_die "start: bad VM name '$name' (letters, digits, . _ -)"
  [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || kw_vm_die "start: bad port '$port' (1024-65535)"
  [[ $lsm =~ ^[a-z,]+$ ]] || kw_vm_die "start: bad --lsm '$lsm' (comma-separated LSM names, or 'default')"
  case $image in
    initramfs) [ "$reuse" = 0 ] || kw_vm_die "start: --reuse-disk needs --image disk" ;;
    disk) [ "$kernel" = 6.1 ] || kw_vm_die "start: --image disk is Debian 12 with its own kernel package: --kernel 6.1 only (not '$kernel')" ;;
    *) kw_vm_die "start: unknown --image '$image' (initramfs, disk)" ;;
  esac
  # vCPUs: 1 for the initramfs guest (as fast as 2, and two such VMs side by side boot in half the
  # time); 2 for the systemd guest, whose units start in parallel (~25 s to ssh instead of ~41 s)
  [ -n "$smp" ] || { [ "$image" = disk ] && smp=2 || smp=1; }
  [ -n "$timeout" ] || { [ "$image" = disk ] && timeout=480 || timeout=240; }
  [[ $smp =~ ^[1-8]$ ]] || kw_vm_die "start: bad --smp '$smp' (1-8)"
  [[ $timeout =~ ^[0-9]+$ ]] || kw_vm_die "start: bad --timeout '$timeout' (seconds)"
  command -v qemu-system-x86_64 >/dev/null || kw_vm_die "start: qemu-system-x86_64 not installed (scripts/setup.sh)"
  own_pid "$name" >/dev/null && kw_vm_die "start: VM $name is already running (vm.sh stop $name)"
  port_busy "$port" && kw_vm_die "start: port $port on 127.0.0.1 is already in use"
  local d; d=$(vm_dir "$name")
  if [ "$reuse" = 1 ]; then
    # the overlay only makes sense on the base image it was made on
    [ -f "$d/overlay.qcow2" ] || kw_vm_die "start: --reuse-disk: $name has no disk to boot again ($d/overlay.qcow2)"
    [ "$(cat "$d/base-stamp" 2>/dev/null)" = "$(cat "$KW_VM/disk/stamp" 2>/dev/null)" ] \
      || kw_vm_die "start: --reuse-disk: $KW_VM/disk/base.img was rebuilt since $name's overlay was made; start it without --reuse-disk"
  fi

  # several suites start VMs at the same time: one builder at a time (the others then find the
  # artifacts cached)
  mkdir -p "$KW_VM"
  if [ "$reuse" = 0 ]; then
    (
      flock 9
      bash "$KW_VM_TOOLS/fetch-kernel.sh" "$kernel" >&2
      if [ "$image" = disk ]; then bash "$KW_VM_TOOLS/build-disk.sh" >&2
      else bash "$KW_VM_TOOLS/build-image.sh" >&2; initrd_for "$kernel" >/dev/null; fi
    ) 9>"$KW_VM/.build.lock" || kw_vm_die "start: preparing kernel $kernel / the $image guest image failed"
  fi
  local kd=$KW_VM/kernels/$kernel kver initrd kimg
  kver=$(cat "$kd/KVER")
  if [ "$image" = disk ]; then initrd=$KW_VM/disk/initrd.img; else initrd=$(initrd_for "$kernel"); fi
  if [ "$(cat "$kd/boot-format")" = pvh ]; then kimg=$kd/vmlinux; else kimg=$kd/vmlinuz; fi
  if [ "$reuse" = 1 ]; then
    rm -f "$d/pid" "$d"/ctl-*; mv -f "$d/console.log" "$d/console.prev.log" 2>/dev/null || true
  else
    rm -rf "$d"; mkdir -p "$d"
  fi
  echo "$port" > "$d/port"; echo "$kernel" > "$d/kernel"; echo "$image" > "$d/image"; echo "$timeout" > "$d/timeout"

  local append="console=ttyS0 panic=-1 quiet loglevel=4"
  [ "$lsm" = default ] || append="$append lsm=$lsm"
  # the disk guest: our initrd mounts /dev/vda read-write (systemd reads root= and rw too)
  [ "$image" = disk ] && append="$append root=/dev/vda rootfstype=ext4 rw"
  [ -z "$extra" ] || append="$append $extra"
  local disk_args=() reboot_args=(-no-reboot)
  if [ "$image" = disk ]; then
    # copy-on-write: base.img is never written, each VM has its own overlay; cache=unsafe skips
    # host fsyncs (the guest's own flushes still reach the host: kill -9 of qemu = a power cut)
    disk_args=(-drive "file=$d/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap")
    # a reboot inside the guest resets the machine, which boots the same -kernel/-initrd again
    reboot_args=()
  fi

  # KVM only when it really runs Debian's kernel here: some hosts expose a /dev/kvm (e.g. PVM)
  # that aborts or hangs with it. Tried once per host kernel + qemu + guest kernel, then cached.
  local verdict_file
  verdict_file=$KW_VM/kvm-verdict-$(echo "$(uname -r) $(qemu-system-x86_64 --version | head -1) $kver" | sha256sum | cut -c1-12)
  if [ "$accel" = auto ]; then
    if [ ! -w /dev/kvm ]; then accel=tcg
    elif [ -f "$verdict_file" ]; then accel=$(cat "$verdict_file")
    else accel=try-kvm
    fi
  fi

  local t0 pid
  attempt() {  # attempt tcg|kvm LIMIT: 0 = sshd answered, 1 = failed (its qemu is gone)
    local acc=$1 limit=$2 args
    case $acc in
      tcg) args=(-machine pc -accel tcg,tb-size=256 -cpu max -smp "$smp") ;;
      kvm) args=(-machine pc -accel kvm -cpu host -smp 2) ;;
    esac
    if [ "$image" = disk ] && [ "$reuse" = 0 ]; then   # a failed attempt's writes are not kept
      rm -f "$d/overlay.qcow2"
      qemu-img create -q -f qcow2 -F raw -b "$KW_VM/disk/base.img" "$d/overlay.qcow2" \
        || { echo "vm: $name: qemu-img create failed" >&2; return 1; }
      cp "$KW_VM/disk/stamp" "$d/base-stamp"
    fi
    : > "$d/console.log"
    t0=$(kw_now)
    qemu-system-x86_64 -name "kwvm-$name" -nodefaults -no-user-config -display none \
      "${args[@]}" -m "$mem" -kernel "$kimg" -initrd "$initrd" -append "$append" "${disk_args[@]}" \
      -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" \
      -device virtio-net-pci,netdev=n0,romfile= -device virtio-rng-pci \
      -serial "file:$d/console.log" "${reboot_args[@]}" -daemonize -pidfile "$d/pid" 2>"$d/qemu.err" \
      || { sed 's/^/  qemu: /' "$d/qemu.err" >&2; rm -f "$d/pid"; return 1; }
    wait_ssh "$name" "$t0" "$limit"
  }
  # interrupted while booting: leave no qemu behind (it is daemonized, not our child)
  trap 'kill_qemu "$name"; exit 130' INT TERM HUP
  if [ "$accel" = try-kvm ]; then
    if attempt kvm 30 2>"$d/kvm-try.log"; then accel=kvm; else accel=tcg; fi
    echo "$accel" > "$verdict_file"
    echo "vm: KVM $( [ "$accel" = kvm ] && echo works || echo 'does not boot this kernel here; using TCG') (cached in $verdict_file)" >&2
  fi
  if ! own_pid "$name" >/dev/null; then
    local try=0
    until attempt "$accel" "$timeout"; do
      try=$((try + 1)); [ "$try" -le "$retries" ] || kw_vm_die "start: $name did not boot (console: $d/console.failed.log)"
      echo "vm: $name: boot attempt failed, retrying ($try/$retries)" >&2
    done
  fi
  trap - INT TERM HUP
  pid=$(own_pid "$name")
  printf 'READY port=%s name=%s pid=%s kernel=%s kver=%s accel=%s lsm=%s image=%s boot_id=%s boot_s=%.1f\n' \
    "$port" "$name" "$pid" "$kernel" "$kver" "$accel" "$lsm" "$image" "$(cat "$d/boot_id")" "$(kw_elapsed "$t0")"
}

# 'systemctl reboot' in a disk guest, then wait until ssh answers with another boot_id: the same
# qemu resets and boots the same kernel, initrd and overlay again.
cmd_reboot() {
  local name=${1:-}; [ -n "$name" ] || usage; shift
  local d; d=$(vm_dir "$name")
  own_pid "$name" >/dev/null || kw_vm_die "reboot: $name is not running"
  local timeout; timeout=$(cat "$d/timeout" 2>/dev/null || echo 480)
  while [ $# -gt 0 ]; do
    case $1 in --timeout) timeout=$2; shift 2 ;; *) kw_vm_die "reboot: unknown option '$1'" ;; esac
  done
  [ "$(cat "$d/image" 2>/dev/null)" = disk ] \
    || kw_vm_die "reboot: $name is an initramfs guest (its qemu runs with -no-reboot); only --image disk guests reboot"
  local port old t0; port=$(cat "$d/port")
  ensure_master "$name" root "$port"
  # shellcheck disable=SC2046
  old=$(ssh $(kw_vm_ssh_opts) $(ctl_opts "$name" root) -p "$port" root@127.0.0.1 cat /proc/sys/kernel/random/boot_id) \
    || kw_vm_die "reboot: $name: cannot read its boot_id over ssh"
  t0=$(kw_now)
  # --no-block: queue the reboot job and return. The guest may still tear the connection down
  # before the exit status arrives (ssh then says 255); the new boot_id below is the real proof.
  local rc=0
  # shellcheck disable=SC2046
  ssh $(kw_vm_ssh_opts) $(ctl_opts "$name" root) -p "$port" root@127.0.0.1 systemctl --no-block reboot || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 255 ] || kw_vm_die "reboot: $name: 'systemctl reboot' failed (exit $rc)"
  close_masters "$name"
  wait_ssh "$name" "$t0" "$timeout" "$old" || kw_vm_die "reboot: $name did not come back (console: $d/console.failed.log)"
  printf 'REBOOTED name=%s pid=%s boot_id=%s reboot_s=%.1f\n' "$name" "$(own_pid "$name")" "$(cat "$d/boot_id")" "$(kw_elapsed "$t0")"
}

cmd_ssh() {
  local name=${1:-}; [ -n "$name" ] || usage; shift
  local user=root; if [ "${1:-}" = -u ]; then user=$2; shift 2; fi
  local d; d=$(vm_dir "$name"); [ -f "$d/port" ] || kw_vm_die "ssh: no VM named $name"
  local port; port=$(cat "$d/port"); ensure_master "$name" "$user" "$port"
  # shellcheck disable=SC2046
  exec ssh $(kw_vm_ssh_opts) $(ctl_opts "$name" "$user") -p "$port" "$user@127.0.0.1" "$@"
}

cmd_scp() {
  local name=${1:-}; [ -n "$name" ] || usage; shift
  local user=root; if [ "${1:-}" = -u ]; then user=$2; shift 2; fi
  local d; d=$(vm_dir "$name"); [ -f "$d/port" ] || kw_vm_die "scp: no VM named $name"
  local args=(); for a in "$@"; do args+=("${a/#vm:/$user@127.0.0.1:}"); done
  local port; port=$(cat "$d/port"); ensure_master "$name" "$user" "$port"
  # shellcheck disable=SC2046
  exec scp -q $(kw_vm_ssh_opts) $(ctl_opts "$name" "$user") -P "$port" "${args[@]}"
}

cmd_list() {
  for d in "$KW_VM_RUN"/*/; do
    [ -d "$d" ] || continue; local n; n=$(basename "$d")
    local pid; pid=$(own_pid "$n") && echo "$n port=$(cat "$d/port") pid=$pid kernel=$(cat "$d/kernel") image=$(cat "$d/image" 2>/dev/null || echo initramfs)"
  done
  return 0
}

cmd_paths() {
  echo "key=$KW_VM_KEYS/id_ed25519"
  echo "known_hosts=$KW_VM_KEYS/known_hosts"
  echo "users=root,tester,pwtester"
  echo "pwtester_password=$KW_VM_PWTESTER_PASSWORD"
}

sub=${1:-}; [ -n "$sub" ] || usage; shift
case $sub in
  start) cmd_start "$@" ;; stop) cmd_stop "$@" ;; ssh) cmd_ssh "$@" ;; scp) cmd_scp "$@" ;;
  reboot) cmd_reboot "$@" ;; kill) cmd_kill "$@" ;;
  list) cmd_list ;; paths) cmd_paths ;; -h|--help|help) usage ;;
  *) echo "vm: unknown command '$sub' (start, ssh, scp, reboot, kill, stop, list, paths)" >&2; exit 2 ;;
esac
