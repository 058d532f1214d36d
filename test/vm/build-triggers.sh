#!/usr/bin/env bash
# Builds the VM-only trigger programs (static, so they run in the busybox guests) into build/vm/:
#   kw-iouring   unlink/rmdir/mkdir/rename through io_uring (no such syscall), liburing linked statically
# Rebuilt only when the source is newer than the binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out=$KW_ROOT/build/vm; mkdir -p "$out"
src=$KW_VM_TOOLS/trigger/kw-iouring.c
if [ ! -x "$out/kw-iouring" ] || [ "$src" -nt "$out/kw-iouring" ]; then
  [ -f /usr/lib/x86_64-linux-gnu/liburing.a ] || kw_vm_die "build-triggers: liburing.a missing (apt-get install liburing-dev; scripts/setup.sh does)"
  cc -static -O2 -Wall -Wextra -Werror -o "$out/kw-iouring" "$src" -luring
  echo "build-triggers: $out/kw-iouring"
fi
