#!/usr/bin/env bash
# Builds the "disk" guest: a real Debian 12 system with systemd as PID 1, for tests that need
# systemd itself (transient units from systemd-run, units that survive a reboot, journald, logind).
# debootstrap minbase + systemd-sysv, udev, dbus, libpam-systemd, OpenSSH, sudo, iproute2, kmod,
# procps; the Debian kernel package of label 6.1 dpkg-installed in it (the very kernel
# fetch-kernel.sh 6.1 unpacked and qemu boots, so /lib/modules and /boot/config-* match it).
# Users, keys and the shared host key are those of the initramfs guest (build-image.sh):
#   root      key only
#   tester    key, passwordless sudo
#   pwtester  key; sudo asks for the password ($KW_VM_PWTESTER_PASSWORD, default 'pwtester')
# Output in $KW_VM/disk/:
#   base.img    raw ext4 image (sparse, 3 GB apparent); vm.sh boots each VM on its own qcow2 overlay
#   initrd.img  tiny busybox initrd: loads virtio_pci/virtio_blk/ext4, mounts /dev/vda, switch_root
#               to /sbin/init (systemd); qemu boots it with the same -kernel as the initramfs guest
#   rootfs/     the debootstrapped tree + kernel package, before our configuration (reused while
#               build_rootfs below, the kernel and the mirror are unchanged: ~1 min instead of ~3)
#   stamp       hash of this script, the keys and the kernel: everything is rebuilt when it differs
# Usage: build-disk.sh [--fresh]      (--fresh: debootstrap again even when rootfs/ is reusable)
# No loop devices, no mounts of the image: mkfs.ext4 -d fills it from a folder. Needs root
# (debootstrap, chroot) and the packages scripts/setup.sh installs (debootstrap, e2fsprogs, ...).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
KERNEL=6.1
D=$KW_VM/disk
SIZE=${KW_VM_DISK_SIZE:-3G}
FRESH=0; [ "${1:-}" = --fresh ] && FRESH=1
[ "$(id -u)" = 0 ] || kw_vm_die "build-disk: needs root (debootstrap, chroot)"
for t in debootstrap mkfs.ext4 cpio openssl modprobe; do
  command -v "$t" >/dev/null || kw_vm_die "build-disk: $t missing (scripts/setup.sh installs it)"
done

# the kernel first (cached), then one builder at a time: vm.sh start and a direct call may race
bash "$KW_VM_TOOLS/fetch-kernel.sh" "$KERNEL"
KVER=$(kw_vm_kver "$KERNEL")
mkdir -p "$D"
exec 8>"$KW_VM/.disk-build.lock"
flock 8
kw_vm_keys
stamp=$(cat "$0" "$KW_VM_KEYS/id_ed25519.pub" "$KW_VM_KEYS/ssh_host_ed25519_key.pub" "$KW_VM/kernels/$KERNEL/vmlinuz" \
  | { cat; echo "$KVER $KW_VM_PWTESTER_PASSWORD"; } | sha256sum | cut -c1-16)
if [ "$FRESH" = 0 ] && [ -s "$D/base.img" ] && [ -s "$D/initrd.img" ] && [ "$(cat "$D/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "build-disk: $D/base.img is up to date ($KVER)"; exit 0
fi
T0=$(kw_now)
t=$T0
step() { echo "build-disk: $1 in $(kw_elapsed "$t")s"; t=$(kw_now); }

kw_vm_apt_update
MIRROR=$(kw_vm_mirror debian); SECURITY=$(kw_vm_mirror debian-security)
[ -n "$MIRROR" ] && [ -n "$SECURITY" ] || kw_vm_die "build-disk: no Debian mirror in $KW_VM_APT/sources.list"
ROOT=$D/rootfs
TREE=$D/tree

# Every mount this script makes is below a chroot it builds; all are undone on any exit, and no
# tree is ever removed while something is mounted in it (rm would walk into the host's /dev).
mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
trap unmount_all EXIT
mount_chroot() {
  mount -t proc proc "$1/proc"; mounted+=("$1/proc")
  mount -t sysfs sys "$1/sys"; mounted+=("$1/sys")
  mount --bind /dev "$1/dev"; mounted+=("$1/dev")
  mount --bind /dev/pts "$1/dev/pts"; mounted+=("$1/dev/pts")
}
remove_tree() {
  [ -e "$1" ] || return 0
  if findmnt -rn -o TARGET | grep -q "^$1/"; then kw_vm_die "build-disk: something is still mounted below $1"; fi
  rm -rf --one-file-system "$1"
}
in_chroot() {  # in_chroot DIR CMD...: a clean environment, no service may start (policy-rc.d)
  local dir=$1; shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# 1. the system itself: debootstrap, current updates, the kernel package. Its hash (the text of
#    this function, the kernel and the mirror) decides whether rootfs/ can be reused.
PACKAGES=systemd-sysv,udev,dbus,libpam-systemd,openssh-server,openssh-sftp-server,sudo,iproute2,kmod,procps,coreutils
build_rootfs() {
  local new=$D/rootfs.new
  remove_tree "$new"
  debootstrap --variant=minbase --include="$PACKAGES" --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    bookworm "$new" "$MIRROR" >"$D/debootstrap.log" 2>&1 \
    || { tail -20 "$D/debootstrap.log" >&2; kw_vm_die "build-disk: debootstrap failed (log: $D/debootstrap.log)"; }
  step "debootstrap (minbase + $PACKAGES)"
  cat > "$new/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
EOF
  printf '#!/bin/sh\nexit 101\n' > "$new/usr/sbin/policy-rc.d"; chmod +x "$new/usr/sbin/policy-rc.d"
  mount_chroot "$new"
  { in_chroot "$new" apt-get -q update && in_chroot "$new" apt-get -q -y dist-upgrade; } >"$D/apt.log" 2>&1 \
    || { tail -20 "$D/apt.log" >&2; kw_vm_die "build-disk: apt-get dist-upgrade in the guest failed (log: $D/apt.log)"; }
  step "apt-get update + dist-upgrade"
  # the same package fetch-kernel.sh unpacked (same KVER; its vmlinuz is compared below).
  # INITRD=No: the guest boots our initrd, so initramfs-tools' hook does not build one
  mkdir -p "$D/debs"; rm -f "$D"/debs/*.deb
  (cd "$D/debs" && kw_vm_apt_download "linux-image-$KVER")
  cp "$D"/debs/linux-image-"$KVER"_*.deb "$new/tmp/"
  in_chroot "$new" INITRD=No apt-get -q -y install --no-install-recommends "/tmp/$(basename "$D"/debs/linux-image-"$KVER"_*.deb)" \
    >>"$D/apt.log" 2>&1 || { tail -20 "$D/apt.log" >&2; kw_vm_die "build-disk: installing linux-image-$KVER failed (log: $D/apt.log)"; }
  cmp -s "$new/boot/vmlinuz-$KVER" "$KW_VM/kernels/$KERNEL/vmlinuz" \
    || kw_vm_die "build-disk: linux-image-$KVER from the mirror differs from $KW_VM/kernels/$KERNEL/vmlinuz (remove $KW_VM/kernels/$KERNEL to fetch it again)"
  [ -s "$new/lib/modules/$KVER/modules.dep" ] || kw_vm_die "build-disk: no modules.dep for $KVER in the guest"
  rm -f "$new"/tmp/*.deb "$D"/debs/*.deb
  # the guest never reaches a mirror (restrict=on): no lists, no cached packages
  in_chroot "$new" apt-get clean
  rm -rf "$new"/var/lib/apt/lists/* "$new/usr/sbin/policy-rc.d"
  unmount_all
  step "kernel package linux-image-$KVER"
  echo "$1" > "$new/.kw-rootfs"
  remove_tree "$ROOT"
  mv "$new" "$ROOT"
}
t=$(kw_now)
rootfs_key=$( { declare -f build_rootfs; echo "$PACKAGES $KVER $MIRROR $SECURITY"; } | sha256sum | cut -c1-16)
if [ "$FRESH" = 1 ] || [ "$(cat "$ROOT/.kw-rootfs" 2>/dev/null)" != "$rootfs_key" ]; then
  build_rootfs "$rootfs_key"
else
  echo "build-disk: reusing $ROOT ($KVER)"
fi

# 2. our configuration, on a copy (rootfs/ stays as debootstrap + apt left it, so a change here
#    never inherits what an older version of this script did)
remove_tree "$TREE"
cp -a "$ROOT" "$TREE"
rm -f "$TREE/.kw-rootfs"
step "copy of rootfs"
R=$TREE
echo kwvm > "$R/etc/hostname"
# sudo resolves the host name on every call
printf '127.0.0.1 localhost\n127.0.1.1 kwvm\n::1 localhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
: > "$R/etc/resolv.conf"   # debootstrap copied the host's; the guest has no DNS (restrict=on)
echo LANG=C.UTF-8 > "$R/etc/default/locale"   # minbase has no locales; pam_env reads this at login
# the initrd mounts / read-write (errors=remount-ro still applies); no fsck pass: the kernel
# replays the journal after a power cut, like on a real host booting ext4
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 0\n' > "$R/etc/fstab"
# users as in the initramfs guest: same uids, '*' = no password (key only), pwtester's is real
in_chroot "$R" useradd -m -u 1000 -U -G sudo -s /bin/bash tester
in_chroot "$R" useradd -m -u 1001 -U -G sudo -s /bin/bash pwtester
in_chroot "$R" usermod -p '*' root
in_chroot "$R" usermod -p '*' tester
echo "pwtester:$(openssl passwd -6 "$KW_VM_PWTESTER_PASSWORD")" | in_chroot "$R" chpasswd -e
# Debian's sudoers gives %sudo 'ALL' (with password) and includes sudoers.d last: tester's line wins
printf 'Defaults lecture=never\ntester ALL=(ALL:ALL) NOPASSWD: ALL\n' > "$R/etc/sudoers.d/kwitness"
chmod 440 "$R/etc/sudoers.d/kwitness"
in_chroot "$R" visudo -cq || kw_vm_die "build-disk: sudoers does not parse"
for u in root:/root tester:/home/tester pwtester:/home/pwtester; do
  name=${u%%:*}; home=${u#*:}
  mkdir -p "$R$home/.ssh"; cp "$KW_VM_KEYS/id_ed25519.pub" "$R$home/.ssh/authorized_keys"
  chmod 700 "$R$home/.ssh"; chmod 600 "$R$home/.ssh/authorized_keys"
  in_chroot "$R" chown -R "$name:$name" "$home/.ssh"
done
# sshd: the harness's one host key (known_hosts pins it for [127.0.0.1]:*); Debian's config
# includes sshd_config.d first, and the first value of an option wins
rm -f "$R"/etc/ssh/ssh_host_*
cp "$KW_VM_KEYS"/ssh_host_ed25519_key{,.pub} "$R/etc/ssh/"; chmod 600 "$R/etc/ssh/ssh_host_ed25519_key"
cat > "$R/etc/ssh/sshd_config.d/kwitness.conf" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication yes
UseDNS no
MaxStartups 50:30:100
MaxSessions 50
EOF
# network: the fixed address of qemu's user-mode network, no DHCP to wait for; udev names the NIC
mkdir -p "$R/etc/systemd/network"
cat > "$R/etc/systemd/network/10-qemu.network" <<'EOF'
[Match]
Type=ether
[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
in_chroot "$R" systemctl enable -q systemd-networkd.service
# sshd listens on the wildcard address, so it need not wait for network.target (systemd-networkd
# up: 13-17 s under TCG). A drop-in cannot remove an After=, so the unit is replaced by a copy
# without it; Debian 12's ssh.socket (Accept=no) starts this same unit, so it would not help.
sed 's/^After=network.target auditd.service$/After=auditd.service/' "$R/lib/systemd/system/ssh.service" \
  > "$R/etc/systemd/system/ssh.service"
grep -qx 'After=auditd.service' "$R/etc/systemd/system/ssh.service" \
  || kw_vm_die "build-disk: ssh.service no longer has 'After=network.target auditd.service'; update the override"
in_chroot "$R" systemctl enable -q ssh.service
# units that only cost boot time here: no VGA console, no device-mapper/drm/fuse/loop/pstore, no
# network for timers and time sync to use
in_chroot "$R" systemctl mask -q getty@tty1.service modprobe@dm_mod.service modprobe@drm.service \
  modprobe@fuse.service modprobe@loop.service modprobe@efi_pstore.service dev-hugepages.mount \
  systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer man-db.timer systemd-timesyncd.service
echo 'PRETTY_NAME="Kernel Witness disk guest (Debian 12, systemd)"' > "$R/etc/kwitness-guest"
step "configuration"

# 3. the ext4 image straight from the folder. Inode tables and journal are zeroed now: otherwise
#    ext4lazyinit zeroes them in every new overlay during boot (it once soft-locked a TCG guest)
rm -f "$D/base.img.new"
mkfs.ext4 -q -F -L kwvm-root -E lazy_itable_init=0,lazy_journal_init=0 -d "$R" "$D/base.img.new" "$SIZE" >/dev/null
remove_tree "$TREE"
step "mkfs.ext4 -d ($SIZE)"

# 4. the initrd: static busybox + the modules / needs (each after its dependencies)
I=$D/initrd.new
remove_tree "$I"; mkdir -p "$I"/{bin,dev,proc,sys,newroot,lib/modules}
cp /usr/bin/busybox "$I/bin/"; ln -s busybox "$I/bin/sh"
: > "$I/modules.list"
for m in virtio_pci virtio_blk ext4; do
  while read -r ko; do
    b=$(basename "$ko"); b=${b%.xz}
    grep -qxF "$b" "$I/modules.list" && continue
    case $ko in *.xz) xz -dc "$ko" ;; *) cat "$ko" ;; esac > "$I/lib/modules/$b"
    echo "$b" >> "$I/modules.list"
  done < <(modprobe -d "$ROOT" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}')
done
grep -qx ext4.ko "$I/modules.list" || kw_vm_die "build-disk: ext4 module not found for $KVER"
cat > "$I/init" <<'EOF'
#!/bin/sh
# kwitness disk guest: load the block modules, mount the root fs, hand over to systemd. On failure
# power off, so vm.sh sees qemu exit at once (with this on the console) instead of a timeout.
export PATH=/bin
fail() { echo "kwitness initrd: $*"; busybox poweroff -f; }
busybox mount -t proc proc /proc; busybox mount -t sysfs sys /sys; busybox mount -t devtmpfs dev /dev
while read -r m; do busybox insmod "/lib/modules/$m" || fail "insmod $m failed"; done < /modules.list
i=0; while [ ! -b /dev/vda ]; do i=$((i+1)); [ $i -le 600 ] || fail "no /dev/vda"; busybox sleep 0.05; done
busybox mount -o rw -t ext4 /dev/vda /newroot || fail "cannot mount /dev/vda"
busybox umount /proc /sys; busybox mount --move /dev /newroot/dev
exec busybox switch_root /newroot /sbin/init
EOF
chmod +x "$I/init"
(cd "$I" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$D/initrd.img.new"
nmods=$(wc -l < "$I/modules.list")
remove_tree "$I"
step "initrd (busybox + $nmods modules)"

# running VMs keep the old base.img open; their overlays are tied to its stamp (vm.sh)
mv "$D/initrd.img.new" "$D/initrd.img"
mv "$D/base.img.new" "$D/base.img"
echo "$stamp" > "$D/stamp"
echo "build-disk: $D/base.img ($KVER, $(du -h "$D/base.img" | cut -f1) used of $SIZE) in $(kw_elapsed "$T0")s"
