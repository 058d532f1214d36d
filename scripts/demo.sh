#!/usr/bin/env bash
# THE main-job command (npm run demo): on a fresh Debian/Ubuntu machine, sets up and builds
# everything, then opens a real VS Code (code-server on 127.0.0.1) with Kernel Witness installed
# from its VSIX and This Machine ready to trace. Prints the URL and stays in the foreground;
# Ctrl-C stops code-server (and every agent it started).
#   KW_DEMO_PORT=8080   first port to try (the next free one up to +49 is used)
#   KW_DEMO_FOLDER=DIR  folder to open (default: a scratch workspace, $KW_CACHE/demo-workspace,
#                       with a short README of what to try; never the repository itself)
#   KW_DEMO_RUN=DIR     code-server's state and logs (default $KW_CACHE/demo)
# Runs as root (re-runs itself through sudo): tracing This Machine loads BPF programs.
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
kw_need_root "$@"
cd "$KW_ROOT"
T0=$(kw_now)
bash scripts/setup.sh --demo
source scripts/lib/env.sh   # Node 24 now exists: put it on PATH
bash scripts/build.sh
VSIX=$(KW_SKIP_BUILD=1 bash scripts/package.sh | tail -1)
source test/vscode/lib/rig.sh

# This Machine ready to trace: the agent really loads its probes here (it checks by loading).
AGENT=dist/agent/kwitness-agent-$(uname -m)
if probe=$("$AGENT" probe 2>&1); then
  node -e '
    const r = JSON.parse(process.argv[1]);
    if (r.error) { console.log(`demo: WARNING: the agent cannot trace this machine: ${r.error}`); process.exit(0); }
    const fams = Object.entries(r.families).map(([f, m]) => `${f}: ${m.length ? m.join("/") : "unavailable"}`).join(", ");
    console.log(`demo: This Machine: kernel ${r.kernel} (${r.arch}), BTF ${r.btf ? "yes" : "no"}; ${fams}`);
  ' "$probe" || echo "demo: agent probe said: $probe"
else
  echo "demo: WARNING: '$AGENT probe' failed: $probe"
fi

PORT=$(rig_pick_port "${KW_DEMO_PORT:-8080}")
RUN=${KW_DEMO_RUN:-$KW_CACHE/demo}   # code-server user data, extensions, logs (fresh each start)
stop() {
  trap - INT TERM EXIT
  echo; echo "demo: stopping code-server ..."
  rig_cs_stop "$RUN"
  echo "demo: stopped"
}
trap stop EXIT
trap 'exit 0' INT TERM
# A neutral workspace: the repository's own problems and files are not what the user came for.
WS=${KW_DEMO_FOLDER:-$KW_CACHE/demo-workspace}
if [ -z "${KW_DEMO_FOLDER:-}" ]; then
  mkdir -p "$WS"
  cat >"$WS/README.md" <<'TXT'
# Kernel Witness: things to try

1. Click the **Kernel Witness** icon in the activity bar. *This Machine* is listed first.
2. Right-click *This Machine* → **Start Unlink Trace** → *Everything on This Machine* (or *Only
   under paths…* to trace one folder). A live panel opens.
3. Open a terminal (Ctrl+`) and delete something:

       f=$(mktemp) && rm "$f"

   A row appears: `rm`, its pid, parent, uid, `/usr/bin/rm`, and the absolute path.
   Click the path, the exe or the probe.
4. **Start Create Trace** and run `touch /tmp/hello`; **Start Exec Trace** and run `ls`.
5. Stop a trace from the panel or from the tree (the square next to it).

Hosts from `~/.ssh/config` appear under *This Machine*; **Add Host** adds more.
TXT
fi
# The user's terminal keeps the real TMPDIR (mktemp lands in /tmp), and a closed tab does not end
# the extension host within seconds (code-server's own grace time).
RIG_CS_KEEP_TMPDIR=1 RIG_CS_GRACE=default RIG_CS_FOLDER=$WS rig_cs_start "$RUN" "$PORT" "$VSIX"
cat <<MSG

  Kernel Witness is running in VS Code (code-server, set up in $(kw_elapsed "$T0")s):

      http://127.0.0.1:$PORT/

  Open it in a browser on this machine (from elsewhere: ssh -L $PORT:127.0.0.1:$PORT this-host),
  click the Kernel Witness icon in the activity bar, then on "This Machine" run
  "Start Unlink Trace" (or F1 > Kernel Witness: Start Unlink Trace) and delete a file.
  Hosts from ~/.ssh/config are listed too.  Logs: $RUN/cs.log
  Press Ctrl-C to stop.

MSG
while kill -0 "$(cat "$RUN/cs.pid" 2>/dev/null || echo 0)" 2>/dev/null; do sleep 1; done
echo "demo: code-server exited on its own; last log lines:"; tail -5 "$RUN/cs.log"
