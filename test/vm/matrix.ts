// The kernel matrix: for each Debian kernel, boot a guest (one at a time: 2 cores), copy the real
// agent and the trigger programs in over SSH, print `kwitness-agent probe`, then run the event
// cases once per attach mode the guest offers (--attach fentry|kprobe|tracepoint) and once with
// auto (which must pick fentry where it loads), plus the checks only guests can make (BPF LSM
// reported only when 'bpf' is in /sys/kernel/security/lsm; io_uring unlinks).
//
//   node out/test/vm/matrix.js [--kernels 6.1,5.10,6.12] [--port 2350] [--lsm-guest 6.1|none]
//                              [--json test-results/vm-matrix.json]
// Prints 'ok'/'FAIL' lines, one table kernel x mode -> passed/failed, and last the plain line
// 'N passed, N failed'. Exit status 0 only when nothing failed.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AttachMode, Family, KwEvent, ProbeReport, ReadyRecord } from '../../src/core/events';
import { isKwEvent } from '../../src/core/events';
import { KERNELS, KernelLabel, repoRoot, startVm, Vm } from './vm';
import { SshTarget } from './ssh-target';
import { VM_CASES } from './cases';

type Mode = AttachMode | 'auto';
const MODES: AttachMode[] = ['fentry', 'kprobe', 'tracepoint'];
const FAMILIES: Family[] = ['unlink', 'create', 'exec'];
const LSM_WITHOUT_BPF = 'landlock,lockdown,yama,integrity,apparmor';

interface Cell { pass: number; fail: number; skip: number; seconds: number; note?: string }
interface KernelResult {
  kernel: KernelLabel;
  kver?: string;
  bootSeconds?: number;
  probe?: ProbeReport | { raw: string };
  cells: Partial<Record<Mode | 'probe' | 'lsm', Cell>>;
  error?: string;
}

let passed = 0;
let failed = 0;
const failures: string[] = [];
function report(cell: Cell, label: string, ok: boolean, detail?: string): void {
  if (ok) { passed++; cell.pass++; console.log(`ok   - ${label}`); return; }
  failed++; cell.fail++;
  failures.push(label);
  console.log(`FAIL - ${label}`);
  if (detail) for (const l of detail.split('\n')) console.log(`       ${l}`);
}
const newCell = (): Cell => ({ pass: 0, fail: 0, skip: 0, seconds: 0 });
const now = (): number => Number(process.hrtime.bigint() / 1000000n) / 1000;

function parseArgs(argv: string[]): { kernels: KernelLabel[]; port: number; lsmGuest: string; json: string } {
  const o = { kernels: [...KERNELS] as KernelLabel[], port: 2350, lsmGuest: '6.1', json: path.join(repoRoot(), 'test-results', 'vm-matrix.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`matrix: ${a} needs a value`);
    if (a === '--kernels') {
      o.kernels = v.split(',').map((k) => {
        if (!KERNELS.includes(k as KernelLabel)) throw new Error(`matrix: unknown kernel '${k}' (known: ${KERNELS.join(', ')})`);
        return k as KernelLabel;
      });
    } else if (a === '--port') o.port = Number(v);
    else if (a === '--lsm-guest') o.lsmGuest = v;
    else if (a === '--json') o.json = path.resolve(v);
    else throw new Error(`matrix: unknown option '${a}'`);
    i++;
  }
  return o;
}

/** Local files copied into every guest: the agent, and the trigger programs that were built. */
function artifacts(): { agent: string; files: string[] } {
  const root = repoRoot();
  const agent = path.join(root, 'dist', 'agent', 'kwitness-agent-x86_64');
  if (!fs.existsSync(agent)) throw new Error(`matrix: agent not built: ${agent} is missing (run scripts/build.sh)`);
  const files = [agent];
  for (const f of [path.join(root, 'build', 'kw-trigger'), path.join(root, 'build', 'vm', 'kw-iouring-unlink')]) {
    if (fs.existsSync(f)) files.push(f);
  }
  return { agent, files };
}

/** Runs every applicable case under one agent started with --attach mode. */
async function runMode(t: SshTarget, probe: ProbeReport, mode: Mode, label: string, cell: Cell): Promise<void> {
  const t0 = now();
  // forced modes trace only the families that can use them; auto traces all
  const fams = mode === 'auto' ? FAMILIES : FAMILIES.filter((f) => probe.families[f]?.includes(mode));
  const agent = t.startAgent(['trace', fams.join(','), '--format', 'json', '--attach', mode]);
  let ready: ReadyRecord;
  try {
    ready = await agent.ready();
  } catch (e) {
    report(cell, `${label} agent starts and reports ready`, false, (e as Error).message);
    await agent.stop();
    cell.seconds = now() - t0;
    return;
  }
  // the ready record names the mode of every probe: forced = that mode; auto = fentry where it loads
  const wrong = ready.probes.filter((p) => {
    if (mode !== 'auto') return p.mode !== mode;
    const offered = probe.families[p.family] ?? [];
    const best = MODES.find((m) => offered.includes(m));
    return p.mode !== best;
  });
  report(cell, `${label} ready after ${(now() - t0).toFixed(1)}s, probes ${ready.probes.map((p) => `${p.family}=${p.mode}(${p.probe})`).join(' ')}`,
    wrong.length === 0 && ready.probes.length > 0,
    wrong.length ? `expected ${mode === 'auto' ? 'the best offered mode (fentry first)' : mode} for: ${wrong.map((p) => `${p.family} got ${p.mode}`).join(', ')}` : 'no probes in ready');
  const modeOf = (f: Family): AttachMode | undefined => ready.probes.find((p) => p.family === f)?.mode;

  const tools = new Map<string, boolean>();
  for (const [i, c] of VM_CASES.entries()) {
    const name = `${label} ${c.name}`;
    if (!c.families.every((f) => fams.includes(f))) { cell.skip++; console.log(`skip - ${name} (family not offered in ${mode})`); continue; }
    const eff = modeOf(c.families[0]);
    if (c.modes && (!eff || !c.modes.includes(eff))) { cell.skip++; console.log(`skip - ${name} (only in ${c.modes.join('/')})`); continue; }
    let missingTool: string | undefined;
    for (const tool of c.needs ?? []) {
      if (!tools.has(tool)) tools.set(tool, await t.has(tool));
      if (!tools.get(tool)) missingTool = tool;
    }
    if (missingTool) { cell.skip++; console.log(`skip - ${name} (${missingTool} not available)`); continue; }
    const d = `/tmp/kwc/${mode}-${i}`;
    await t.runAsRoot(`rm -rf ${d} && mkdir -p ${d} && chmod 777 ${d}`);
    const tc = now();
    const r = await t.run(`D=${d}; ${c.trigger}`);
    if (c.unsupportedExit !== undefined && r.code === c.unsupportedExit) {
      cell.skip++; console.log(`skip - ${name} (kernel cannot: ${r.stdout.trim()})`); continue;
    }
    if (r.code !== 0) { report(cell, name, false, `trigger exited ${r.code}: ${(r.stdout + r.stderr).trim()}`); continue; }
    const out: Record<string, string> = {};
    for (const m of r.stdout.matchAll(/([a-z_]+)=(\S+)/g)) out[m[1]] = m[2];
    const missing: string[] = [];
    for (const x of c.expect(d, out)) {
      const hit = await agent.waitFor((rec) => isKwEvent(rec) && x.match(rec), 10000);
      if (!hit) missing.push(x.what);
    }
    const near = agent.records.filter((rec): rec is KwEvent => isKwEvent(rec) && JSON.stringify(rec).includes(d));
    report(cell, `${name} (${(now() - tc).toFixed(1)}s)`, missing.length === 0,
      `missing: ${missing.join('; ')}\n${near.length} events mention ${d}:\n${near.slice(0, 4).map((e) => JSON.stringify(brief(e))).join('\n')}`);
  }
  const errs = agent.records.filter((x) => x.type === 'error');
  const lost = agent.records.filter((x) => x.type === 'lost');
  const end = await agent.stop();
  report(cell, `${label} agent exits 0 on stdin EOF, no junk on stdout, no error records`,
    end.code === 0 && agent.junk.length === 0 && errs.length === 0,
    `exit ${end.code}; stderr: ${end.stderr.trim().split('\n').slice(-3).join(' | ')}; junk: ${agent.junk.slice(0, 2).join(' | ')}; errors: ${errs.map((e) => JSON.stringify(e)).slice(0, 3).join(' ')}`);
  if (lost.length) console.log(`       note: ${lost.length} lost records: ${JSON.stringify(lost[lost.length - 1])}`);
  cell.seconds = now() - t0;
}

function brief(e: KwEvent): Record<string, unknown> {
  const { type, pid, comm, exe, ret, probe } = e;
  const extra = e.type === 'exec' ? { filename: e.filename, argv: e.argv } : e.type === 'exit' ? {} : { op: e.op, path: e.path, ...(e.type === 'unlink' ? { last_link: e.last_link } : {}) };
  return { type, ...extra, pid, comm, exe, ret, probe };
}

/** The guest's users behave as documented (vm.sh contract the other suites rely on). */
async function harnessChecks(vm: Vm, cell: Cell, label: string): Promise<void> {
  const r1 = await vm.ssh('id -u; uname -r', 'root');
  report(cell, `${label} root logs in with the key; uname -r = ${vm.kver}`, r1.code === 0 && r1.stdout === `0\n${vm.kver}\n`, r1.stdout + r1.stderr);
  const r2 = await vm.ssh('id -un; sudo -n id -u', 'tester');
  report(cell, `${label} tester: passwordless sudo`, r2.code === 0 && r2.stdout === 'tester\n0\n', r2.stdout + r2.stderr);
  const pw = vm.users.pwtester.password ?? '';
  const r3 = await vm.ssh(`sudo -n true; echo rc=$?; echo '${pw}' | sudo -S -p '' id -u`, 'pwtester');
  report(cell, `${label} pwtester: sudo -n refused (password required), sudo -S with the password works`,
    r3.stdout === 'rc=1\n0\n' && /password is required/.test(r3.stderr), r3.stdout + r3.stderr);
}

/** Stops the VM and checks that nothing is left: no qemu of that name, the port free again. */
async function stopAndCheck(vm: Vm, cell: Cell, label: string): Promise<void> {
  try {
    await vm.stop();
  } catch (e) {
    report(cell, `${label} vm.sh stop`, false, (e as Error).message);
    return;
  }
  const qemus = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`kwvm-${vm.name} `));
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(vm.port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  report(cell, `${label} stop leaves no qemu and frees 127.0.0.1:${vm.port}`, qemus.length === 0 && free,
    `qemu left: ${qemus.join(' | ') || 'none'}; port free: ${free}`);
}

async function probeOf(t: SshTarget, cell: Cell, label: string, lsmFile: string): Promise<ProbeReport | undefined> {
  const r = await t.agentOnce(['probe']);
  let p: ProbeReport | undefined;
  try { p = JSON.parse(r.stdout) as ProbeReport; } catch { /* reported below */ }
  report(cell, `${label} probe prints one JSON report`, r.code === 0 && p !== undefined && !p.error,
    `exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 400)}`);
  if (!p) return undefined;
  const lsm = lsmFile.trim().split(',').filter(Boolean);
  report(cell, `${label} probe: lsm = /sys/kernel/security/lsm (${lsm.join(',')}), lsm_bpf ${lsm.includes('bpf')}`,
    JSON.stringify(p.lsm) === JSON.stringify(lsm) && p.lsm_bpf === lsm.includes('bpf'),
    `probe said lsm=${JSON.stringify(p.lsm)} lsm_bpf=${p.lsm_bpf}`);
  return p;
}

async function runKernel(k: KernelLabel, port: number, lsmGuest: boolean, files: string[]): Promise<KernelResult> {
  const res: KernelResult = { kernel: k, cells: {} };
  const pc = (res.cells.probe = newCell());
  let vm: Vm | undefined;
  try {
    vm = await startVm({ kernel: k, name: `kw-matrix-${k}`, port });
    res.kver = vm.kver;
    res.bootSeconds = vm.bootSeconds;
    console.log(`# kernel ${k}: ${vm.kver}, booted to ssh in ${vm.bootSeconds}s (${vm.accel})`);
    const root = new SshTarget(vm);
    await harnessChecks(vm, pc, `[${k}]`);
    const t0 = now();
    await root.install(files);
    console.log(`# copied ${files.map((f) => path.basename(f)).join(', ')} in ${(now() - t0).toFixed(1)}s`);
    const lsmFile = (await root.run('cat /sys/kernel/security/lsm')).stdout;
    const probe = await probeOf(root, pc, `[${k}]`, lsmFile);
    if (probe) {
      res.probe = probe;
      console.log(`# probe ${k}: ${JSON.stringify(probe)}`);
      const offered = MODES.filter((m) => FAMILIES.some((f) => probe.families[f]?.includes(m)));
      report(pc, `[${k}] probe offers fentry and kprobe for unlink on a stock Debian kernel`,
        ['fentry', 'kprobe'].every((m) => probe.families.unlink?.includes(m as AttachMode)),
        `families: ${JSON.stringify(probe.families)}`);
      for (const m of offered) {
        const cell = (res.cells[m] = newCell());
        await runMode(root, probe, m, `[${k} ${m}]`, cell);
      }
      // auto runs as 'tester' through sudo -n: the way the extension runs it on most hosts
      const tester = new SshTarget(vm, { user: 'tester' });
      const cell = (res.cells.auto = newCell());
      await runMode(tester, probe, 'auto', `[${k} auto/sudo]`, cell);
    }
  } catch (e) {
    res.error = (e as Error).message;
    report(pc, `[${k}] guest runs`, false, res.error);
  } finally {
    if (vm) await stopAndCheck(vm, pc, `[${k}]`);
  }
  if (lsmGuest && res.probe) {
    // BPF LSM must be reported only when 'bpf' is in the active list: boot without it
    const lc = (res.cells.lsm = newCell());
    const t0 = now();
    let vm2: Vm | undefined;
    try {
      vm2 = await startVm({ kernel: k, name: `kw-matrix-${k}-nolsm`, port, lsm: LSM_WITHOUT_BPF });
      const t = new SshTarget(vm2);
      await t.install([files[0]]);
      const lsmFile = (await t.run('cat /sys/kernel/security/lsm')).stdout;
      report(lc, `[${k} lsm=${LSM_WITHOUT_BPF}] guest booted without bpf in the LSM list`, !lsmFile.split(',').includes('bpf'), lsmFile);
      const p = await probeOf(t, lc, `[${k} lsm=${LSM_WITHOUT_BPF}]`, lsmFile);
      report(lc, `[${k} lsm=${LSM_WITHOUT_BPF}] probe says lsm_bpf false`, p?.lsm_bpf === false, `lsm_bpf=${p?.lsm_bpf}`);
    } catch (e) {
      report(lc, `[${k} lsm=${LSM_WITHOUT_BPF}] guest runs`, false, (e as Error).message);
    } finally {
      if (vm2) await stopAndCheck(vm2, lc, `[${k} lsm=${LSM_WITHOUT_BPF}]`);
    }
    lc.seconds = now() - t0;
  }
  return res;
}

function table(results: KernelResult[]): string {
  const cols: (Mode | 'probe' | 'lsm')[] = ['probe', 'fentry', 'kprobe', 'tracepoint', 'auto', 'lsm'];
  const head = ['kernel', 'release', 'boot s', ...cols.map((c) => (c === 'auto' ? 'auto (sudo)' : c === 'lsm' ? 'lsm= without bpf' : c === 'probe' ? 'guest + probe' : c))];
  const rows = results.map((r) => [
    r.kernel, r.kver ?? '-', r.bootSeconds !== undefined ? r.bootSeconds.toFixed(1) : '-',
    ...cols.map((c) => {
      const x = r.cells[c];
      if (!x) return c === 'lsm' ? '' : 'not offered';
      return `${x.pass} passed, ${x.fail} failed${x.skip ? `, ${x.skip} skipped` : ''}${x.seconds ? ` (${x.seconds.toFixed(0)}s)` : ''}`;
    }),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const t0 = now();
  const { files } = artifacts();
  const results: KernelResult[] = [];
  for (const k of o.kernels) results.push(await runKernel(k, o.port, o.lsmGuest === k, files));
  console.log('\n# kernel x attach mode (each cell: passed/failed checks, suite time)');
  console.log(table(results));
  console.log('\n# probe output per kernel');
  for (const r of results) console.log(`${r.kernel}: ${JSON.stringify(r.probe ?? r.error ?? 'none')}`);
  fs.mkdirSync(path.dirname(o.json), { recursive: true });
  fs.writeFileSync(o.json, JSON.stringify({ when: new Date().toISOString(), seconds: now() - t0, results }, null, 1));
  if (failures.length) console.log(`\n# failed: ${failures.length}\n${failures.map((f) => `#   ${f}`).join('\n')}`);
  console.log(`# total ${(now() - t0).toFixed(0)}s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

main().catch((e: Error) => {
  console.log(`matrix: ${e.message}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exitCode = 1;
});

