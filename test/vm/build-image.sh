#!/usr/bin/env bash
# Builds the guest userland: one uncompressed cpio ($KW_VM/image/base.cpio) that qemu loads as the
# initramfs, followed by the kernel's own mods.cpio (fetch-kernel.sh); the kernel unpacks both into
# one RAM root file system, so the same userland boots every kernel. Contents, all taken from this
# (Debian 12) host: static busybox (init + small tools), GNU coreutils, bash, OpenSSH sshd + sftp-server + scp,
# sudo with PAM (pam_unix), bpftool; keys from $KW_VM/keys. Users:
#   root      key only
#   tester    key, passwordless sudo
#   pwtester  key; sudo asks for the password ($KW_VM_PWTESTER_PASSWORD, default 'pwtester')
# Rebuilt only when missing or when this script or the keys changed (a stamp holds their hash).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
OUT=$KW_VM/image
R=$OUT/root

# 1. keys: one client key for every user of every guest, one host key shared by all guests
kw_vm_keys

stamp=$(cat "$0" "$KW_VM_KEYS/id_ed25519.pub" "$KW_VM_KEYS/ssh_host_ed25519_key.pub" | sha256sum | cut -c1-16)
if [ -s "$OUT/base.cpio" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "build-image: $OUT/base.cpio is up to date"; exit 0
fi
t=$(kw_now)
for f in /usr/bin/busybox /usr/sbin/sshd /usr/lib/openssh/sftp-server /usr/bin/sudo /usr/sbin/bpftool \
         /usr/lib/x86_64-linux-gnu/security/pam_unix.so; do
  [ -e "$f" ] || kw_vm_die "build-image: $f missing on the host (scripts/setup.sh installs it)"
done

# 2. skeleton, merged /usr like Debian 12
rm -rf "$R"; mkdir -p "$R"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,libexec,local/bin} \
  "$R"/{etc,proc,sys,dev,run,tmp,root,home,var/log,var/empty,var/lib/sudo,var/tmp,boot,mnt}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$R/$d"; done
chmod 1777 "$R/tmp" "$R/var/tmp"

put() { mkdir -p "$(dirname "$R$2")"; cp -L --preserve=mode "$1" "$R$2"; }
# copies every shared library the binary needs (ldd; sudo's plugins live in /usr/libexec/sudo).
# mawk has no \s: parse fields, and take the loader line ('/lib64/ld-linux...' in $1) too.
put_libs() {
  LD_LIBRARY_PATH=/usr/libexec/sudo ldd "$1" 2>/dev/null \
    | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
      dest=${lib/#\/lib\//\/usr\/lib\/}; dest=${dest/#\/lib64\//\/usr\/lib64\/}
      [ -e "$R$dest" ] || put "$lib" "$dest"
    done
}
put_bin() { put "$1" "${2:-$1}"; put_libs "$1"; }

# 3. busybox for the small tools (and init); bash as the login shell, like a real host
put /usr/bin/busybox /usr/bin/busybox
for a in $(/usr/bin/busybox --list); do
  case $a in busybox|bash|sudo|ssh|scp|init) continue ;; esac
  [ -e "$R/usr/bin/$a" ] || ln -s busybox "$R/usr/bin/$a"
done
ln -s ../bin/busybox "$R/usr/sbin/init"
# GNU coreutils over busybox's applets, as on a real Debian host: coreutils rm calls unlinkat
# (busybox rm calls unlink), and the event cases expect e.g. exe /usr/bin/rm, comm rm
for f in $(dpkg -L coreutils | grep -E '^/(usr/)?s?bin/'); do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  dest=/usr/${f#/usr/}; dest=${dest/#\/usr\/bin\//\/usr\/bin\/}
  rm -f "$R$dest"; put_bin "$f" "$dest"
done
ln -s /usr/bin/busybox "$R/init"
put_bin /usr/bin/bash
put_bin /usr/sbin/sshd
put_bin /usr/lib/openssh/sftp-server
put_bin /usr/bin/scp                    # for legacy 'scp -O'
put_bin /usr/sbin/bpftool               # to look at our programs from inside the guest
put_bin /usr/bin/sudo; chmod 4755 "$R/usr/bin/sudo"
for f in /usr/libexec/sudo/*.so* /usr/libexec/sudo/sesh; do put_bin "$f"; done
for m in pam_unix pam_permit pam_deny pam_env pam_limits; do put_bin "/usr/lib/x86_64-linux-gnu/security/$m.so"; done
put_bin /usr/sbin/unix_chkpwd; chgrp 42 "$R/usr/sbin/unix_chkpwd"; chmod 2755 "$R/usr/sbin/unix_chkpwd"
ldconfig -r "$R" 2>/dev/null || true
[ -e "$R/usr/lib64/ld-linux-x86-64.so.2" ] || kw_vm_die "build-image: dynamic loader missing from the image"
# every binary must resolve all its libraries inside the image (a missing ELF interpreter shows
# up in the guest only as 'No such file or directory')
for f in /usr/sbin/sshd /usr/bin/sudo /usr/bin/bash /usr/lib/openssh/sftp-server /usr/sbin/bpftool; do
  if chroot "$R" /usr/lib64/ld-linux-x86-64.so.2 --list "$f" 2>&1 | grep -q 'not found'; then
    kw_vm_die "build-image: unresolved libraries in $f"
  fi
done

# 4. /etc
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
sshd:x:100:65534::/run/sshd:/usr/sbin/nologin
tester:x:1000:1000:tester:/home/tester:/bin/bash
pwtester:x:1001:1001:pwtester:/home/pwtester:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
# '*' (not '!'): sshd without PAM refuses key logins to accounts whose hash starts with '!'
pwhash=$(openssl passwd -6 "$KW_VM_PWTESTER_PASSWORD")
cat > "$R/etc/shadow" <<EOF
root:*:19700:0:99999:7:::
sshd:*:19700:0:99999:7:::
tester:*:19700:0:99999:7:::
pwtester:$pwhash:19700:0:99999:7:::
nobody:*:19700:0:99999:7:::
EOF
chmod 640 "$R/etc/shadow"; chgrp 42 "$R/etc/shadow"
cat > "$R/etc/group" <<'EOF'
root:x:0:
tty:x:5:
sudo:x:27:tester,pwtester
shadow:x:42:
tester:x:1000:
pwtester:x:1001:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' > "$R/etc/nsswitch.conf"
# sudo resolves the host name on every call: name it here or each sudo prints an error
printf '127.0.0.1 localhost\n127.0.1.1 kwvm\n::1 localhost\n' > "$R/etc/hosts"
echo kwvm > "$R/etc/hostname"
printf '/bin/sh\n/bin/bash\n/usr/bin/bash\n' > "$R/etc/shells"
printf 'PRETTY_NAME="Kernel Witness test guest (Debian 12 userland)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' > "$R/etc/os-release"
echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' > "$R/etc/profile"
cat > "$R/etc/sudoers" <<'EOF'
Defaults env_reset
Defaults lecture=never
Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root     ALL=(ALL:ALL) ALL
tester   ALL=(ALL:ALL) NOPASSWD: ALL
pwtester ALL=(ALL:ALL) ALL
EOF
chmod 440 "$R/etc/sudoers"
mkdir -p "$R/etc/pam.d"
printf 'auth required pam_unix.so\naccount required pam_unix.so\nsession required pam_permit.so\n' > "$R/etc/pam.d/sudo"
cp "$R/etc/pam.d/sudo" "$R/etc/pam.d/sudo-i"
printf 'auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_deny.so\npassword required pam_deny.so\n' > "$R/etc/pam.d/other"
mkdir -p "$R/etc/ssh"
cp "$KW_VM_KEYS"/ssh_host_ed25519_key{,.pub} "$R/etc/ssh/"; chmod 600 "$R/etc/ssh/ssh_host_ed25519_key"
cat > "$R/etc/ssh/sshd_config" <<'EOF'
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
MaxStartups 50:30:100
MaxSessions 50
EOF
for u in root:0:/root tester:1000:/home/tester pwtester:1001:/home/pwtester; do
  IFS=: read -r name uid home <<<"$u"
  mkdir -p "$R$home/.ssh"; cp "$KW_VM_KEYS/id_ed25519.pub" "$R$home/.ssh/authorized_keys"
  chmod 700 "$R$home/.ssh"; chmod 600 "$R$home/.ssh/authorized_keys"
  chown -R "$uid:$uid" "$R$home"; chmod 750 "$R$home"
done
chmod 700 "$R/root"

# 5. init: busybox init runs /etc/rc.boot once, then keeps sshd alive (and reaps orphans)
cat > "$R/etc/inittab" <<'EOF'
::sysinit:/etc/rc.boot
::respawn:/usr/sbin/sshd -D -e
::ctrlaltdel:/bin/reboot
::shutdown:/bin/umount -a -r
EOF
cat > "$R/etc/rc.boot" <<'EOF'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
KVER=$(uname -r)
cp /etc/kw-kernel-config "/boot/config-$KVER" 2>/dev/null   # where tools look, like on a real host
while read -r ko; do insmod "/lib/modules/$KVER/$ko" || echo "KW: insmod $ko failed" > /dev/console; done < /etc/kw-modules
hostname -F /etc/hostname
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
mkdir -p /run/sshd /run/sudo; chmod 755 /run/sshd
echo "KW: rc.boot done at $(cut -d' ' -f1 /proc/uptime)s uptime, kernel $KVER, lsm $(cat /sys/kernel/security/lsm)" > /dev/console
EOF
chmod +x "$R/etc/rc.boot"

# 6. pack, uncompressed (under TCG the kernel unpacks a plain cpio faster than a gzip'ed one)
(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$OUT/base.cpio.tmp"
mv "$OUT/base.cpio.tmp" "$OUT/base.cpio"; echo "$stamp" > "$OUT/stamp"
echo "build-image: $OUT/base.cpio ($(du -h "$OUT/base.cpio" | cut -f1)) in $(kw_elapsed "$t")s"
