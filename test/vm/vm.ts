// Test VMs for node tests: a thin typed layer over test/vm/vm.sh (which does the real work, so
// the shell and the TypeScript paths boot exactly the same guests).
//
//   const vm = await startVm({ kernel: '6.1', name: 'ext-ssh', port: 2322 });
//   // ssh to 127.0.0.1:vm.port as root | tester (passwordless sudo) | pwtester (sudo asks
//   // vm.users.pwtester.password) with the private key vm.keyPath; verify the host key against
//   // vm.knownHostsPath (one line '[127.0.0.1]:* ssh-ed25519 AAAA...' shared by all guests).
//   await vm.stop();   // kills only this VM's qemu; the port is free when it resolves
//
// image 'disk' (kernel 6.1 only) boots Debian 12 with systemd as PID 1 from an ext4 disk (its own
// qcow2 overlay) instead of the busybox guest in RAM; only such a guest can reboot() (systemctl
// reboot, same disk) and powerCycle() (SIGKILL to qemu = a power cut, then the same disk again).
//
// A VM left running when the process exits (a crashed test) is stopped by an exit hook.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** A label of test/vm/kernels.tsv (the kernel's major.minor, e.g. '6.1'). */
export type KernelLabel = string;

interface KernelRow {
  label: KernelLabel;
  suites: string[];
  /** booted by `npm run test:kernels` unless other kernels are named */
  matrix: boolean;
}

/** test/vm/kernels.tsv, the one list of kernels the harness boots. */
export function kernelRows(): KernelRow[] {
  return fs
    .readFileSync(path.join(repoRoot(), 'test', 'vm', 'kernels.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const [label, suites, matrix] = l.trim().split(/\s+/);
      return { label, suites: suites.split(','), matrix: matrix === 'yes' };
    });
}
export const KERNELS: readonly KernelLabel[] = kernelRows().map((k) => k.label);
/** initramfs: busybox init, root fs in RAM, every kernel. disk: Debian 12 + systemd on ext4, kernel 6.1. */
export type GuestImage = 'initramfs' | 'disk';

export interface StartVmOptions {
  kernel: KernelLabel;
  /** Letters, digits, '.', '_', '-'; one VM per name at a time. */
  name: string;
  /** 127.0.0.1:port is forwarded to the guest's sshd. */
  port: number;
  /** The kernel's lsm= list; undefined = the harness default (ends in 'bpf'); 'default' = no lsm=. */
  lsm?: string;
  /** Boot timeout in seconds (default 240 for initramfs, 480 for disk: TCG on a busy 2-core host). */
  timeoutS?: number;
  /** Default 'initramfs'. 'disk' needs kernel '6.1'; its first start builds the image (~2-4 min). */
  image?: GuestImage;
  /** vCPUs under TCG (default 1 for initramfs, 2 for disk; two disk guests side by side: 1 each). */
  smp?: number;
}

/** One boot of a guest: its /proc/sys/kernel/random/boot_id and how long it took to answer ssh. */
export interface BootInfo {
  bootId: string;
  seconds: number;
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
  image: GuestImage;
  /** Seconds from qemu's start to the first ssh login (the first boot). */
  bootSeconds: number;
  host: '127.0.0.1';
  keyPath: string;
  knownHostsPath: string;
  users: { root: VmUser; tester: VmUser; pwtester: VmUser };
  /** Runs a shell command in the guest (OpenSSH client over a shared master connection). */
  ssh(command: string, user?: string): Promise<ExecResult>;
  /** Copies a local file into the guest (SFTP). */
  upload(localPath: string, remotePath: string, user?: string): Promise<void>;
  /** The guest's current /proc/sys/kernel/random/boot_id (new on every boot). */
  bootId(): Promise<string>;
  /**
   * Disk guests: `systemctl reboot` in the guest; resolves once ssh answers again with another
   * boot_id (the same qemu, kernel and disk). Rejects for initramfs guests.
   */
  reboot(): Promise<BootInfo>;
  /**
   * Disk guests: a power cut. SIGKILL to qemu (no shutdown: what the guest did not fsync is
   * lost), then the same disk boots again; resolves when ssh answers. Rejects for initramfs guests.
   */
  powerCycle(): Promise<BootInfo>;
  /** Kills this VM's qemu and removes its disk overlay; the port is free when it resolves. */
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

/** A port on 127.0.0.1 that was free a moment ago (for a VM's ssh forward). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Parses 'READY port=.. name=.. pid=.. kernel=.. kver=.. accel=.. lsm=.. image=.. boot_id=.. boot_s=..'. */
export function parseReady(stdout: string): Record<string, string> | undefined {
  return parseStatusLine(stdout, 'READY');
}

/** Parses vm.sh's one-line results, 'WORD key=value ...' (READY, REBOOTED, KILLED, STOPPED). */
export function parseStatusLine(stdout: string, word: string): Record<string, string> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${word} `));
  if (!line) return undefined;
  const kv: Record<string, string> = {};
  for (const part of line.slice(word.length + 1).trim().split(/\s+/)) {
    const i = part.indexOf('=');
    if (i > 0) kv[part.slice(0, i)] = part.slice(i + 1);
  }
  return kv;
}

/** The last 'vm: ...' line vm.sh printed (its one-line reason), else its last line. */
function why(r: ExecResult): string {
  const lines = r.stderr.trim().split('\n');
  return lines.filter((l) => l.startsWith('vm:')).pop() ?? lines.pop() ?? `exit ${r.code}`;
}

export async function startVm(opts: StartVmOptions): Promise<Vm> {
  if (!KERNELS.includes(opts.kernel)) throw new Error(`vm: unknown kernel '${opts.kernel}' (known: ${KERNELS.join(', ')})`);
  const image = opts.image ?? 'initramfs';
  if (image !== 'initramfs' && image !== 'disk') throw new Error(`vm: unknown image '${String(image)}' (initramfs, disk)`);
  if (image === 'disk' && opts.kernel !== '6.1') throw new Error(`vm: image 'disk' runs kernel 6.1 only (not ${opts.kernel})`);
  const timeoutS = opts.timeoutS ?? (image === 'disk' ? 480 : 240);
  const args = ['start', '--kernel', opts.kernel, '--name', opts.name, '--port', String(opts.port), '--timeout', String(timeoutS), '--image', image];
  if (opts.lsm !== undefined) args.push('--lsm', opts.lsm);
  if (opts.smp !== undefined) args.push('--smp', String(opts.smp));
  stopLeftoversOnExit();
  running.add(opts.name);
  // fetching a kernel the first time adds a download (~10 s) to the boot, building the disk image
  // a few minutes; the retry doubles the boot
  const startMs = (timeoutS * 2 + (image === 'disk' ? 900 : 180)) * 1000;
  const r = await run(args, startMs);
  const ready = parseReady(r.stdout);
  if (r.code !== 0 || !ready) {
    running.delete(opts.name);
    await run(['stop', opts.name], 20000);
    throw new Error(`vm: ${opts.name} (kernel ${opts.kernel}, ${image}) did not start: ${why(r)}`);
  }
  const cache = vmCacheDir();
  const name = opts.name;
  let stopped = false;
  const needDisk = (what: string): void => {
    if (image !== 'disk') throw new Error(`vm: ${what}: ${name} is an initramfs guest; only image 'disk' guests can ${what}`);
    if (stopped) throw new Error(`vm: ${what}: ${name} was stopped`);
  };
  const vm: Vm = {
    name,
    port: Number(ready.port),
    kernel: opts.kernel,
    kver: ready.kver ?? '',
    accel: ready.accel === 'kvm' ? 'kvm' : 'tcg',
    image,
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
    bootId: async () => {
      const res = await vm.ssh('cat /proc/sys/kernel/random/boot_id');
      const id = res.stdout.trim();
      if (res.code !== 0 || !/^[0-9a-f-]{36}$/.test(id)) throw new Error(`vm: ${name}: cannot read boot_id: ${res.stderr.trim() || id}`);
      return id;
    },
    reboot: async () => {
      needDisk('reboot');
      const res = await run(['reboot', name, '--timeout', String(timeoutS)], (timeoutS + 120) * 1000);
      const done = parseStatusLine(res.stdout, 'REBOOTED');
      if (res.code !== 0 || !done) throw new Error(`vm: ${name}: reboot failed: ${why(res)}`);
      return { bootId: done.boot_id, seconds: Number(done.reboot_s) };
    },
    powerCycle: async () => {
      needDisk('powerCycle');
      const killed = await run(['kill', name], 30000);
      if (killed.code !== 0) throw new Error(`vm: ${name}: power cut failed: ${why(killed)}`);
      const res = await run([...args, '--reuse-disk'], startMs);
      const again = parseReady(res.stdout);
      if (res.code !== 0 || !again) throw new Error(`vm: ${name}: did not boot again after the power cut: ${why(res)}`);
      return { bootId: again.boot_id, seconds: Number(again.boot_s) };
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const res = await run(['stop', name], 30000);
      running.delete(name);
      if (res.code !== 0) throw new Error(`vm: stop ${name} failed: ${res.stderr.trim()}`);
    },
  };
  return vm;
}
