// Test VMs for node tests: a thin typed layer over test/vm/vm.sh (which does the real work, so
// the shell and the TypeScript paths boot exactly the same guests).
//
//   const vm = await startVm({ kernel: '6.1', name: 'ext-ssh', port: 2322 });
//   // ssh to 127.0.0.1:vm.port as root | tester (passwordless sudo) | pwtester (sudo asks
//   // vm.users.pwtester.password) with the private key vm.keyPath; verify the host key against
//   // vm.knownHostsPath (one line '[127.0.0.1]:* ssh-ed25519 AAAA...' shared by all guests).
//   await vm.stop();   // kills only this VM's qemu; the port is free when it resolves
//
// A VM left running when the process exits (a crashed test) is stopped by an exit hook.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type KernelLabel = '6.1' | '5.10' | '6.12';
export const KERNELS: readonly KernelLabel[] = ['6.1', '5.10', '6.12'];

export interface StartVmOptions {
  kernel: KernelLabel;
  /** Letters, digits, '.', '_', '-'; one VM per name at a time. */
  name: string;
  /** 127.0.0.1:port is forwarded to the guest's sshd. */
  port: number;
  /** The kernel's lsm= list; undefined = the harness default (ends in 'bpf'); 'default' = no lsm=. */
  lsm?: string;
  /** Boot timeout in seconds (default 240: TCG on a busy 2-core host). */
  timeoutS?: number;
}

export interface VmUser {
  name: string;
  /** Password for sudo -S (pwtester only; every user logs in with the key). */
  password?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Vm {
  name: string;
  port: number;
  kernel: KernelLabel;
  /** uname -r of the guest, e.g. 6.1.0-56-amd64 */
  kver: string;
  accel: 'tcg' | 'kvm';
  bootSeconds: number;
  host: '127.0.0.1';
  keyPath: string;
  knownHostsPath: string;
  users: { root: VmUser; tester: VmUser; pwtester: VmUser };
  /** Runs a shell command in the guest (OpenSSH client over a shared master connection). */
  ssh(command: string, user?: string): Promise<ExecResult>;
  /** Copies a local file into the guest (SFTP). */
  upload(localPath: string, remotePath: string, user?: string): Promise<void>;
  stop(): Promise<void>;
}

/** The repository root (holds test/vm/vm.sh), from the source or the compiled out/ tree. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'test', 'vm', 'vm.sh')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`vm: cannot find test/vm/vm.sh above ${__dirname}`);
    dir = up;
  }
}

const VM_SH = (): string => path.join(repoRoot(), 'test', 'vm', 'vm.sh');

export function vmCacheDir(): string {
  return process.env.KW_VM ?? path.join(process.env.KW_CACHE ?? '/var/tmp/kwitness', 'vm');
}

/** vm.sh processes still running (a start in progress is ended by stopAll, its trap kills its qemu). */
const inFlight = new Set<ChildProcess>();

function run(args: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile('bash', [VM_SH(), ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      inFlight.delete(child);
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    inFlight.add(child);
  });
}

const running = new Set<string>();
let hooked = false;
function stopAll(): void {
  for (const child of inFlight) child.kill('SIGTERM');
  for (const name of running) {
    try {
      execFileSync('bash', [VM_SH(), 'stop', name], { stdio: 'ignore', timeout: 15000 });
    } catch {
      /* best effort while exiting */
    }
  }
  running.clear();
}
function stopLeftoversOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', stopAll);
  // a signal ends node without 'exit': stop the VMs, then die of the same signal
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      stopAll();
      process.kill(process.pid, sig);
    });
  }
}

/** Parses 'READY port=.. name=.. pid=.. kernel=.. kver=.. accel=.. lsm=.. boot_s=..'. */
export function parseReady(stdout: string): Record<string, string> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('READY '));
  if (!line) return undefined;
  const kv: Record<string, string> = {};
  for (const part of line.slice(6).trim().split(/\s+/)) {
    const i = part.indexOf('=');
    if (i > 0) kv[part.slice(0, i)] = part.slice(i + 1);
  }
  return kv;
}

export async function startVm(opts: StartVmOptions): Promise<Vm> {
  if (!KERNELS.includes(opts.kernel)) throw new Error(`vm: unknown kernel '${opts.kernel}' (known: ${KERNELS.join(', ')})`);
  const timeoutS = opts.timeoutS ?? 240;
  const args = ['start', '--kernel', opts.kernel, '--name', opts.name, '--port', String(opts.port), '--timeout', String(timeoutS)];
  if (opts.lsm !== undefined) args.push('--lsm', opts.lsm);
  stopLeftoversOnExit();
  running.add(opts.name);
  // fetching a kernel the first time adds a download (~10 s) to the boot; the retry doubles it
  const r = await run(args, (timeoutS * 2 + 180) * 1000);
  const ready = parseReady(r.stdout);
  if (r.code !== 0 || !ready) {
    running.delete(opts.name);
    await run(['stop', opts.name], 20000);
    const why = r.stderr.trim().split('\n').filter((l) => l.startsWith('vm:')).pop() ?? r.stderr.trim().split('\n').pop();
    throw new Error(`vm: ${opts.name} (kernel ${opts.kernel}) did not start: ${why ?? `exit ${r.code}`}`);
  }
  const cache = vmCacheDir();
  const name = opts.name;
  let stopped = false;
  return {
    name,
    port: Number(ready.port),
    kernel: opts.kernel,
    kver: ready.kver ?? '',
    accel: ready.accel === 'kvm' ? 'kvm' : 'tcg',
    bootSeconds: Number(ready.boot_s),
    host: '127.0.0.1',
    keyPath: path.join(cache, 'keys', 'id_ed25519'),
    knownHostsPath: path.join(cache, 'keys', 'known_hosts'),
    users: {
      root: { name: 'root' },
      tester: { name: 'tester' },
      pwtester: { name: 'pwtester', password: process.env.KW_VM_PWTESTER_PASSWORD ?? 'pwtester' },
    },
    ssh: (command, user = 'root') => run(['ssh', name, '-u', user, command], 600000),
    upload: async (localPath, remotePath, user = 'root') => {
      const res = await run(['scp', name, '-u', user, localPath, `vm:${remotePath}`], 120000);
      if (res.code !== 0) throw new Error(`vm: upload ${localPath} -> ${name}:${remotePath} failed: ${res.stderr.trim()}`);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const res = await run(['stop', name], 30000);
      running.delete(name);
      if (res.code !== 0) throw new Error(`vm: stop ${name} failed: ${res.stderr.trim()}`);
    },
  };
}
