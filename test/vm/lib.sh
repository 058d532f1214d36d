# Shared settings of the VM harness (test/vm/). Source it; do not run it.
#
# Everything big lives under $KW_VM (default /var/tmp/kwitness/vm), never in the repo:
#   apt/                private apt config + lists (the suites of kernels.tsv; the host's apt is untouched)
#   kernels/<K>/        one Debian kernel per label K of kernels.tsv: KVER, vmlinux (PVH boot),
#                       config, mods.cpio (the virtio modules, in load order)
#   image/base.cpio     the guest userland (busybox, bash, sshd, sudo+PAM, bpftool, triggers)
#   disk/               the systemd guest (build-disk.sh): base.img (ext4), initrd.img, rootfs/
#   keys/               id_ed25519 (client key for every guest user), known_hosts (pins the one
#                       host key all guests share, for [127.0.0.1]:any-port)
#   run/<name>/         one folder per started VM: pid, port, kernel, console.log
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib" && pwd)/env.sh"
KW_VM=${KW_VM:-$KW_CACHE/vm}
KW_VM_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KW_VM_KEYS=$KW_VM/keys
KW_VM_RUN=$KW_VM/run
KW_VM_APT=$KW_VM/apt
KW_VM_PWTESTER_PASSWORD=${KW_VM_PWTESTER_PASSWORD:-pwtester}
export KW_VM KW_VM_KEYS KW_VM_RUN

# The kernel labels the harness knows (test/vm/kernels.tsv, the one list): label -> the Debian
# suites that carry it, newest first, space-separated.
KW_VM_KERNELS_TSV=$KW_VM_TOOLS/kernels.tsv
kw_vm_suites() {
  awk -v k="$1" '!/^#/ && $1 == k { gsub(",", " ", $2); print $2; found = 1 } END { exit !found }' "$KW_VM_KERNELS_TSV"
}
KW_VM_KERNELS=$(awk '!/^#/ && NF { printf "%s%s", sep, $1; sep = " " }' "$KW_VM_KERNELS_TSV")
# every suite of the list (the private apt config carries exactly these)
kw_vm_all_suites() {
  awk '!/^#/ && NF { n = split($2, a, ","); for (i = 1; i <= n; i++) if (!seen[a[i]]++) print a[i] }' "$KW_VM_KERNELS_TSV"
}

kw_vm_die() { echo "vm: $*" >&2; exit 1; }

# apt-get/apt-cache against the private config (lists under $KW_VM_APT, never /var/lib/apt).
kw_vm_apt_opts() {
  echo "-o Dir::Etc::sourcelist=$KW_VM_APT/sources.list -o Dir::Etc::sourceparts=$KW_VM_APT/sourceparts" \
       "-o Dir::State::Lists=$KW_VM_APT/lists -o Dir::Cache=$KW_VM_APT/cache -o APT::Architecture=amd64" \
       "-o Acquire::Languages=none"
}
kw_vm_apt_update() {
  # the suites of kernels.tsv plus bookworm (the guests' userland); -security ones live elsewhere
  local kr=/usr/share/keyrings/debian-archive-keyring.gpg m=${KW_VM_MIRROR:-http://deb.debian.org} want
  want=$(for s in bookworm $(kw_vm_all_suites); do
    case $s in *-security) echo "deb [signed-by=$kr] $m/debian-security $s main" ;; *) echo "deb [signed-by=$kr] $m/debian $s main" ;; esac
  done | awk '!seen[$0]++')
  # once a day at most: the same sources, and lists younger than 24 h
  if [ "$(cat "$KW_VM_APT/sources.list" 2>/dev/null)" = "$want" ] \
     && [ -n "$(find "$KW_VM_APT/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ] \
     && [ -z "$(find "$KW_VM_APT/lists" -maxdepth 1 -name '*_Packages*' -mmin +1440 2>/dev/null | head -1)" ]; then
    return 0
  fi
  mkdir -p "$KW_VM_APT"/{lists/partial,cache/archives/partial,sourceparts}
  echo "$want" > "$KW_VM_APT/sources.list"
  # shellcheck disable=SC2046
  apt-get $(kw_vm_apt_opts) update -q >"$KW_VM_APT/update.log" 2>&1 \
    || { tail -5 "$KW_VM_APT/update.log" >&2; kw_vm_die "apt-get update (private lists in $KW_VM_APT) failed"; }
}
# apt-get download PKG[=VER] into the current directory (quietly; the sandbox warning is noise)
kw_vm_apt_download() {
  # shellcheck disable=SC2046
  apt-get $(kw_vm_apt_opts) download "$@" >/dev/null 2>"$KW_VM_APT/download.err" \
    || { cat "$KW_VM_APT/download.err" >&2; kw_vm_die "apt-get download $* failed"; }
}

# ssh/scp options for every guest: our key only, strict host-key checking against our known_hosts.
kw_vm_ssh_opts() {
  echo "-i $KW_VM_KEYS/id_ed25519 -o IdentitiesOnly=yes -o UserKnownHostsFile=$KW_VM_KEYS/known_hosts" \
       "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10" \
       "-o ServerAliveInterval=15 -o LogLevel=ERROR"
}

kw_vm_kver() { cat "$KW_VM/kernels/$1/KVER" 2>/dev/null; }

# The Debian archive URL the private apt config uses for ARCHIVE (debian | debian-security), e.g.
# http://deb.debian.org/debian (KW_VM_MIRROR decides the host; call kw_vm_apt_update first).
kw_vm_mirror() {
  awk -v a="$1" '$1 == "deb" { n = split($(NF-2), p, "/"); if (p[n] == a) { print $(NF-2); exit } }' \
    "$KW_VM_APT/sources.list" 2>/dev/null
}

# The harness's keys, made once: one client key for every user of every guest, one host key that
# all guests share, pinned in known_hosts for [127.0.0.1]:* so strict host-key checking works on
# any port (initramfs and disk guests alike).
kw_vm_keys() {
  mkdir -p "$KW_VM_KEYS"; chmod 700 "$KW_VM_KEYS"
  [ -f "$KW_VM_KEYS/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C kwitness-vm-client -f "$KW_VM_KEYS/id_ed25519"
  [ -f "$KW_VM_KEYS/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C kwitness-vm-host -f "$KW_VM_KEYS/ssh_host_ed25519_key"
  echo "[127.0.0.1]:* $(cut -d' ' -f1,2 "$KW_VM_KEYS/ssh_host_ed25519_key.pub")" > "$KW_VM_KEYS/known_hosts"
}
