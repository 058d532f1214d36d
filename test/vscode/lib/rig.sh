# The real-VS-Code rig: functions to start and stop a throw-away code-server (VS Code server +
# web workbench) and a throw-away OpenSSH sshd on 127.0.0.1. Sourced by test/vscode/run.sh and
# scripts/demo.sh after scripts/lib/env.sh (which provides CS_ENTRY, NODE24_HOME, kw_now ...).
#
# Everything a run writes stays under its RUN_DIR: code-server's user data, extensions, XDG
# dirs and TMPDIR (its unix sockets: keep RUN_DIR short, < ~80 bytes), sshd's keys and config.
# Each daemon leads its own process group (setsid), so stopping ends exactly what it spawned.

# rig_port_free PORT -> 0 when nothing listens on 127.0.0.1:PORT
rig_port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

# rig_pick_port BASE -> prints the first free port in BASE..BASE+49
rig_pick_port() {
  local p
  for p in $(seq "$1" $(($1 + 49))); do rig_port_free "$p" && { echo "$p"; return 0; }; done
  echo "rig: no free port in $1..$(($1 + 49))" >&2; return 1
}

# rig_group_pids PGID -> live (non-zombie) members of that process group
rig_group_pids() { ps -e -o pid=,pgid=,stat= | awk -v g="$1" '$2==g && $3 !~ /^Z/ {print $1}'; }

# rig_stop_group PGID NAME: SIGTERM the leader, then the group, then SIGKILL after 10 s.
rig_stop_group() {
  local pg=$1 name=$2 i
  [ -n "$pg" ] || return 0
  kill -TERM "$pg" 2>/dev/null
  for i in $(seq 1 20); do [ -z "$(rig_group_pids "$pg")" ] && return 0; sleep 0.1; done
  kill -TERM -- "-$pg" 2>/dev/null   # orphaned children (code-server's file watcher lingers ~5 s)
  for i in $(seq 1 80); do [ -z "$(rig_group_pids "$pg")" ] && return 0; sleep 0.1; done
  echo "rig: $name (group $pg) still running after 10 s, SIGKILL" >&2
  kill -KILL -- "-$pg" 2>/dev/null
  return 0
}

# rig_cs_start RUN_DIR PORT VSIX|none [extra code-server args...]
#   Fresh code-server on 127.0.0.1:PORT; VSIX is installed first with --install-extension
#   ("none": install nothing, e.g. extension-host tests load the repo via the URL payload).
#   Writes RUN_DIR/cs.pid (group leader) and RUN_DIR/cs.log; RUN_DIR/ws is the opened folder.
#   The caller's environment reaches the extension host (KWITNESS_SSH_CONFIG ...).
#   RIG_CS_FOLDER (env) opens that folder instead of the empty RUN_DIR/ws.
#   RIG_CS_KEEP_TMPDIR=1 (env) leaves TMPDIR as it is (the demo: a user's terminal must see /tmp).
#   RIG_CS_GRACE=S (env) reconnection grace time (default 5: tests end fast; the demo keeps
#   code-server's own default, so a closed browser tab does not end the extension host).
rig_cs_start() {
  local run=$1 port=$2 vsix=$3; shift 3
  [ -f "$CS_ENTRY" ] && [ -x "$NODE24_HOME/bin/node" ] || { echo "rig: code-server or Node 24 missing: run scripts/setup.sh" >&2; return 2; }
  rig_port_free "$port" || { echo "rig: port $port is already in use" >&2; return 1; }
  rm -rf "$run"; mkdir -p "$run"/{ud/User,ext,ws,xdg/config,xdg/data,xdg/cache,tmp}
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$run/config.yaml"
  # A calm, deterministic screen: no welcome page, no chat side bar, no animations, no
  # auto-save (the web workbench defaults to afterDelay), no trust prompt, no update checks.
  cat >"$run/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.reduceMotion": "on",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.enableExperiments": false,
  "chat.disableAIFeatures": true,
  "files.autoSave": "off",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "security.workspace.trust.enabled": false,
  "git.enabled": false,
  "window.commandCenter": false,
  "remote.autoForwardPorts": false
}
JSON
  printf 'Kernel Witness test workspace\n' >"$run/ws/README.md"
  local common=(--config "$run/config.yaml" --user-data-dir "$run/ud" --extensions-dir "$run/ext")
  # code-server writes ~/.config/code-server, ~/.local/share/code-server, ~/.cache/... and
  # /tmp/vscode-ipc-*.sock unless these point into the run dir; EXTENSIONS_GALLERY='{}' stops
  # the workbench from asking open-vsx.org (not reachable here) for anything.
  (
    export XDG_CONFIG_HOME=$run/xdg/config XDG_DATA_HOME=$run/xdg/data XDG_CACHE_HOME=$run/xdg/cache
    [ "${RIG_CS_KEEP_TMPDIR:-0}" = 1 ] || export TMPDIR=$run/tmp
    local grace=(--reconnection-grace-time "${RIG_CS_GRACE:-5}")
    [ "${RIG_CS_GRACE:-5}" = default ] && grace=()
    export EXTENSIONS_GALLERY='{}' PATH=$NODE24_HOME/bin:$PATH
    if [ "$vsix" != none ]; then
      node "$CS_ENTRY" "${common[@]}" --install-extension "$vsix" >"$run/install.log" 2>&1 \
        || { echo "rig: --install-extension $vsix failed:" >&2; cat "$run/install.log" >&2; exit 1; }
    fi
    setsid node "$CS_ENTRY" "${common[@]}" --auth none --bind-addr "127.0.0.1:$port" \
      --disable-telemetry --disable-update-check --disable-workspace-trust \
      --disable-getting-started-override "${grace[@]}" "$@" \
      "${RIG_CS_FOLDER:-$run/ws}" >"$run/cs.log" 2>&1 </dev/null &
    echo $! >"$run/cs.pid"
  ) || return 1
  local i
  for i in $(seq 1 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    kill -0 "$(cat "$run/cs.pid")" 2>/dev/null || { echo "rig: code-server exited:" >&2; tail -20 "$run/cs.log" >&2; return 1; }
    sleep 0.1
  done
  echo "rig: code-server did not answer /healthz within 30 s" >&2; tail -20 "$run/cs.log" >&2
  rig_cs_stop "$run"; return 1
}

rig_cs_stop() {
  local run=$1
  [ -s "$run/cs.pid" ] || return 0
  rig_stop_group "$(cat "$run/cs.pid")" code-server
  rm -f "$run/cs.pid"
}

# rig_sshd_start RUN_DIR PORT ALIAS
#   OpenSSH on 127.0.0.1:PORT, key-only, root allowed (the tests run as root and trace through
#   it), internal-sftp. Writes what a user's ~/.ssh would hold, for the extension:
#     RUN_DIR/ssh_config   (Host ALIAS -> 127.0.0.1:PORT, User, IdentityFile)  = KWITNESS_SSH_CONFIG
#     RUN_DIR/known_hosts  ([127.0.0.1]:PORT host key)                         = KWITNESS_KNOWN_HOSTS
#   and RUN_DIR/client_key for ssh(1) from the tests: ssh -F RUN_DIR/ssh_config ALIAS cmd
rig_sshd_start() {
  local run=$1 port=$2 alias=$3
  rig_port_free "$port" || { echo "rig: port $port is already in use" >&2; return 1; }
  rm -rf "$run"; mkdir -p "$run"; chmod 700 "$run"
  ssh-keygen -q -t ed25519 -N '' -C kw-test-host -f "$run/host_key" || return 1
  ssh-keygen -q -t ed25519 -N '' -C kw-test-client -f "$run/client_key" || return 1
  cp "$run/client_key.pub" "$run/authorized_keys"
  cat >"$run/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $run/host_key
PidFile $run/sshd.pid
AuthorizedKeysFile $run/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxSessions 50
MaxStartups 50
Subsystem sftp internal-sftp
CFG
  cat >"$run/ssh_config" <<CFG
Host $alias
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  IdentityFile $run/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $run/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
CFG
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$run/host_key.pub")" >"$run/known_hosts"
  mkdir -p /run/sshd   # privilege separation dir; sshd refuses to start without it
  # -D keeps it in the foreground so that setsid makes it the leader of its own group.
  setsid /usr/sbin/sshd -D -f "$run/sshd_config" -E "$run/sshd.log" </dev/null >/dev/null 2>&1 &
  echo $! >"$run/sshd.group"
  local i
  for i in $(seq 1 50); do
    ssh -F "$run/ssh_config" "$alias" true 2>/dev/null && return 0
    kill -0 "$(cat "$run/sshd.group")" 2>/dev/null || break
    sleep 0.1
  done
  echo "rig: sshd on 127.0.0.1:$port did not accept a login:" >&2; tail -20 "$run/sshd.log" >&2
  rig_sshd_stop "$run"; return 1
}

# rig_descendants PID -> every live descendant of PID (children first-level first)
rig_descendants() {
  local all; all=$(ps -e -o pid=,ppid=)
  awk -v root="$1" '{ kids[$2] = kids[$2] " " $1 }
    END { n = split(kids[root], q, " "); i = 1
          while (i <= n) { p = q[i++]; print p; m = split(kids[p], c, " "); for (j = 1; j <= m; j++) q[++n] = c[j] } }' <<<"$all"
}

rig_sshd_stop() {
  local run=$1 leader kids
  [ -s "$run/sshd.group" ] || return 0
  leader=$(cat "$run/sshd.group")
  # Each connection's sshd calls setsid(), so sessions (and whatever they run, e.g. an agent
  # that outlived its client) are not in the listener's group: end them by ancestry.
  kids=$(rig_descendants "$leader")
  rig_stop_group "$leader" sshd
  if [ -n "$kids" ]; then
    kill -TERM $kids 2>/dev/null
    local i; for i in $(seq 1 30); do kill -0 $kids 2>/dev/null || break; sleep 0.1; done
    kill -KILL $kids 2>/dev/null
  fi
  rm -f "$run/sshd.group" "$run/sshd.pid"
}
