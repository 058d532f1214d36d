#!/usr/bin/env bash
# ssh suite: the core (hosts, SSH, deployment, trace sessions, CLI) against real OpenSSH sshd
# instances on 127.0.0.1 started by the tests, throwaway local users for the sudo cases, and the
# real agent on this machine's kernel. Needs root (useradd, sudoers.d, BPF).
set -uo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
kw_need_root "$@"
cd "$KW_ROOT"
# The tests write their own ssh configs: this machine's /etc/ssh/ssh_config (e.g. Debian's
# HashKnownHosts yes) must not change what they expect. ssh-options.test.ts injects its own.
export KWITNESS_SYSTEM_SSH_CONFIG=none
shopt -s nullglob
files=(out/test/ssh/*.test.js)
[ ${#files[@]} -gt 0 ] || { echo "ssh: no compiled tests under out/test/ssh (run scripts/build.sh)"; echo "0 passed, 1 failed"; exit 1; }
[ -f dist/cli.js ] || { echo "ssh: dist/cli.js missing (run scripts/build.sh)"; echo "0 passed, 1 failed"; exit 1; }
# One file at a time: both start sshd instances and the users are shared machine state.
exec bash scripts/run-node-tests.sh --test-concurrency=1 "${files[@]}"
