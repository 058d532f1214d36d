// Deployment of the agent: pick dist/agent/kwitness-agent-<arch> for the target's `uname -m`,
// upload it only when /var/lib/kwitness/<sha256>/kwitness-agent is missing or differs, install
// it root-owned 0755 inside root-owned 0755 directories (no other user can swap it), and
// re-verify the hash right before every start. The binary travels over the privileged command's
// own stdin into a root-owned directory, so it never sits anywhere a user could replace it.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { KwError, classifyAgentFailure } from '../errors';
import { shJoin } from '../shell';
import { Privilege, asRoot } from './privilege';
import { Runner, runToEnd } from './runner';

/** Where agents are installed on targets (root-owned, 0755). */
export const INSTALL_ROOT = '/var/lib/kwitness';
/** Architectures the agent is built for, as `uname -m` prints them. */
export const SUPPORTED_ARCHES = ['x86_64', 'aarch64'];

export interface Platform {
  os: string;
  arch: string;
}

export interface LocalAgent {
  file: string;
  sha256: string;
  size: number;
}

export interface Deployment {
  remotePath: string;
  sha256: string;
  /** True when this call transferred the binary. */
  uploaded: boolean;
  /** Bytes of agent written to the target by this call (0 when it was already there). */
  uploadedBytes: number;
  ms: number;
}

/** `uname -sm` → platform, with clear errors for non-Linux and unknown architectures. */
export async function detectPlatform(runner: Runner, host: string): Promise<Platform> {
  const r = await runToEnd(runner, 'uname -sm', undefined, 20000);
  const parts = r.stdout.toString().trim().split(/\s+/);
  if (r.code !== 0 || parts.length < 2) {
    throw new KwError('not-linux', `${host}: cannot run uname (${r.stderr.trim() || `exit ${r.code}`}); the target must be a Linux host with a POSIX shell`);
  }
  const [osName, rawArch] = parts;
  if (osName !== 'Linux') {
    throw new KwError('not-linux', `${host}: the target runs ${osName}, not Linux; Kernel Witness traces Linux kernels only, pick a Linux host`);
  }
  const arch = rawArch === 'arm64' ? 'aarch64' : rawArch;
  if (!SUPPORTED_ARCHES.includes(arch)) {
    throw new KwError('unsupported-arch', `${host}: architecture ${rawArch} is not supported (agent builds: ${SUPPORTED_ARCHES.join(', ')}); use an x86_64 or aarch64 host`);
  }
  return { os: osName, arch };
}

const hashCache = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

/** The local agent build for `arch` and its sha256 (cached by mtime+size). */
export function localAgent(agentDir: string, arch: string, host = 'target'): LocalAgent {
  const file = path.join(agentDir, `kwitness-agent-${arch}`);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new KwError('unsupported-arch', `${host}: no agent build for ${arch} (${file} is missing); build it with \`make -C native\` (ARCH=${arch}) or pick a host of a built architecture`);
  }
  const c = hashCache.get(file);
  if (c && c.mtimeMs === st.mtimeMs && c.size === st.size) return { file, sha256: c.sha256, size: st.size };
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  hashCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, sha256 });
  return { file, sha256, size: st.size };
}

export function remoteAgentPath(sha256: string, root = INSTALL_ROOT): string {
  return `${root}/${sha256}/kwitness-agent`;
}

/** Script (run as root) printing `present` only if the installed copy is intact and root-owned. */
function checkScript(sha: string, root: string): string {
  const d = `${root}/${sha}`;
  return [
    `f=${d}/kwitness-agent`,
    `[ -f "$f" ] || { echo missing; exit 0; }`,
    `own=$(stat -c '%u:%g:%a' ${root} ${d} "$f" | tr '\\n' ' ')`,
    `[ "$own" = "0:0:755 0:0:755 0:0:755 " ] || { echo "bad-owner $own"; exit 0; }`,
    `[ "$(sha256sum < "$f" | cut -c1-64)" = ${sha} ] && echo present || echo differs`,
  ].join('\n');
}

function installScript(sha: string, size: number, root: string): string {
  const d = `${root}/${sha}`;
  return [
    'set -e',
    'umask 022',
    `mkdir -p ${d}`,
    `chown 0:0 ${root} ${d}`,
    `chmod 0755 ${root} ${d}`,
    `t=$(mktemp ${d}/.upload.XXXXXX)`,
    `trap 'rm -f "$t"' EXIT`,
    `head -c ${size} > "$t"`,
    `got=$(sha256sum < "$t" | cut -c1-64)`,
    `[ "$got" = ${sha} ] || { echo "kwitness: upload corrupted (got sha256 $got, size $(wc -c < "$t"))" >&2; exit 3; }`,
    `chown 0:0 "$t"`,
    `chmod 0755 "$t"`,
    `mv -f "$t" ${d}/kwitness-agent`,
    `trap - EXIT`,
    ...pruneScript(sha, root),
  ].join('\n');
}

/**
 * After installing a new build: removes older builds under root, except the newest other one
 * (another desktop may still run the previous extension version) and any build a running
 * process executes. Without this every extension update leaves 1.6 MB behind on every target.
 */
function pruneScript(sha: string, root: string): string[] {
  return [
    'set +e',
    `for o in $(ls -1dt ${root}/*/ 2>/dev/null); do`,
    '  o=${o%/}; n=${o##*/}',
    `  [ "$n" = ${sha} ] && continue`,
    '  case $n in *[!0-9a-f]*) continue;; esac',
    '  [ ${#n} -eq 64 ] || continue',
    '  [ -z "$kept" ] && { kept=$o; continue; }',
    '  busy=',
    '  for e in /proc/[0-9]*/exe; do case $(readlink "$e" 2>/dev/null) in "$o"/*) busy=1; break;; esac; done',
    '  [ -n "$busy" ] || rm -rf "$o"',
    'done',
    'exit 0',
  ];
}

/** Makes sure the agent is installed on the target; uploads only when needed. */
export async function deployAgent(
  runner: Runner,
  priv: Privilege,
  agent: LocalAgent,
  host: string,
  log: (l: string) => void = () => undefined,
  root = INSTALL_ROOT,
): Promise<Deployment> {
  const t0 = Date.now();
  const remotePath = remoteAgentPath(agent.sha256, root);
  const check = asRoot(priv, checkScript(agent.sha256, root));
  const c = await runToEnd(runner, check.command, check.stdinPrefix, 30000);
  const verdict = c.stdout.toString().trim();
  if (c.code === 0 && verdict === 'present') {
    log(`${host}: agent ${agent.sha256.slice(0, 12)} already installed at ${remotePath}`);
    return { remotePath, sha256: agent.sha256, uploaded: false, uploadedBytes: 0, ms: Date.now() - t0 };
  }
  if (c.code !== 0) throw classifyAgentFailure(host, c.stderr, c.code);
  log(`${host}: installing agent ${agent.sha256.slice(0, 12)} (${agent.size} bytes; target copy: ${verdict})`);
  const install = asRoot(priv, installScript(agent.sha256, agent.size, root));
  const data = fs.readFileSync(agent.file);
  const stdin = install.stdinPrefix ? [install.stdinPrefix, data] : [data];
  const r = await runToEnd(runner, install.command, stdin, 300000);
  if (r.code !== 0) throw classifyAgentFailure(host, r.stderr, r.code);
  const ms = Date.now() - t0;
  log(`${host}: agent installed in ${ms} ms`);
  return { remotePath, sha256: agent.sha256, uploaded: true, uploadedBytes: data.length, ms };
}

/** Exit code of the start script when the installed agent's hash is not the expected one. */
export const AGENT_HASH_MISMATCH = 97;

/** Shell that sets `$st` to the start time (clock ticks since boot, field 22 of /proc/PID/stat) of `pidExpr`. */
function startTimeOf(pidExpr: string): string {
  // field 2 (comm) may hold spaces and parentheses: count fields after its last ") "
  return `st=$(cat /proc/${pidExpr}/stat 2>/dev/null); st=\${st##*") "}; set -- $st; if [ $# -ge 20 ]; then shift 19; st=$1; else st=; fi`;
}

/**
 * Script (run as root) that re-checks the installed agent's hash, announces its pid and start
 * time on stderr (`kwitness-pid PID START`: later stops and liveness checks make sure that pid is
 * still this very process) and execs it with `args` (exec keeps both).
 */
export function agentStartScript(sha256: string, args: readonly string[], root = INSTALL_ROOT): string {
  const f = remoteAgentPath(sha256, root);
  return [
    `f=${f}`,
    `[ "$(sha256sum < "$f" 2>/dev/null | cut -c1-64)" = ${sha256} ] || { echo "kwitness: agent hash mismatch at $f (missing or modified); redeploy" >&2; exit ${AGENT_HASH_MISMATCH}; }`,
    startTimeOf('$$'),
    `echo "kwitness-pid $$ $st" >&2`,
    `exec "$f" ${shJoin(args)}`,
  ].join('\n');
}

/** A started agent as the target knows it: pid plus start time, so a reused pid is never mistaken for it. */
export interface AgentIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat when it started (clock ticks since boot), digits. */
  startTime: string;
}

/** Parses the start script's `kwitness-pid PID START` line out of stderr text. */
export function parseAgentAnnouncement(text: string): AgentIdentity | undefined {
  const m = /kwitness-pid (\d+) (\d+)\n/.exec(text);
  return m ? { pid: Number(m[1]), startTime: m[2] } : undefined;
}

/**
 * Script (run as root) that looks at `id.pid` and prints `ours` when it is still the agent we
 * started (its exe is an installed agent under `root` and its start time is `id.startTime`),
 * `gone` when no such process exists, or `other EXE START` when the pid now belongs to another
 * process. With `signal`, it signals the pid only when it is ours (`signalled SIG`) — one script,
 * so the check and the kill run back to back as root on the target.
 */
export function agentCheckScript(id: AgentIdentity, root = INSTALL_ROOT, signal?: 'TERM' | 'KILL'): string {
  if (!Number.isInteger(id.pid) || id.pid <= 0 || !/^\d+$/.test(id.startTime)) throw new KwError('bad-input', `not an agent identity: pid ${id.pid}, start ${id.startTime}`);
  return [
    `p=${id.pid}`,
    `[ -d /proc/$p ] || { echo gone; exit 0; }`,
    `exe=$(readlink /proc/$p/exe 2>/dev/null)`,
    startTimeOf('$p'),
    `[ -n "$exe" ] && [ -n "$st" ] || { echo gone; exit 0; }`,
    `case $exe in ${root}/*/kwitness-agent|"${root}/"*"/kwitness-agent (deleted)") ;; *) echo "other $exe $st"; exit 0;; esac`,
    `[ "$st" = ${id.startTime} ] || { echo "other $exe $st"; exit 0; }`,
    signal ? `kill -${signal} $p && echo "signalled ${signal}" || echo gone` : 'echo ours',
  ].join('\n');
}
