// A test target inside a VM guest, reached over SSH: runs shell scripts there and runs the real
// agent binary there (copied over SFTP), streaming its JSON records back. Used by the kernel
// matrix (test/vm/matrix.ts) to run the agent's event suite in Debian guests.
import { spawn, ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import type { AgentRecord, ReadyRecord } from '../../src/core/events';
import { Vm, ExecResult, vmCacheDir } from './vm';

/** Where the agent and the trigger programs are put in the guest. */
export const GUEST_DIR = '/tmp/kw';

export interface AgentRun {
  /** Every record the agent printed so far (JSON lines), in order. */
  readonly records: AgentRecord[];
  /** Lines on stdout that were not JSON objects (should stay empty). */
  readonly junk: string[];
  /** Resolves with the ready record; rejects when the agent exits or times out first. */
  ready(timeoutMs?: number): Promise<ReadyRecord>;
  /** Resolves with the first record matching pred (already seen or yet to come), or undefined on timeout. */
  waitFor(pred: (r: AgentRecord) => boolean, timeoutMs: number): Promise<AgentRecord | undefined>;
  /** Ends the agent (stdin EOF, then SIGINT, then the ssh client is killed); resolves with its exit. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

export interface SshTargetOptions {
  /** Login user; a non-root user runs the agent through 'sudo -n'. */
  user?: 'root' | 'tester';
}

/** OpenSSH client arguments for this VM (shared master connection made by vm.sh). */
function sshArgs(vm: Vm, user: string): string[] {
  const ctl = path.join(vmCacheDir(), 'run', vm.name, `ctl-${user}`);
  return [
    '-i', vm.keyPath, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${vm.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', '-o', 'ControlMaster=no', '-o', `ControlPath=${ctl}`,
    '-p', String(vm.port), `${user}@127.0.0.1`,
  ];
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class SshTarget {
  readonly name: string;
  private readonly user: 'root' | 'tester';
  private agentSeq = 0;

  constructor(readonly vm: Vm, opts: SshTargetOptions = {}) {
    this.user = opts.user ?? 'root';
    this.name = `${vm.kernel}/${this.user}`;
  }

  /** Runs a bash script in the guest as the login user. */
  run(script: string): Promise<ExecResult> {
    return this.vm.ssh(`bash -c ${shq(script)}`, this.user);
  }

  /** Runs a bash script as root (setup that the case itself does not trace). */
  runAsRoot(script: string): Promise<ExecResult> {
    return this.vm.ssh(`bash -c ${shq(script)}`, 'root');
  }

  async has(tool: string): Promise<boolean> {
    const r = await this.vm.ssh(`command -v ${shq(tool)} >/dev/null || test -x ${shq(`${GUEST_DIR}/${tool}`)}`, this.user);
    return r.code === 0;
  }

  /** Copies the agent and the trigger programs that exist locally into GUEST_DIR. */
  async install(files: string[]): Promise<void> {
    await this.vm.ssh(`mkdir -p ${GUEST_DIR} && chmod 755 ${GUEST_DIR}`, 'root');
    for (const f of files) await this.vm.upload(f, `${GUEST_DIR}/${path.basename(f)}`, 'root');
    await this.vm.ssh(`chmod 755 ${GUEST_DIR}/*`, 'root');
  }

  /** `kwitness-agent ARGS...` run to completion (e.g. probe), as root or through sudo. */
  agentOnce(args: string[]): Promise<ExecResult> {
    return this.vm.ssh(`${this.sudo()}${GUEST_DIR}/kwitness-agent ${args.map(shq).join(' ')}`, this.user);
  }

  private sudo(): string {
    return this.user === 'root' ? '' : 'sudo -n ';
  }

  /** Starts `kwitness-agent ARGS...` (usually trace ...) in the guest and streams its records. */
  startAgent(args: string[]): AgentRun {
    const pidFile = `${GUEST_DIR}/agent-${process.pid}-${++this.agentSeq}.pid`;
    // the shell records its pid, then becomes the agent (or sudo, which relays signals to it)
    const remote = `echo $$ > ${pidFile}; exec ${this.sudo()}${GUEST_DIR}/kwitness-agent ${args.map(shq).join(' ')}`;
    const child: ChildProcessWithoutNullStreams = spawn('ssh', [...sshArgs(this.vm, this.user), remote], { stdio: 'pipe' });
    const records: AgentRecord[] = [];
    const junk: string[] = [];
    const waiters: { pred: (r: AgentRecord) => boolean; done: (r: AgentRecord | undefined) => void }[] = [];
    let stderr = '';
    let buf = '';
    let exited: { code: number | null } | undefined;
    const exitWaiters: (() => void)[] = [];
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { stderr += d; });
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        let rec: AgentRecord;
        try {
          rec = JSON.parse(line) as AgentRecord;
          if (typeof rec !== 'object' || rec === null || typeof (rec as { type?: unknown }).type !== 'string') throw new Error('no type');
        } catch {
          junk.push(line);
          continue;
        }
        records.push(rec);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i].pred(rec)) {
            waiters[i].done(rec);
            waiters.splice(i, 1);
          }
        }
      }
    });
    child.on('close', (code) => {
      exited = { code };
      for (const w of waiters.splice(0)) w.done(undefined);
      for (const f of exitWaiters.splice(0)) f();
    });
    const waitFor = (pred: (r: AgentRecord) => boolean, timeoutMs: number): Promise<AgentRecord | undefined> => {
      const seen = records.find(pred);
      if (seen || exited) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const w = {
          pred,
          done: (r: AgentRecord | undefined) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          resolve(undefined);
        }, timeoutMs);
        waiters.push(w);
      });
    };
    const exitedWithin = (ms: number): Promise<boolean> =>
      exited ? Promise.resolve(true) : new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        exitWaiters.push(() => { clearTimeout(t); resolve(true); });
      });
    return {
      records,
      junk,
      ready: async (timeoutMs = 120000) => {
        const r = await waitFor((x) => x.type === 'ready', timeoutMs);
        if (r) return r as ReadyRecord;
        const errs = records.filter((x) => x.type === 'error').map((x) => (x as { message: string }).message);
        const tail = (stderr.trim().split('\n').pop() ?? '').trim();
        throw new Error(exited
          ? `agent exited (code ${exited.code}) before ready: ${tail || errs.join('; ') || 'no output'}`
          : `agent not ready after ${timeoutMs} ms${tail ? `: ${tail}` : ''}`);
      },
      waitFor,
      stop: async () => {
        // the agent must end on stdin EOF (a dropped SSH session) ...
        child.stdin.end();
        if (!(await exitedWithin(10000))) {
          // ... else SIGINT through the recorded pid, else drop the connection
          await this.vm.ssh(`kill -INT "$(cat ${pidFile})" 2>/dev/null`, 'root');
          if (!(await exitedWithin(10000))) {
            child.kill('SIGKILL');
            await exitedWithin(5000);
          }
          stderr += `\n[harness] agent did not exit on stdin EOF within 10 s`;
        }
        await this.vm.ssh(`rm -f ${pidFile}`, 'root');
        return { code: exited?.code ?? null, stderr };
      },
    };
  }
}
