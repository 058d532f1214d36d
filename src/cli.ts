// kwitness: the command-line face of the same core the extension uses (no vscode import).
//   kwitness hosts
//   kwitness probe HOST
//   kwitness trace unlink|create|write|exec[,...] --host HOST [filters] [--json]
//   kwitness guard --host HOST --deny-delete P | --deny-write P | --quota DIR=SIZE ... [--json]
//   kwitness watch start|list|show|follow|stop ... --host HOST  (cli-watch.ts)
import * as fs from 'fs';
import * as path from 'path';

import type { AgentRecord, Family, KwEvent } from './core/events';
import { FAMILIES, describeLost } from './core/events';
import { describeGuardCapability, describeIoUring } from './core/probe-text';
import { KwError, errorMessage } from './core/errors';
import { HostManager, HostPrompts, defaultKnownHostsFile, defaultSshConfigFile } from './core/host/host';
import { StreamFormat, TraceSession, parseStacksArg } from './core/session/trace-session';
import { kernelFrameText, userFrameText, type Escape } from './core/stacks';
import type { TraceOptions } from './core/trace-api';
import { decoderFor, DEFAULT_FORMAT } from './core/session/decoders';
import { watchCommand } from './cli-watch';
import { guardArgs, parseBytes, type GuardRules } from './core/guard';
import { callText, checkFuncs, checkWhere, isFuncName } from './core/calls';

const USAGE = `usage:
  kwitness hosts [--json]
  kwitness probe HOST [--json]
  kwitness trace unlink|create|write|exec|func:NAME[,...] --host HOST [--path-prefix P]... [--path-glob G]... [--pid N] [--comm NAME]
        [--uid U] [--cgroup PATH] [--failed-only] [--where EXPR]... [--attach auto|fentry|kprobe|tracepoint]
        [--ringbuf-kb N] [--stacks kernel|user|kernel,user] [--json] [--count N] [--duration SECONDS] [--heartbeat SECONDS]
  func:NAME: every call of the kernel function NAME (up to 8, mixed with families or alone), one
        line per call: who, the arguments, the return value, how long it took
  --where EXPR: only calls for which ARG OP VALUE holds (repeatable, at most 8: all must), ARG a
        parameter name or ret, OP == != < <= > >=, VALUE an integer, an errno or enum name
        (-ENOENT), or a "string" (== or != only); e.g. 'ret < 0', 'dentry == "disk.img"'
  --stacks: each event carries the call's kernel and/or user stack (named on the host), printed
        under its line (or as kstack/ustack with --json)
  --heartbeat S: the agent exits when this client sends nothing for S seconds (default 60;
        0 = never), e.g. after the laptop went to sleep or the network dropped silently
  kwitness guard --host HOST [--deny-delete PATH]... [--deny-write PATH]... [--quota DIR=SIZE]...
        [--audit-only] [--attach auto|lsm|fmod_ret] [--json] [--count N] [--duration SECONDS]
        refuses deletes of PATH (and under it), writes into PATH, or writes past a folder's SIZE
        (e.g. 10G), and prints each refusal; needs BPF LSM or BPF trampolines (kwitness probe)
  kwitness watch start unlink|create|write|exec[,...]|guard --host HOST [filters or guard rules] [--name N]
        [--max-mb N] [--keep-free-mb N] [--on-hit CMD] [--until TIME] [--max-events N]
        [--persistent] [--service auto|systemd|daemon] [--memory-max-mb N] [--cpu-quota PCT] [--json]
        a trap that runs on the host without this client, journaling every event there; where
        systemd runs it is a unit (kwitness-watch-ID.service); --persistent: it starts again at boot
  kwitness watch list --host HOST [--json]
  kwitness watch show ID --host HOST [--since CURSOR] [--limit N] [--json]
  kwitness watch follow ID --host HOST [--since CURSOR] [--json]
  kwitness watch stop ID --host HOST [--keep] [--json]
common options:
  --ssh-config FILE   (env KWITNESS_SSH_CONFIG; default ~/.ssh/config; /etc/ssh/ssh_config is read
                      after it, env KWITNESS_SYSTEM_SSH_CONFIG=FILE or none to change that)
  --known-hosts FILE  (env KWITNESS_KNOWN_HOSTS; default ~/.ssh/known_hosts)
  --identity FILE     extra private key, tried first (repeatable)
  --accept-new-host-key  pin an unknown host key without asking (never a changed one)
  --agent-dir DIR     where kwitness-agent-<arch> builds are (env KWITNESS_AGENT_DIR)
  --timeout SECONDS   connect timeout (default 20)
  --ssh-debug         ssh2 debug output on stderr
Secrets when there is no terminal to ask on: env KWITNESS_SUDO_PASSWORD, KWITNESS_KEY_PASSPHRASE,
KWITNESS_SSH_PASSWORD (never on the command line). Other keyboard-interactive prompts (one-time
codes) need a terminal.`;

interface Args {
  cmd: string;
  positional: string[];
  flags: Map<string, string[]>;
}

const VALUE_FLAGS = new Set([
  'host', 'path-prefix', 'path-glob', 'pid', 'comm', 'uid', 'cgroup', 'attach', 'ringbuf-kb', 'stacks', 'ssh-config', 'known-hosts', 'identity', 'agent-dir',
  'timeout', 'count', 'duration', 'format', 'batch-ms', 'heartbeat',
  'name', 'max-mb', 'keep-free-mb', 'on-hit', 'until', 'max-events', 'since', 'limit', 'service', 'memory-max-mb', 'cpu-quota', // watch
  'deny-delete', 'deny-write', 'quota', // guard
  'where', // func probes
]);
const BOOL_FLAGS = new Set(['json', 'failed-only', 'accept-new-host-key', 'ssh-debug', 'help', 'keep', 'persistent', 'audit-only']);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') {
      flags.set('help', ['']);
      continue;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (BOOL_FLAGS.has(name)) {
      if (eq > 0) throw new KwError('bad-input', `--${name} takes no value`);
      flags.set(name, ['']);
    } else if (VALUE_FLAGS.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new KwError('bad-input', `--${name} needs a value`);
      flags.set(name, [...(flags.get(name) ?? []), v]);
    } else {
      throw new KwError('bad-input', `unknown option ${a}`);
    }
  }
  return { cmd: positional.shift() ?? '', positional, flags };
}

function one(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  if (v && v.length > 1) throw new KwError('bad-input', `--${name} given more than once`);
  return v?.[0];
}

function intFlag(a: Args, name: string): number | undefined {
  const v = one(a, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new KwError('bad-input', `--${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/** `guard` (or `watch start guard`): the rules; trace filters are refused. */
export function guardOptionsFrom(a: Args): TraceOptions {
  if (a.positional.length > 1) throw new KwError('bad-input', `guard: unexpected argument "${a.positional[1]}"`);
  for (const f of ['path-prefix', 'path-glob', 'pid', 'comm', 'uid', 'cgroup', 'failed-only']) {
    if (a.flags.has(f)) throw new KwError('bad-input', `guard: --${f} is a trace filter; a guard takes --deny-delete, --deny-write, --quota`);
  }
  if (a.flags.has('stacks')) throw new KwError('bad-input', 'guard: --stacks is a trace option; a guard reports refusals without stacks');
  const quotas = (a.flags.get('quota') ?? []).map((q) => {
    const eq = q.lastIndexOf('=');
    const bytes = eq > 0 ? parseBytes(q.slice(eq + 1)) : undefined;
    if (eq <= 0 || bytes === undefined) throw new KwError('bad-input', `--quota: expected DIR=SIZE (e.g. /srv/vol=10G), got "${q}"`);
    return { path: q.slice(0, eq), bytes };
  });
  const attach = one(a, 'attach');
  if (attach !== undefined && !['auto', 'lsm', 'fmod_ret'].includes(attach)) throw new KwError('bad-input', `guard --attach must be auto, lsm or fmod_ret, got "${attach}"`);
  const guard: GuardRules = {
    denyDelete: a.flags.get('deny-delete'),
    denyWrite: a.flags.get('deny-write'),
    quotas: quotas.length ? quotas : undefined,
    auditOnly: a.flags.has('audit-only') || undefined,
    mechanism: attach as GuardRules['mechanism'],
  };
  guardArgs(guard); // checked now: a bad rule is a usage error before anything connects
  return { families: [], guard };
}

export function traceOptionsFrom(a: Args): TraceOptions {
  const famText = a.positional[0];
  if (famText === 'guard') return guardOptionsFrom(a);
  for (const f of ['deny-delete', 'deny-write', 'quota', 'audit-only']) {
    if (a.flags.has(f)) throw new KwError('bad-input', `--${f} belongs to a guard (kwitness guard ...)`);
  }
  if (!famText) throw new KwError('bad-input', 'trace: which families? (unlink, create, write, exec, func:NAME; comma-separated)');
  if (a.positional.length > 1) throw new KwError('bad-input', `trace: unexpected argument "${a.positional[1]}"`);
  const families: Family[] = [];
  const funcs: string[] = [];
  for (const f of famText.split(',').map((x) => x.trim())) {
    if (f.startsWith('func:')) {
      const name = f.slice(5);
      if (!isFuncName(name)) throw new KwError('bad-input', `trace: "${f}": expected func:NAME with NAME a kernel function (a C identifier such as vfs_unlink)`);
      funcs.push(name);
    } else if (FAMILIES.includes(f as Family)) families.push(f as Family);
    else throw new KwError('bad-input', `trace: unknown family "${f}" (expected unlink, create, write, exec or func:NAME)`);
  }
  const badFuncs = checkFuncs(funcs);
  if (badFuncs) throw new KwError('bad-input', `trace: ${badFuncs}`);
  const where = a.flags.get('where');
  if (where && !funcs.length) throw new KwError('bad-input', 'trace: --where filters calls of kernel functions: add func:NAME');
  if (where) checkWhere(where); // a bad condition is a usage error before anything connects
  const stacks = one(a, 'stacks');
  const attach = one(a, 'attach');
  if (attach !== undefined && !['auto', 'fentry', 'kprobe', 'tracepoint'].includes(attach)) {
    throw new KwError('bad-input', `--attach must be auto, fentry, kprobe or tracepoint, got "${attach}"`);
  }
  return {
    families,
    ...(funcs.length ? { funcs } : {}),
    ...(where ? { where } : {}),
    pathPrefixes: a.flags.get('path-prefix'),
    pathGlobs: a.flags.get('path-glob'),
    pid: intFlag(a, 'pid'),
    comm: one(a, 'comm'),
    uid: intFlag(a, 'uid'),
    cgroup: one(a, 'cgroup'),
    failedOnly: a.flags.has('failed-only'),
    attach: attach as TraceOptions['attach'],
    ringbufKb: intFlag(a, 'ringbuf-kb'),
    stacks: stacks === undefined ? undefined : parseStacksArg(stacks),
  };
}

/** One human-readable line per event. */
export function formatEvent(e: KwEvent): string {
  const t = e.time.length >= 23 ? e.time.slice(11, 23) : e.time;
  // a call of a probed kernel function: `rm[4242] vfs_unlink(dir=/tmp/x ino 12, ...) = -2 ENOENT  3.2 µs`
  if (e.type === 'call') return `${t} ${callText(e, termText)}`;
  const cmd = e.type !== 'exec' && e.cmdline ? ` cmd=${JSON.stringify(e.cmdline.join(' ') + (e.cmdline_truncated ? ' …' : ''))}` : '';
  const who = `pid=${e.pid} ppid=${e.ppid} uid=${e.uid} comm=${JSON.stringify(e.comm)} exe=${e.exe || '-'}${cmd}${e.container ? ` container=${e.container.slice(0, 12)}` : ''}`;
  const ret = e.ret < 0 ? ` ret=${e.ret}` : '';
  // the caller's spelling, when the kernel's path differs from it (a symlink, '..', a chroot)
  const named =
    e.type !== 'exec' && e.type !== 'exit'
      ? (e.named !== undefined ? ` (named ${JSON.stringify(e.named)})` : '') +
        (e.proc_path !== undefined ? ` (in the process ${JSON.stringify(e.proc_path)})` : '') +
        (e.path_on_host === false ? ' (not on the host)' : '') +
        (e.real_path !== undefined ? ` (${e.layer === 'lower' ? 'image layer' : 'container layer'} ${JSON.stringify(e.real_path)})` : '')
      : '';
  switch (e.type) {
    case 'unlink':
      return `${t} ${e.op.padEnd(6)} ${JSON.stringify(e.path)}${named}${e.name_unreadable ? ' (name could not be read)' : e.last_link ? '' : ' (other links remain)'}${e.old_path ? ` by ${JSON.stringify(e.old_path)}` : ''}${ret}  ${who}`;
    case 'create':
      return `${t} ${('+' + e.op).padEnd(6)} ${JSON.stringify(e.path)}${named}${e.target ? ` -> ${JSON.stringify(e.target)}` : ''}${e.op === 'exchange' && e.old_path !== undefined ? ` <-> ${JSON.stringify(e.old_path)}` : ''}${e.name_unreadable ? ' (a name could not be read)' : ''}${ret}  ${who}`;
    case 'write':
      return `${t} ${(e.op === 'truncate' ? 'trunc' : 'write').padEnd(6)} ${JSON.stringify(e.path)}${ret}  ${who}`;
    case 'denied':
    case 'would-deny':
      return `${t} ${e.type === 'denied' ? 'DENIED' : 'WOULD-DENY'} ${e.op} ${JSON.stringify(e.path)}${named} (${e.ret === -122 ? 'quota' : 'rule'} ${e.rule}${e.rule_path ? ` ${e.rule_kind} ${JSON.stringify(e.rule_path)}` : ''})${ret}  ${who}`;
    case 'exec':
      return `${t} exec   ${e.exe || e.filename} ${e.argv.map((s) => JSON.stringify(s)).join(' ')}${e.argv_truncated ? ' …' : ''}${ret}  ${who}`;
    case 'exit':
      return `${t} exit   pid=${e.pid} code=${e.exit_code}${e.signal ? ` signal=${e.signal}` : ''} after ${(e.duration_ns / 1e6).toFixed(1)} ms  comm=${JSON.stringify(e.comm)}`;
  }
}

/** What a trace records, for its first line: "unlink,create", "vfs_unlink()", "unlink + vfs_unlink()". */
export function traceWords(o: TraceOptions): string {
  return [o.families.join(','), (o.funcs ?? []).map((f) => `${f}()`).join(', ')].filter(Boolean).join(' + ');
}

/** Names on a terminal: control characters escaped as in a JSON string (no raw ESC reaches it). */
const termText: Escape = (printable) => JSON.stringify(printable).slice(1, -1);

/**
 * The stacks of an event (`--stacks`), one line each under the event's line, frames innermost
 * first: "    kernel: vfs_unlink+0x12 < do_unlinkat+0x1a0 < …". Nothing for an event without.
 */
export function formatStacks(e: KwEvent): string[] {
  if (e.type === 'exit') return [];
  const lines: string[] = [];
  const one = (label: string, frames: string[] | undefined, err: number | undefined): void => {
    if (frames === undefined) return;
    lines.push(`    ${label}: ${frames.length ? frames.join(' < ') : err ? `(not taken: error ${err})` : '(no frames)'}`);
  };
  one('kernel', e.kstack?.map((f) => kernelFrameText(f, termText)), e.kstack_error);
  one('user  ', e.ustack?.map((f) => userFrameText(f, termText) + (f.inferred ? ' (from stack pointer)' : '')), e.ustack_error);
  return lines;
}

/** An event's line, and its stacks' lines under it when it has them. */
export function eventLines(e: KwEvent): string {
  return [formatEvent(e), ...formatStacks(e)].join('\n');
}

// ---------- prompts on the controlling terminal, or env for non-interactive use ----------

function ttyAvailable(): boolean {
  try {
    fs.accessSync('/dev/tty', fs.constants.R_OK | fs.constants.W_OK);
    return process.stdin.isTTY === true;
  } catch {
    return false;
  }
}

function askTty(question: string, hidden: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    const fd = fs.openSync('/dev/tty', 'r+');
    const tty = require('tty') as typeof import('tty');
    const input = new tty.ReadStream(fd);
    const output = fs.createWriteStream('', { fd, autoClose: false });
    output.write(question);
    input.setRawMode(true);
    let answer = '';
    const done = (v: string | undefined): void => {
      input.setRawMode(false);
      input.removeAllListeners('data');
      input.destroy();
      output.write('\n');
      resolve(v);
    };
    input.on('data', (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(answer);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f' || ch === '\b') {
          answer = answer.slice(0, -1);
          continue;
        }
        answer += ch;
        if (!hidden) output.write(ch);
      }
    });
  });
}

/** The secrets the CLI may get from its environment (KWITNESS_SUDO_PASSWORD ...). */
export interface EnvSecrets {
  sudoPassword?: string;
  keyPassphrase?: string;
  sshPassword?: string;
}

/**
 * Reads the secret variables once and deletes them from process.env, so no child process (sh,
 * sudo, the agent on This Machine) inherits them: a password in an environment is readable in
 * /proc/PID/environ by the process's owner and root, and lives as long as the process does.
 */
export function takeEnvSecrets(env: NodeJS.ProcessEnv = process.env): EnvSecrets {
  const take = (name: string): string | undefined => {
    const v = env[name];
    delete env[name];
    return v;
  };
  return { sudoPassword: take('KWITNESS_SUDO_PASSWORD'), keyPassphrase: take('KWITNESS_KEY_PASSPHRASE'), sshPassword: take('KWITNESS_SSH_PASSWORD') };
}

function cliPrompts(acceptNewHostKey: boolean, secrets: EnvSecrets): HostPrompts {
  const interactive = ttyAvailable();
  return {
    async confirmHostKey(q) {
      const what = `The authenticity of ${q.host}:${q.port} can't be established.\n${q.keyType} key fingerprint is ${q.fingerprint}.${q.otherTypes.length ? ` (known with other key types: ${q.otherTypes.join(', ')})` : ''}`;
      if (acceptNewHostKey) {
        process.stderr.write(`${what}\nPinned (--accept-new-host-key).\n`);
        return true;
      }
      if (!interactive) {
        process.stderr.write(`${what}\nNo terminal to confirm it on; re-run with --accept-new-host-key after checking the fingerprint.\n`);
        return false;
      }
      const a = await askTty(`${what}\nTrust it and add it to known_hosts (yes/no)? `, false);
      return a?.trim().toLowerCase() === 'yes';
    },
    async passphrase(keyFile) {
      if (secrets.keyPassphrase !== undefined) return secrets.keyPassphrase;
      return interactive ? askTty(`Passphrase for ${keyFile}: `, true) : undefined;
    },
    async password(user, host) {
      if (secrets.sshPassword !== undefined) return secrets.sshPassword;
      return interactive ? askTty(`${user}@${host}'s password: `, true) : undefined;
    },
    async keyboardInteractive(q) {
      // one-time codes and the like: only a person at a terminal can answer them
      if (!interactive) throw new KwError('auth-failed', `the server asks "${q.prompts[0].prompt.trim()}" (keyboard-interactive) and there is no terminal to answer it on; run kwitness in a terminal`);
      const header = [q.name, q.instructions].map((s) => s.trim()).filter(Boolean).join('\n');
      if (header) process.stderr.write(`${q.user}@${q.host}: ${header}\n`);
      const answers: string[] = [];
      for (const p of q.prompts) {
        const a = await askTty(p.prompt, !p.echo);
        if (a === undefined) return undefined;
        answers.push(a);
      }
      return answers;
    },
    async sudoPassword(host, user) {
      if (secrets.sudoPassword !== undefined) return secrets.sudoPassword;
      return interactive ? askTty(`[sudo] password for ${user} on ${host}: `, true) : undefined;
    },
  };
}

function defaultAgentDir(): string {
  if (process.env.KWITNESS_AGENT_DIR) return process.env.KWITNESS_AGENT_DIR;
  const candidates = [path.join(__dirname, 'agent'), path.join(__dirname, '..', 'dist', 'agent'), path.join(__dirname, '..', '..', 'dist', 'agent')];
  return candidates.find((d) => fs.existsSync(d)) ?? candidates[0];
}

export async function main(argv: string[]): Promise<number> {
  const secrets = takeEnvSecrets(); // first: before anything can start a process
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`kwitness: ${errorMessage(e)}\n${USAGE}\n`);
    return 2;
  }
  if (a.flags.has('help') || !a.cmd) {
    (a.cmd ? process.stdout : process.stderr).write(USAGE + '\n');
    return a.cmd || a.flags.has('help') ? 0 : 2;
  }
  const json = a.flags.has('json');
  const debug = a.flags.has('ssh-debug');
  const timeout = intFlag(a, 'timeout');
  const hosts = new HostManager({
    sshConfigFile: one(a, 'ssh-config') ?? defaultSshConfigFile(),
    knownHostsFile: one(a, 'known-hosts') ?? defaultKnownHostsFile(),
    agentDir: one(a, 'agent-dir') ?? defaultAgentDir(),
    prompts: cliPrompts(a.flags.has('accept-new-host-key'), secrets),
    log: (l) => {
      if (debug || process.env.KWITNESS_VERBOSE) process.stderr.write(`kwitness: ${l}\n`);
    },
    sshDebug: () => debug,
    extraIdentities: a.flags.get('identity'),
    timeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
  });
  try {
    switch (a.cmd) {
      case 'hosts': {
        if (a.positional.length) throw new KwError('bad-input', `hosts: unexpected argument "${a.positional[0]}"`);
        for (const h of hosts.list()) process.stdout.write(json ? JSON.stringify(h) + '\n' : `${h.id}\t${h.kind}\t${h.label}\n`);
        return 0;
      }
      case 'probe': {
        if (a.positional.length !== 1) throw new KwError('bad-input', 'probe: give exactly one HOST (an ~/.ssh/config alias, user@host[:port], or local)');
        const conn = hosts.get(a.positional[0]);
        const report = await conn.refreshProbe();
        if (json) process.stdout.write(JSON.stringify(report) + '\n');
        else {
          const st = conn.state;
          process.stdout.write(
            [
              `host:      ${conn.ref.label}${st.kind === 'connected' ? ` (${st.privilege})` : ''}`,
              `kernel:    ${report.kernel} ${report.arch}`,
              `agent:     ${report.agent_version}`,
              `btf:       ${report.btf ? 'yes' : 'no'}`,
              `lockdown:  ${report.lockdown}`,
              `lsm:       ${report.lsm.join(',')}${report.lsm_bpf ? ' (bpf LSM on)' : ''}`,
              ...FAMILIES.map((f) => `${(f + ':').padEnd(10)} ${(report.families[f] ?? []).join(', ') || 'none'}`),
              ...(report.io_uring ? [`io_uring:  ${describeIoUring(report.io_uring)}`] : []),
              ...(report.guard ? [`guard:     ${describeGuardCapability(report.guard)}`] : []),
              ...(report.error ? [`error:     ${report.error}`] : []),
            ].join('\n') + '\n',
          );
        }
        return report.error ? 1 : 0;
      }
      case 'trace':
        return await trace(a, hosts, json);
      case 'guard':
        return await trace({ ...a, positional: ['guard', ...a.positional] }, hosts, json);
      case 'watch': {
        const [sub = '', ...rest] = a.positional;
        return await watchCommand(
          {
            sub,
            positional: sub === 'start' ? [] : rest,
            host: one(a, 'host'),
            json,
            traceOptions: () => traceOptionsFrom({ ...a, positional: rest }),
            value: (f) => one(a, f),
            int: (f) => intFlag(a, f),
            has: (f) => a.flags.has(f),
            formatEvent: eventLines,
          },
          hosts,
        );
      }
      default:
        throw new KwError('bad-input', `unknown command "${a.cmd}" (hosts, probe, trace, guard, watch)`);
    }
  } catch (e) {
    process.stderr.write(`kwitness: ${errorMessage(e)}\n`);
    return e instanceof KwError && e.code === 'bad-input' ? 2 : 1;
  } finally {
    hosts.dispose();
  }
}

async function trace(a: Args, hosts: HostManager, json: boolean): Promise<number> {
  const hostId = one(a, 'host');
  if (!hostId) throw new KwError('bad-input', 'trace: --host HOST is required (an ~/.ssh/config alias, user@host[:port], or local)');
  const options = traceOptionsFrom(a);
  const format = (one(a, 'format') ?? DEFAULT_FORMAT) as StreamFormat;
  if (format !== 'wire' && format !== 'json') throw new KwError('bad-input', `--format must be wire or json, got "${format}"`);
  const maxCount = intFlag(a, 'count');
  const durationText = one(a, 'duration');
  const duration = durationText === undefined ? undefined : Number(durationText);
  if (duration !== undefined && !(duration > 0)) throw new KwError('bad-input', `--duration must be a positive number of seconds, got "${durationText}"`);
  const conn = hosts.get(hostId);
  const session = new TraceSession(conn, options, {
    format,
    decoderFor,
    batchMs: intFlag(a, 'batch-ms') ?? 50,
    heartbeatS: intFlag(a, 'heartbeat'),
    log: (l) => process.env.KWITNESS_VERBOSE && process.stderr.write(`kwitness: ${l}\n`),
    onRecord: (r: AgentRecord) => {
      if (json) process.stdout.write(JSON.stringify(r) + '\n');
      else if (r.type === 'ready') process.stderr.write(`kwitness: ${options.guard ? 'guarding' : `tracing ${traceWords(options)}`} on ${conn.ref.label} (kernel ${r.kernel}; ${[...new Set(r.probes.map((p) => `${p.family}: ${p.mode}`))].join(', ')}); Ctrl-C stops\n`);
      else if (r.type === 'lost') {
        if (r.count > 0) process.stderr.write(`kwitness: ${r.count} events lost (total ${r.total})\n`);
        if (r.unjudged > 0) process.stderr.write(`kwitness: ${r.unjudged} events dropped before the path filter could judge them (total ${r.unjudged_total}); they may not have matched\n`);
        if (r.untracked > 0) process.stderr.write(`kwitness: ${r.untracked} calls the kernel could not follow, pending table full (total ${r.untracked_total}); each may have been an event\n`);
      }
      else if (r.type === 'error') process.stderr.write(`kwitness: agent: ${r.message}\n`);
    },
  });
  let seen = 0;
  let held = false;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= session.stop());
  session.onDidReceiveEvents((batch) => {
    let out = '';
    for (const e of batch) {
      if (maxCount !== undefined && seen >= maxCount) break;
      seen++;
      out += (json ? JSON.stringify(e) : eventLines(e)) + '\n';
    }
    // a full stdout (a slow reader of the pipe) holds the agent's output instead of buffering
    // here without bound; the agent's ring buffer then counts what is lost
    if (out && !process.stdout.write(out) && !held) {
      held = true;
      session.holdInput();
      process.stdout.once('drain', () => {
        held = false;
        session.releaseInput();
      });
    }
    if (maxCount !== undefined && seen >= maxCount) void stop();
  });
  const ended = new Promise<void>((resolve) =>
    session.onDidChangeState((s) => {
      if (s.kind === 'stopped' || s.kind === 'failed' || s.kind === 'disconnected') resolve();
    }),
  );
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nkwitness: stopping (Ctrl-C again to force)\n');
    void stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', () => void stop()); // e.g. `| head`
  try {
    await session.start();
    if (duration !== undefined) setTimeout(() => void stop(), duration * 1000).unref();
    if (maxCount === 0) void stop();
    await ended;
    await stopping;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const st = session.state;
  if (session.unjudgedLostTotal > 0) {
    process.stderr.write(`kwitness: besides the lost events, ${session.unjudgedLostTotal} dropped before the path filter could judge them\n`);
  }
  process.stderr.write(`kwitness: ${seen} events, ${describeLost(session.lostTotal, session.untrackedTotal)}; ${st.kind}${st.kind === 'failed' ? `: ${st.message}` : st.kind === 'disconnected' ? `: ${st.reason}` : ''}${session.verifiedGone ? ' (agent gone from the host)' : ''}\n`);
  session.dispose();
  return st.kind === 'stopped' ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`kwitness: ${errorMessage(e)}\n`);
      process.exit(1);
    },
  );
}
