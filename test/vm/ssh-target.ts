// The agent suite's Target (test/agent/suite.ts) inside a VM guest, reached over SSH: scripts run
// as root in the guest, and the real agent binary (copied over SFTP) runs there, its stdout (json
// or wire) streamed back through the SSH channel into the suite's AgentStream. The same cases that
// run on this machine (test/agent/cases.ts) run unchanged in the Debian guests.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { AgentStream, IA32_CHECK, OVERLAY_ROOT_CHECK, shq, type AgentProc, type Format, type RunResult, type Target } from '../agent/suite';
import { vmCacheDir, type Vm } from './vm';

/** Where the agent and the trigger programs are put in the guest. */
export const GUEST_DIR = '/tmp/kw';

export interface VmTargetOptions {
  /**
   * Who runs the agent: 'root' directly, or 'tester' through `sudo -n` (the way the extension
   * runs it on most hosts). Scripts always run as root, as the cases expect.
   */
  agentUser?: 'root' | 'tester';
}

export class VmTarget implements Target {
  readonly name: string;
  readonly tmpdir = '/tmp/kwc';
  readonly agentPath = `${GUEST_DIR}/kwitness-agent`;
  readonly triggerPath = `${GUEST_DIR}/kw-trigger`;
  private readonly agentUser: 'root' | 'tester';
  private seq = 0;
  private readonly live = new Set<{ kill(sig: NodeJS.Signals): void }>();

  constructor(readonly vm: Vm, opts: VmTargetOptions = {}) {
    this.agentUser = opts.agentUser ?? 'root';
    this.name = `vm ${vm.kernel} (${vm.kver})${this.agentUser === 'root' ? '' : ' agent via sudo'}`;
  }

  /** OpenSSH client arguments for this VM, over the master connection vm.sh keeps per user. */
  private sshArgs(user: string): string[] {
    const ctl = path.join(vmCacheDir(), 'run', this.vm.name, `ctl-${user}`);
    return [
      '-i', this.vm.keyPath, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${this.vm.knownHostsPath}`,
      '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', '-o', 'ControlMaster=no', '-o', `ControlPath=${ctl}`,
      '-p', String(this.vm.port), `${user}@127.0.0.1`,
    ];
  }

  /** Copies local files into GUEST_DIR (as name, default the file's own name) and makes /tmp/kwc. */
  async install(files: { local: string; name?: string }[]): Promise<void> {
    // the first call through vm.sh also opens the master connections the spawns below reuse
    await this.vm.ssh(`mkdir -p ${GUEST_DIR} ${this.tmpdir} && chmod 755 ${GUEST_DIR} ${this.tmpdir}`, 'root');
    if (this.agentUser !== 'root') await this.vm.ssh('true', this.agentUser);
    for (const f of files) await this.vm.upload(f.local, `${GUEST_DIR}/${f.name ?? path.basename(f.local)}`, 'root');
    await this.vm.ssh(`chmod 755 ${GUEST_DIR}/*`, 'root');
  }

  run(script: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', [...this.sshArgs('root'), `bash -c ${shq(script)}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      const ms = opts.timeoutMs ?? 120000;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name}: script timed out after ${ms} ms: ${script.slice(0, 200)}`));
      }, ms);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        // ssh itself failing (255) is a harness error, not a script result
        if (code === 255 && /^(ssh|kex_|Connection|mux_client)/m.test(stderr)) {
          reject(new Error(`${this.name}: ssh failed: ${stderr.trim().split('\n').pop()}`));
          return;
        }
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    });
  }

  startAgent(args: string[]): AgentProc {
    const format: Format = args.includes('--format') && args[args.indexOf('--format') + 1] === 'wire' ? 'wire' : 'json';
    // in /tmp itself: the agent user (tester) cannot write into the root-owned GUEST_DIR
    const pidFile = `/tmp/kw-agent-${process.pid}-${++this.seq}.pid`;
    const sudo = this.agentUser === 'root' ? '' : 'sudo -n ';
    // the login shell records its pid, then becomes the agent (or sudo, which relays signals to it)
    const remote = `echo $$ > ${pidFile}; exec ${sudo}${shq(this.agentPath)} ${args.map(shq).join(' ')}`;
    const child = spawn('ssh', [...this.sshArgs(this.agentUser), remote], { stdio: ['pipe', 'pipe', 'pipe'] });
    let done = false;
    const io = {
      closeStdin: () => child.stdin.end(),
      kill: (sig: NodeJS.Signals) => {
        if (done) return;
        // signal the agent in the guest; SIGKILL also drops the channel
        this.run(`kill -${sig.replace(/^SIG/, '')} "$(cat ${pidFile} 2>/dev/null)" 2>/dev/null; true`, { timeoutMs: 20000 }).catch(() => undefined);
        if (sig === 'SIGKILL') child.kill('SIGKILL');
      },
    };
    const agent = new AgentStream(format, undefined, io);
    this.live.add(io);
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (d: Buffer) => agent.pushStdout(d));
    child.stderr.on('data', (d: Buffer) => agent.pushStderr(d));
    child.on('error', (e) => {
      agent.pushStderr(Buffer.from(`ssh spawn failed: ${e.message}\n`));
      agent.pushExit(127, null);
    });
    child.on('close', (code, signal) => {
      done = true;
      this.live.delete(io);
      agent.pushExit(code, signal);
      this.run(`rm -f ${pidFile}`, { timeoutMs: 20000 }).catch(() => undefined);
    });
    return agent;
  }

  async has(tool: string): Promise<boolean> {
    if (tool === 'cgroup2') return (await this.run(`awk '$3=="cgroup2"{f=1} END{exit !f}' /proc/mounts`)).code === 0;
    if (tool.startsWith('/')) return (await this.run(`test -e ${shq(tool)}`)).code === 0;
    if (tool === 'nobody') return (await this.run('id -u nobody')).code === 0;
    if (tool === 'overlay-root') return (await this.run(OVERLAY_ROOT_CHECK)).code === 0;
    if (tool === 'ia32') return (await this.run(IA32_CHECK(this.triggerPath))).code === 0;
    // io_uring-unlink, -rmdir, -mkdir, -rename: the kernel has the io_uring opcode kw-iouring needs
    if (tool.startsWith('io_uring-')) return (await this.run(`${GUEST_DIR}/kw-iouring --check ${shq(tool.slice(9))}`)).code === 0;
    return (await this.run(`command -v ${shq(tool)} || test -x ${shq(`${GUEST_DIR}/${tool}`)}`)).code === 0;
  }

  async dispose(): Promise<void> {
    for (const io of this.live) io.kill('SIGKILL');
    await this.run(`rm -rf ${this.tmpdir}`).catch(() => undefined);
  }
}
