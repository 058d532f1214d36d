#!/usr/bin/env bash
# Downloads one Debian stock kernel (never installed on the host) and prepares what a guest
# boots with, in $KW_VM/kernels/<K>/:
#   KVER        the kernel release, e.g. 6.1.0-50-amd64
#   vmlinux     the uncompressed ELF kernel taken out of vmlinuz: qemu boots it through the PVH
#               entry point, which skips SeaBIOS, real-mode setup and decompression (~8 s under TCG)
#   vmlinuz     the bzImage, for kernels built without CONFIG_PVH
#   config      /boot/config-KVER
#   mods.cpio   the modules the guest needs (virtio PCI/net/rng: modules in Debian's kernel; loop,
#               whose functions the func:NAME cases probe as a module's), in
#               dependency order, uncompressed (busybox insmod cannot read .ko.xz), plus
#               /etc/kw-modules (load order); appended to the userland cpio at boot
# Usage: fetch-kernel.sh LABEL (a label of test/vm/kernels.tsv; does nothing when the files are there)
# Debian ships a kernel as one linux-image-KVER package (up to 6.x: /boot/vmlinuz-KVER,
# /boot/config-KVER, /lib/modules/KVER) or, from 7.x, split into linux-binary-KVER (the image),
# linux-modules-KVER and linux-base-KVER (config, System.map), all under /usr/lib/modules/KVER/:
# both layouts are handled.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
K=${1:-}
SUITES=$(kw_vm_suites "$K") || kw_vm_die "unknown kernel '$K' (known: $KW_VM_KERNELS)"
D=$KW_VM/kernels/$K
# the modules every guest loads at boot; a cache made with another list is made again
MODS="virtio_pci virtio_net virtio_rng loop"
if [ -s "$D/KVER" ] && [ -s "$D/vmlinux" ] && [ -s "$D/mods.cpio" ] && [ "$(cat "$D/MODS" 2>/dev/null)" = "$MODS" ]; then
  echo "fetch-kernel: $K = $(cat "$D/KVER") (cached in $D)"; exit 0
fi
t=$(kw_now)
kw_vm_apt_update
# the newest linux-image-amd64 of the label's major.minor among its suites (madison: newest first)
# shellcheck disable=SC2046
carried=$(apt-cache $(kw_vm_apt_opts) madison linux-image-amd64 | awk -F' *[|] *' -v s=" $SUITES " '
  { split($3, a, " "); split(a[2], b, "/"); if (index(s, " " b[1] " ")) print $2 }')
meta_ver=$(awk -v k="$K" 'index($0, k ".") == 1 { print; exit }' <<<"$carried")
[ -n "$meta_ver" ] || kw_vm_die "no linux-image-amd64 $K.* in suites $SUITES (they carry: $(echo $carried)); update test/vm/kernels.tsv"
# shellcheck disable=SC2046
kpkg=$(apt-cache $(kw_vm_apt_opts) depends "linux-image-amd64=$meta_ver" | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || kw_vm_die "cannot resolve linux-image-amd64=$meta_ver"
kver=${kpkg#linux-image-}
# the split layout (7.x): the image package only depends on the parts that hold the files
# shellcheck disable=SC2046
parts=$(apt-cache $(kw_vm_apt_opts) depends "$kpkg" | awk -v v="$kver" '$1 == "Depends:" && ($2 == "linux-binary-" v || $2 == "linux-modules-" v || $2 == "linux-base-" v) { print $2 }')
rm -rf "$D"; mkdir -p "$D/tmp/debs" "$D/tmp/root"
# shellcheck disable=SC2086
(cd "$D/tmp/debs" && kw_vm_apt_download ${parts:-$kpkg})
for deb in "$D"/tmp/debs/*.deb; do dpkg-deb -x "$deb" "$D/tmp/root"; done
R=$D/tmp/root
# merged-/usr packages (Debian 13+) ship /usr/lib/modules; depmod -b and modprobe -d look in /lib
if [ ! -d "$R/lib/modules" ] && [ -d "$R/usr/lib/modules" ]; then ln -s usr/lib "$R/lib"; fi
for f in "$R/boot/vmlinuz-$kver" "$R/usr/lib/modules/$kver/vmlinuz" ""; do [ -f "$f" ] && break; done
[ -n "$f" ] || kw_vm_die "$kpkg ($parts) holds no vmlinuz"
cp "$f" "$D/vmlinuz"
for f in "$R/boot/config-$kver" "$R/usr/lib/modules/$kver/config" ""; do [ -f "$f" ] && break; done
[ -n "$f" ] || kw_vm_die "$kpkg ($parts) holds no kernel config"
cp "$f" "$D/config"
depmod -b "$R" "$kver"

# vmlinux out of the bzImage: the payload is xz (Debian 11/12) or zstd/gzip (newer configs)
python3 - "$D/vmlinuz" "$D/vmlinux" <<'PY'
import gzip, lzma, subprocess, sys
data = open(sys.argv[1], 'rb').read()
def try_xz(off):  return lzma.LZMADecompressor().decompress(data[off:])
def try_gz(off):  return gzip.GzipFile(fileobj=__import__('io').BytesIO(data[off:])).read()
def try_zst(off):
    p = subprocess.run(['zstd', '-dc'], input=data[off:], capture_output=True)
    return p.stdout
for magic, fn in ((b'\xfd7zXZ\x00', try_xz), (b'\x28\xb5\x2f\xfd', try_zst), (b'\x1f\x8b\x08', try_gz)):
    off = data.find(magic)
    while off >= 0:
        try:
            out = fn(off)
        except Exception:
            out = b''
        if out[:4] == b'\x7fELF':
            open(sys.argv[2], 'wb').write(out)
            sys.exit(0)
        off = data.find(magic, off + 1)
sys.exit('fetch-kernel: no ELF payload found in ' + sys.argv[1])
PY

# the modules, each after its dependencies; builtin ones are skipped by --show-depends
S=$D/tmp/mods; mkdir -p "$S/etc" "$S/usr/lib/modules/$kver"
: > "$S/etc/kw-modules"
for m in $MODS; do
  while read -r ko; do
    rel=${ko#"$R"}; rel=${rel#/usr}; rel=${rel#/lib/modules/$kver/}
    out=${rel%.xz}; out=${out%.zst}; out=${out%.gz}
    grep -qxF "$out" "$S/etc/kw-modules" && continue
    mkdir -p "$(dirname "$S/usr/lib/modules/$kver/$out")"
    case $ko in
      *.xz) xz -dc "$ko" ;; *.zst) zstd -qdc "$ko" ;; *.gz) gzip -dc "$ko" ;; *) cat "$ko" ;;
    esac > "$S/usr/lib/modules/$kver/$out"
    echo "$out" >> "$S/etc/kw-modules"
  done < <(modprobe -d "$R" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}')
done
cp "$D/config" "$S/etc/kw-kernel-config"
# only files and the directories below usr/lib/modules: the userland cpio owns /, /etc, /usr ...
(cd "$S" && { echo etc/kw-modules; echo etc/kw-kernel-config; find usr/lib/modules | LC_ALL=C sort; } \
   | cpio -o -H newc --quiet) > "$D/mods.cpio"
echo "$kver" > "$D/KVER"
echo "$MODS" > "$D/MODS"
grep -q '^CONFIG_PVH=y' "$D/config" && echo pvh > "$D/boot-format" || echo bzimage > "$D/boot-format"
mods=$(tr '\n' ' ' < "$S/etc/kw-modules")
rm -rf "$D/tmp"
echo "fetch-kernel: $K = $kver ($kpkg $meta_ver; modules: ${mods:-none}) in $(kw_elapsed "$t")s"
