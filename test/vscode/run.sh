#!/usr/bin/env bash
# The vscode suite: Kernel Witness in a REAL VS Code (code-server 4.139 = VS Code 1.139 server
# + web workbench, run by Node 24), driven by playwright-core and Debian's Chromium, tracing this
# machine's kernel and a loopback OpenSSH "remote host". Runs as root (This Machine is traced
# directly). Needs scripts/setup.sh and scripts/build.sh to have run. Parts:
#   package   npm run package's VSIX holds exactly the allowlist (bundle, webview, media, agents)
#   exthost   mocha inside code-server's extension host (test/vscode/exthost/, via the URL payload
#             + enable-smoke-test-driver), the extension loaded from the repo, with a planted
#             workspace .vscode/settings.json that must not count (trusted settings)
#   prodmode  the VSIX installed in a fresh code-server (ExtensionMode.Production): it activates
#             and exports nothing (test/vscode/prodmode/, run by the same driver)
#   journeys  the UI journeys 1-7 (test/vscode/journeys/) in a fresh code-server where the
#             VSIX was installed with --install-extension (= the packaging test)
#   demo      scripts/demo.sh in a pty: URL printed, This Machine traces, Ctrl-C stops it all
# Ends with 'N passed, N failed'. Leaves nothing running (code-server and sshd process groups,
# sshd sessions, agents, chromium). Screenshots: test-results/vscode/; KW_UPDATE_DOCS=1 also
# copies the journey screenshots to docs/. KW_VSCODE_PARTS="exthost journeys" runs a subset.
set -uo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
source "$KW_ROOT/test/vscode/lib/rig.sh"
kw_need_root "$@"
cd "$KW_ROOT"
T0=$(kw_now)
PARTS=${KW_VSCODE_PARTS:-package exthost prodmode journeys demo}
OUT=$KW_ROOT/test-results/vscode
RUN=$KW_CACHE/vsc/$$         # per run (runs may overlap); short: code-server's unix sockets live under it
ALIAS=kw-loopback
pass=0; fail=0
rm -rf "$OUT"; mkdir -p "$OUT" "$RUN"

count() {  # count LOGFILE RC: add the part's 'N passed, N failed' (a crash counts as a failure)
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  p=${p:-0}; f=${f:-0}
  if [ "$2" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  if [ -z "$line" ]; then f=$((f > 0 ? f : 1)); fi
  pass=$((pass + p)); fail=$((fail + f))
}
check() {  # check NAME CMD...: one pass/fail for a shell-level assertion
  if "${@:2}"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}

VM_NAME=kw-vscode-$$; VM_BOOT=""
cleanup() {
  rig_cs_stop "$RUN/cs-exthost"; rig_cs_stop "$RUN/cs-prod"; rig_cs_stop "$RUN/cs-ui"; rig_sshd_stop "$RUN/sshd"
  if [ -n "$VM_BOOT" ]; then kill "$VM_BOOT" 2>/dev/null; bash test/vm/vm.sh stop "$VM_NAME" >/dev/null 2>&1; fi
  rm -rf "$RUN" "${KW_VM:-$KW_CACHE/vm}/run/$VM_NAME"   # both named after this run's pid
}
trap cleanup EXIT
trap 'exit 130' INT TERM

missing=()
[ -f "$CS_ENTRY" ] || missing+=("code-server ($CS_ENTRY)")
[ -x "$CHROMIUM" ] || missing+=("chromium ($CHROMIUM)")
[ -f dist/extension.js ] || missing+=("dist/extension.js")
[ -f out/test/vscode/journeys/journeys.js ] || missing+=("out/test/vscode (tsc)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "vscode: missing ${missing[*]}: run scripts/setup.sh and scripts/build.sh first"; echo "0 passed, 1 failed"; exit 1
fi
# A snapshot of the compiled tests: a concurrent build rewriting out/ cannot pull them from under
# a running part. (Under the repo, so node_modules still resolves.)
JS=$OUT/js; mkdir -p "$JS/test"; cp -r out/test/vscode "$JS/test/"
export KW_VM_SH=$KW_ROOT/test/vm/vm.sh KW_VSCODE_JS=$JS
# journey 9's program with a known call chain (test/agent/trigger; built here too for a lone vscode run)
make -s -C test/agent/trigger >/dev/null || { echo "vscode: building test/agent/trigger failed"; echo "0 passed, 1 failed"; exit 1; }
export KW_STACK_VICTIM=$KW_ROOT/build/kw-stack-victim

# --- a test VM (Debian 12 kernel under qemu) boots meanwhile: journey 1 lists it -----------------
# KW_VSCODE_VM=0 skips it (then journey 1 checks This Machine and the loopback host only).
if [ "${KW_VSCODE_VM:-1}" = 1 ] && [[ " $PARTS " == *" journeys "* ]] && [ -f test/vm/vm.sh ]; then
  VM_PORT=$(rig_pick_port 18340)
  bash test/vm/vm.sh start --kernel 6.1 --name "$VM_NAME" --port "$VM_PORT" >"$OUT/vm-start.log" 2>&1 &
  VM_BOOT=$!
fi

# --- package: the VSIX and its exact contents --------------------------------------------------
VSIX=""
if [[ " $PARTS " == *" package "* || " $PARTS " == *" journeys "* || " $PARTS " == *" prodmode "* ]]; then
  t=$(kw_now)
  if KW_SKIP_BUILD=1 bash scripts/package.sh >"$OUT/package.log" 2>&1; then
    VSIX=$(tail -1 "$OUT/package.log"); sed -n '$!p' "$OUT/package.log"
    check "package: npm run package built $(basename "$VSIX") ($(kw_elapsed "$t")s)" test -f "$VSIX"
    check "package: the VSIX holds exactly the allowlist" python3 - "$VSIX" <<'PY'
import re, sys, zipfile
names = [n for n in zipfile.ZipFile(sys.argv[1]).namelist() if not n.endswith('/')]
# readme.md: the Extensions view's details page (docs/marketplace.md, scripts/package.sh)
allowed = [r'extension\.vsixmanifest', r'\[Content_Types\]\.xml', r'extension/package\.json', r'extension/readme\.md',
           r'extension/dist/extension\.js', r'extension/dist/webview/(?!.*\.map$).+', r'extension/media/.+',
           r'extension/dist/agent/kwitness-agent-[a-z0-9_]+']
extra = [n for n in names if not any(re.fullmatch(a, n) for a in allowed)]
need = ['extension/package.json', 'extension/dist/extension.js']
lacking = [n for n in need if n not in names]
if not any(n.startswith('extension/dist/agent/kwitness-agent-') for n in names): lacking.append('extension/dist/agent/kwitness-agent-<arch>')
if not any(n.startswith('extension/dist/webview/') for n in names): lacking.append('extension/dist/webview/*')
if not any(n.startswith('extension/media/') for n in names): lacking.append('extension/media/*')
for n in names: print('     ', n)
if extra: print('     not allowed:', extra)
if lacking: print('     missing:', lacking)
sys.exit(1 if extra or lacking else 0)
PY
  else
    cat "$OUT/package.log"; check "package: npm run package" false
  fi
fi

# --- the ssh target: a loopback sshd (root login by key) -----------------------------------------
SSHD_PORT=$(rig_pick_port 18322) || { echo "0 passed, 1 failed"; exit 1; }
if ! rig_sshd_start "$RUN/sshd" "$SSHD_PORT" "$ALIAS"; then echo "vscode: loopback sshd failed"; echo "$pass passed, $((fail + 1)) failed"; exit 1; fi
echo "sshd: $ALIAS = 127.0.0.1:$SSHD_PORT"
TARGET_DIR=$RUN/target; rm -rf "$TARGET_DIR"; mkdir -p "$TARGET_DIR"
# What the extension host (and the tests inside it) see: code-server passes its env on.
export KWITNESS_SSH_CONFIG=$RUN/sshd/ssh_config KWITNESS_KNOWN_HOSTS=$RUN/sshd/known_hosts
export KW_TEST_SSH_ALIAS=$ALIAS KW_TEST_TARGET_DIR=$TARGET_DIR KW_TEST_SSHD_PID=$(cat "$RUN/sshd/sshd.group")

# --- exthost: mocha inside the real extension host -----------------------------------------------
if [[ " $PARTS " == *" exthost "* ]]; then
  t=$(kw_now)
  PORT=$(rig_pick_port 18300)
  export KW_EXTHOST_RESULTS=$RUN/exthost-results.json; rm -f "$KW_EXTHOST_RESULTS"
  # What a cloned repository could plant: hosts, an ssh config and a known_hosts of its own
  # (exthost/trusted-settings.test.ts: none of it may count), plus a harmless setting that shows
  # the file is in force.
  export KW_TEST_PLANTED_DIR=$RUN/planted; mkdir -p "$KW_TEST_PLANTED_DIR"
  printf 'Host kw-planted-cfg\n  HostName 127.0.0.1\n  Port 1\n' >"$KW_TEST_PLANTED_DIR/ssh_config"
  printf '[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlantedPlantedPlantedPlantedPlantedPlanted0\n' >"$KW_TEST_PLANTED_DIR/known_hosts"
  if rig_cs_start "$RUN/cs-exthost" "$PORT" none --vscode-option enable-smoke-test-driver; then
    mkdir -p "$RUN/cs-exthost/ws/.vscode"
    cat >"$RUN/cs-exthost/ws/.vscode/settings.json" <<JSON
{
  "kwitness.hosts": ["kw-planted-host"],
  "kwitness.sshConfigFile": "$KW_TEST_PLANTED_DIR/ssh_config",
  "kwitness.knownHostsFile": "$KW_TEST_PLANTED_DIR/known_hosts",
  "kwitness.sudoPasswordIdleMinutes": 100000,
  "kwitness.panel.backlog": 123457
}
JSON
    mkdir -p "$RUN/cs-exthost/browser"
    TMPDIR=$RUN/cs-exthost/browser KW_CS_URL=http://127.0.0.1:$PORT KW_CS_FOLDER=$RUN/cs-exthost/ws \
      KW_EXT_DEV=$KW_ROOT KW_EXT_TESTS=$JS/test/vscode/exthost/index.js KW_OUT=$OUT \
      timeout 240 node "$JS/test/vscode/driver/exthost.js" 2>&1 | tee "$OUT/exthost.log"
    count "$OUT/exthost.log" "${PIPESTATUS[0]}"
    rig_cs_stop "$RUN/cs-exthost"; cp "$RUN/cs-exthost/cs.log" "$OUT/exthost-code-server.log" 2>/dev/null
  else
    fail=$((fail + 1)); echo "FAIL exthost: code-server did not start"
  fi
  echo "exthost: $(kw_elapsed "$t")s"
fi

# --- prodmode: the installed VSIX outside test mode exports nothing --------------------------------
# The extension under development is an empty stub that only hosts test/vscode/prodmode/index.js;
# Kernel Witness itself is installed, so VS Code runs it in ExtensionMode.Production.
if [[ " $PARTS " == *" prodmode "* ]]; then
  t=$(kw_now)
  PORT=$(rig_pick_port 18330)
  export KW_EXTHOST_RESULTS=$RUN/prodmode-results.json; rm -f "$KW_EXTHOST_RESULTS"
  STUB=$RUN/prod-stub; mkdir -p "$STUB"
  printf '{"name":"kw-prodmode-stub","publisher":"kwitness-test","version":"0.0.0","engines":{"vscode":"^1.100.0"}}\n' >"$STUB/package.json"
  if [ -z "$VSIX" ]; then
    fail=$((fail + 1)); echo "FAIL prodmode: no VSIX to install"
  elif rig_cs_start "$RUN/cs-prod" "$PORT" "$VSIX" --vscode-option enable-smoke-test-driver; then
    mkdir -p "$RUN/cs-prod/browser"
    TMPDIR=$RUN/cs-prod/browser KW_CS_URL=http://127.0.0.1:$PORT KW_CS_FOLDER=$RUN/cs-prod/ws \
      KW_EXT_DEV=$STUB KW_EXT_TESTS=$JS/test/vscode/prodmode/index.js KW_OUT=$OUT \
      timeout 240 node "$JS/test/vscode/driver/exthost.js" 2>&1 | tee "$OUT/prodmode.log"
    count "$OUT/prodmode.log" "${PIPESTATUS[0]}"
    rig_cs_stop "$RUN/cs-prod"; cp "$RUN/cs-prod/cs.log" "$OUT/prodmode-code-server.log" 2>/dev/null
  else
    fail=$((fail + 1)); echo "FAIL prodmode: code-server with the VSIX did not start"
  fi
  echo "prodmode: $(kw_elapsed "$t")s"
fi

# --- journeys: the UI, from the installed VSIX ---------------------------------------------------
if [[ " $PARTS " == *" journeys "* ]]; then
  t=$(kw_now)
  if [ -n "$VM_BOOT" ]; then
    if wait "$VM_BOOT" && grep -q '^READY' "$OUT/vm-start.log"; then
      grep '^READY' "$OUT/vm-start.log"
      # The VM as a user would have it in ~/.ssh/config: the harness's key, its pinned host key.
      cat >>"$KWITNESS_SSH_CONFIG" <<CFG
Host kw-vm
  HostName 127.0.0.1
  Port $VM_PORT
  User root
  IdentityFile ${KW_VM:-$KW_CACHE/vm}/keys/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $KWITNESS_KNOWN_HOSTS
  StrictHostKeyChecking yes
CFG
      echo "[127.0.0.1]:$VM_PORT $(awk '{print $2, $3}' "${KW_VM:-$KW_CACHE/vm}/keys/known_hosts" | head -1)" >>"$KWITNESS_KNOWN_HOSTS"
      export KW_TEST_VM_ALIAS=kw-vm KW_TEST_VM_NAME=$VM_NAME
      KW_TEST_VM_KVER=$(sed -nE 's/^READY .*kver=([^ ]+).*/\1/p' "$OUT/vm-start.log"); export KW_TEST_VM_KVER
    else
      fail=$((fail + 1)); echo "FAIL test VM did not boot:"; tail -5 "$OUT/vm-start.log"
    fi
  fi
  PORT=$(rig_pick_port 18310)
  if [ -z "$VSIX" ]; then
    fail=$((fail + 1)); echo "FAIL journeys: no VSIX to install"
  elif rig_cs_start "$RUN/cs-ui" "$PORT" "$VSIX"; then
    check "package: --install-extension put kwitness.kwitness into a fresh code-server" \
      compgen -G "$RUN/cs-ui/ext/kwitness.kwitness-*/dist/extension.js"
    docs=""; [ "${KW_UPDATE_DOCS:-0}" = 1 ] && { mkdir -p docs; docs=$KW_ROOT/docs; }
    mkdir -p "$RUN/cs-ui/browser"
    TMPDIR=$RUN/cs-ui/browser KW_CS_URL=http://127.0.0.1:$PORT KW_CS_FOLDER=$RUN/cs-ui/ws KW_OUT=$OUT KW_DOCS=$docs \
      KW_CS_PID=$(cat "$RUN/cs-ui/cs.pid") timeout 300 node "$JS/test/vscode/journeys/journeys.js" 2>&1 | tee "$OUT/journeys.log"
    count "$OUT/journeys.log" "${PIPESTATUS[0]}"
    rig_cs_stop "$RUN/cs-ui"; cp "$RUN/cs-ui/cs.log" "$OUT/journeys-code-server.log" 2>/dev/null
  else
    fail=$((fail + 1)); echo "FAIL journeys: code-server with the VSIX did not start"
  fi
  echo "journeys: $(kw_elapsed "$t")s"
fi

# --- demo: the README's main-job command, as a user runs it --------------------------------------
if [[ " $PARTS " == *" demo "* ]]; then
  t=$(kw_now)
  KW_DEMO_PORT=$(rig_pick_port 18350) KW_DEMO_RUN=$RUN/demo TMPDIR=$RUN/demo-browser \
    bash -c 'mkdir -p "$TMPDIR" && exec timeout 900 python3 test/vscode/lib/demo-check.py "$0" "$1"' "$KW_ROOT" "$OUT" 2>&1 | tee "$OUT/demo-check.log"
  count "$OUT/demo-check.log" "${PIPESTATUS[0]}"
  echo "demo: $(kw_elapsed "$t")s"
fi

# --- nothing left behind ---------------------------------------------------------------------------
SSHD_GROUP=$KW_TEST_SSHD_PID
rig_sshd_stop "$RUN/sshd"
if [ -n "$VM_BOOT" ]; then bash test/vm/vm.sh stop "$VM_NAME" >/dev/null 2>&1; VM_BOOT=""; fi
left_behind() {
  local bad=0 pid
  for pid in $(pgrep -f "$RUN/" 2>/dev/null); do
    [ "$pid" = $$ ] && continue
    echo "     still running: $(ps -o pid=,args= -p "$pid" | cut -c1-150)"; bad=1
  done
  [ -z "$(rig_descendants "$SSHD_GROUP")" ] || { echo "     sshd sessions left"; bad=1; }
  # Whatever the extension hosts spawned locally (agents of This Machine) inherited their env.
  for pid in $(grep -lsa "KW_TEST_TARGET_DIR=$TARGET_DIR" /proc/[0-9]*/environ | cut -d/ -f3); do
    [ -d "/proc/$pid" ] || continue   # grep and cut themselves (they carry the env too)
    echo "     still running (spawned by our code-server): $(ps -o pid=,args= -p "$pid" | cut -c1-150)"; bad=1
  done
  # A trace a window left running (--linger) outlives its sshd session and its extension host.
  for pid in $(pgrep -f "kwitness-agen[t] trace .*--linger" 2>/dev/null); do
    echo "     trace left running: $(ps -o pid=,args= -p "$pid" | cut -c1-150)"; bad=1
  done
  ! bash test/vm/vm.sh list 2>/dev/null | grep -q "^$VM_NAME " || { echo "     test VM $VM_NAME still running"; bad=1; }
  return $bad
}
check "cleanup: no code-server, sshd or agent of this run is left" left_behind
echo "vscode: whole suite $(kw_elapsed "$T0")s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
