// The kernel matrix: for each Debian kernel, boot a guest (one at a time: 2 cores), copy the real
// agent and the trigger programs in over SSH, print `kwitness-agent probe`, then run the event
// cases once per attach mode the guest offers (--attach fentry|kprobe|tracepoint) and once with
// auto (which must pick fentry where it loads), plus the checks only guests can make (BPF LSM
// reported only when 'bpf' is in /sys/kernel/security/lsm; io_uring unlinks).
//
//   node out/test/vm/matrix.js [--kernels 6.1,5.10,...] [--port 2350] [--lsm-guest 6.1|none]
//   (default: the kernels of test/vm/kernels.tsv marked for the matrix)
//                              [--json test-results/vm-matrix.json] [--auto-cases REGEX]
// --auto-cases limits the auto run (after its mode-selection check) to the cases whose names
// match (the CI suite uses it to stay well under 10 minutes; the matrix runs all).
// Prints 'ok'/'FAIL' lines, one table kernel x mode -> passed/failed, and last the plain line
// 'N passed, N failed'. Exit status 0 only when nothing failed.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AttachMode, Family, ProbeReport, ReadyRecord } from '../../src/core/events';
import { CASES } from '../agent/cases';
import { cgroup2Mount, runCase, sleep, type Format } from '../agent/suite';
import { KERNELS, KernelLabel, kernelRows, repoRoot, startVm, Vm } from './vm';
import { VmTarget } from './ssh-target';
import { freePort } from '../ssh/harness';
import { VM_CASES } from './cases';
import { GUARD_CASES } from '../agent/guard-cases';
import { runGuardCase, runGuardWatch } from '../agent/guard-suite';

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
  cells: Partial<Record<Mode | 'probe' | 'lsm' | 'guard', Cell>>;
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

interface Opts { kernels: KernelLabel[]; port: number; lsmGuest: string; json: string; autoCases?: RegExp }
function parseArgs(argv: string[]): Opts {
  const o: Opts = { kernels: kernelRows().filter((k) => k.matrix).map((k) => k.label), port: 0, lsmGuest: '6.1', json: path.join(repoRoot(), 'test-results', 'vm-matrix.json') };
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
    else if (a === '--auto-cases') o.autoCases = new RegExp(v, 'i');
    else throw new Error(`matrix: unknown option '${a}'`);
    i++;
  }
  return o;
}

type Files = { local: string; name?: string }[];
/** Local files copied into every guest: the agent (KW_AGENT overrides), and the triggers that were built. */
function artifacts(): Files {
  const root = repoRoot();
  const agent = process.env.KW_AGENT ?? path.join(root, 'dist', 'agent', 'kwitness-agent-x86_64');
  if (!fs.existsSync(agent)) throw new Error(`matrix: agent not built: ${agent} is missing (run scripts/build.sh)`);
  const files: Files = [{ local: agent, name: 'kwitness-agent' }];
  for (const f of [path.join(root, 'build', 'kw-trigger'), path.join(root, 'build', 'kw-stack-victim'), path.join(root, 'build', 'kw-stack-victim-go'), path.join(root, 'build', 'vm', 'kw-iouring')]) {
    if (fs.existsSync(f)) files.push({ local: f });
  }
  return files;
}

// json only by default: under TCG every agent start costs seconds, and json/wire parity is already
// proven on the host (test/agent); KW_VM_FORMATS=json,wire runs both at once here too.
const FORMATS = (process.env.KW_VM_FORMATS ?? 'json').split(',') as Format[];
const CASE_FILTER = process.env.KW_CASE_FILTER ? new RegExp(process.env.KW_CASE_FILTER, 'i') : undefined;
// cases left out of this run (reported as skipped), e.g. the CI suite leaves out bulk cases
const CASE_SKIP = process.env.KW_VM_SKIP_CASES ? new RegExp(process.env.KW_VM_SKIP_CASES, 'i') : undefined;
// Tracepoint mode learns dev/ino/last_link (and a rename's victim) from ext4's tracepoint or the
// 6.13+ ctime tracepoints (native/README.md). These guests' files live in an in-RAM root fs on
// kernels < 6.13, so in that mode the agent reports them unknown (dev 0) by design: the cases
// that assert inode facts run in fentry/kprobe mode here, and in tracepoint mode on the host (ext4).
const TP_NO_INODE = /^(rm \(coreutils, unlinkat\) of a file|hard links|rename over an existing file|mkdir, mknod, link, symlink)/;

/** Every case of test/agent/cases.ts + test/vm/cases.ts that applies, with --attach mode. */
async function runMode(t: VmTarget, probe: ProbeReport, mode: Mode, label: string, cell: Cell, only?: RegExp): Promise<void> {
  const t0 = now();
  const modesFor = (fams: Family[]): AttachMode[] => MODES.filter((m) => fams.every((f) => probe.families[f]?.includes(m)));
  // auto: the ready record must name, per probe, the best mode probe reported (fentry first)
  if (mode === 'auto') {
    const agent = t.startAgent(['trace', FAMILIES.join(','), '--format', 'json', '--attach', 'auto']);
    try {
      const ready = (await agent.waitFor((r) => r.type === 'ready', 60000, 'ready')) as ReadyRecord;
      // Events come from syscall-exit tracepoints in every mode (native/README.md); per family the
      // VFS hooks must use the best mode probe reported, and no worse hook mode may appear.
      const best = (f: Family) => MODES.find((m) => probe.families[f]?.includes(m));
      // (32-bit syscalls come through kprobes on their own entry points whenever kprobes work:
      // a raw tracepoint would run on every syscall of the machine; bpf/ia32.bpf.h)
      const ia32 = (p: { probe: string; mode: string }) => p.mode === 'kprobe' && /^kretprobe:__ia32_/.test(p.probe);
      const wrong = ready.probes.filter((p) => p.mode !== 'tracepoint' && (p.family === 'guard' || p.family === 'func' || p.family === 'stacks' || p.mode !== best(p.family)) && !ia32(p));
      const missingBest = FAMILIES.filter((f) => best(f) && !ready.probes.some((p) => p.family === f && p.mode === best(f)));
      report(cell, `${label} --attach auto picks the best mode per family: ${[...new Set(ready.probes.map((p) => `${p.family}=${p.mode}`))].join(' ')}`,
        wrong.length === 0 && missingBest.length === 0,
        `wrong: ${wrong.map((p) => `${p.probe} (${p.mode})`).join(', ') || '-'}; families without their best mode: ${missingBest.join(', ') || '-'}; probe families: ${JSON.stringify(probe.families)}`);
    } catch (e) {
      report(cell, `${label} --attach auto reaches ready`, false, (e as Error).message);
    }
    agent.closeStdin();
    const ex = await Promise.race([agent.exited, sleep(60000).then(() => undefined)]); // a safety net (TCG guest, loaded host)
    if (!ex) agent.kill('SIGKILL');
    report(cell, `${label} agent (through sudo) exits 0 on stdin EOF`, ex?.code === 0, `exit ${JSON.stringify(ex)}; stderr ${agent.stderr.trim().slice(0, 300)}`);
  }
  const cg2 = await cgroup2Mount(t);
  for (const c of [...CASES, ...VM_CASES].filter((x) => (!CASE_FILTER || CASE_FILTER.test(x.name)) && (!only || only.test(x.name)))) {
    const name = `${label} ${c.name}`;
    if (CASE_SKIP?.test(c.name)) { skip(cell, name, 'left out of this run (KW_VM_SKIP_CASES)'); continue; }
    if (mode === 'tracepoint' && TP_NO_INODE.test(c.name)) { skip(cell, name, 'tracepoint mode has no inode source on this in-RAM root fs before 6.13 (native/README.md)'); continue; }
    const offered = modesFor(c.families);
    if (mode !== 'auto' && !offered.includes(mode)) { skip(cell, name, `${mode} not offered for ${c.families.join(',')}`); continue; }
    // with auto the agent picks the best offered mode: a case limited to some modes follows it
    const eff = mode === 'auto' ? offered[0] : mode;
    if (c.modes && (!eff || !c.modes.includes(eff))) { skip(cell, name, `case is for ${c.modes.join('/')} only`); continue; }
    let missing: string | undefined;
    for (const n of c.needs ?? []) if (!(await t.has(n))) { missing = n; break; }
    if (missing) { skip(cell, name, `needs ${missing}`); continue; }
    const tc = now();
    try {
      const res = await runCase(t, c, { mode, formats: FORMATS, cgroup2: cg2 });
      const problems = Object.values(res.problems).flat();
      const counts = res.runs.map((r) => `${r.format} ${r.events.length}${r.lostTotal ? ` (${r.lostTotal} lost)` : ''}`).join(', ');
      report(cell, `${name} [${counts} events, ${(now() - tc).toFixed(1)}s]`, problems.length === 0, problems.slice(0, 12).join('\n'));
    } catch (e) {
      report(cell, `${name}`, false, `harness: ${(e as Error).message}`);
    }
  }
  cell.seconds = now() - t0;
}

/** The guard's cases with --attach `attach`; the ready record must name `expect`. */
async function runGuard(t: VmTarget, label: string, cell: Cell, attach: 'auto' | 'lsm' | 'fmod_ret', expect: 'lsm' | 'fmod_ret'): Promise<void> {
  const t0 = now();
  for (const c of GUARD_CASES) {
    const name = `${label} guard --attach ${attach} (${expect}): ${c.name}`;
    if (CASE_FILTER && !CASE_FILTER.test(c.name)) { skip(cell, name, 'KW_CASE_FILTER'); continue; }
    try {
      const p = await runGuardCase(t, c, { attach, expect });
      report(cell, name, p.length === 0, p.join('\n'));
    } catch (e) {
      report(cell, name, false, (e as Error).message);
    }
  }
  cell.seconds += now() - t0;
}

/** A guard that cannot work must say why in one line and attach nothing. */
async function guardRefuses(t: VmTarget, label: string, cell: Cell, args: string[], why: RegExp): Promise<void> {
  const r = await t.run(`touch /tmp/kw-guard-refuse; ${t.agentPath} ${args.join(' ')} --deny-delete /tmp/kw-guard-refuse < /dev/null; echo "rc=$?"; bpftool prog show | grep -cE 'name kw_(lsm|fmr)_' || true`);
  const lines = r.stderr.trim().split('\n');
  report(cell, `${label} ${args.join(' ')} refuses in one line naming the cause, nothing attached`,
    /rc=1\n0\n?$/.test(r.stdout) && lines.length === 1 && why.test(lines[0]) && !r.stdout.includes('"ready"'),
    `stdout ${r.stdout.trim().slice(0, 300)}; stderr ${r.stderr.trim().slice(0, 300)}`);
}

function skip(cell: Cell, name: string, why: string): void {
  cell.skip++;
  console.log(`skip - ${name} (${why})`);
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

async function probeOf(t: VmTarget, cell: Cell, label: string, lsmFile: string): Promise<ProbeReport | undefined> {
  const r = await t.run(`${t.agentPath} probe`);
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

async function runKernel(k: KernelLabel, port: number, lsmGuest: boolean, files: Files, autoCases?: RegExp): Promise<KernelResult> {
  const res: KernelResult = { kernel: k, cells: {} };
  const pc = (res.cells.probe = newCell());
  let vm: Vm | undefined;
  try {
    vm = await startVm({ kernel: k, name: `kw-matrix-${k}-${process.pid}`, port }); // per run: runs may overlap
    res.kver = vm.kver;
    res.bootSeconds = vm.bootSeconds;
    console.log(`# kernel ${k}: ${vm.kver}, booted to ssh in ${vm.bootSeconds}s (${vm.accel})`);
    const root = new VmTarget(vm);
    await harnessChecks(vm, pc, `[${k}]`);
    const t0 = now();
    await root.install(files);
    console.log(`# copied ${files.map((f) => path.basename(f.local)).join(', ')} in ${(now() - t0).toFixed(1)}s`);
    const lsmFile = (await root.run('cat /sys/kernel/security/lsm')).stdout;
    const probe = await probeOf(root, pc, `[${k}]`, lsmFile);
    if (probe) {
      res.probe = probe;
      console.log(`# probe ${k}: ${JSON.stringify(probe)}`);
      const offered = MODES.filter((m) => FAMILIES.some((f) => probe.families[f]?.includes(m)));
      report(pc, `[${k}] probe: a guard uses ${probe.lsm_bpf ? 'BPF LSM' : 'fmod_ret'} here`, probe.guard?.mechanism === (probe.lsm_bpf ? 'lsm' : 'fmod_ret'), `guard: ${JSON.stringify(probe.guard)}`);
      report(pc, `[${k}] probe offers fentry and kprobe for unlink on a stock Debian kernel`,
        ['fentry', 'kprobe'].every((m) => probe.families.unlink?.includes(m as AttachMode)),
        `families: ${JSON.stringify(probe.families)}`);
      // io_uring is seen through functions 7.x renamed: the probe names the ones this kernel has
      const kallsyms = await root.run("awk '$2 ~ /^[tT]$/ {print $3}' /proc/kallsyms", { timeoutMs: 60000 });
      const has = new Set(kallsyms.stdout.split('\n'));
      const want = { unlink: ['do_unlinkat', 'filename_unlinkat'], rmdir: ['do_rmdir', 'filename_rmdir'], mkdir: ['do_mkdirat', 'filename_mkdirat'],
        rename: ['do_renameat2', 'filename_renameat2'], open: ['do_filp_open', 'do_file_open'] };
      const expected = Object.fromEntries(Object.entries(want).map(([op, names]) => [op, names.find((n) => has.has(n)) ?? null]));
      report(pc, `[${k}] probe names io_uring's entry points as this kernel does (${Object.values(expected).join(', ')})`,
        JSON.stringify(probe.io_uring) === JSON.stringify(expected), `probe: ${JSON.stringify(probe.io_uring)}, kallsyms: ${JSON.stringify(expected)}`);
      for (const m of offered) {
        const cell = (res.cells[m] = newCell());
        await runMode(root, probe, m, `[${k} ${m}]`, cell);
      }
      // auto: the agent runs as 'tester' through sudo -n, the way the extension runs it on most hosts
      const tester = new VmTarget(vm, { agentUser: 'tester' });
      await tester.install([]);
      const cell = (res.cells.auto = newCell());
      await runMode(tester, probe, 'auto', `[${k} auto/sudo]`, cell, autoCases);
      // guard: BPF LSM where 'bpf' is active (auto, through sudo), and fmod_ret when asked for
      const gc = (res.cells.guard = newCell());
      await runGuard(tester, `[${k} auto/sudo]`, gc, 'auto', probe.lsm_bpf ? 'lsm' : 'fmod_ret');
      await runGuard(root, `[${k}]`, gc, 'fmod_ret', 'fmod_ret');
      if (!CASE_FILTER || CASE_FILTER.test('guard as a watch')) {
        const p = await runGuardWatch(root, probe.lsm_bpf ? 'lsm' : 'fmod_ret').catch((e: Error) => [e.message]);
        report(gc, `[${k}] a guard as a watch refuses with no client, journals the refusal, and watch stop removes it`, p.length === 0, p.join('\n'));
      }
      await root.dispose();
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
      vm2 = await startVm({ kernel: k, name: `kw-matrix-${k}-nolsm-${process.pid}`, port, lsm: LSM_WITHOUT_BPF });
      const t = new VmTarget(vm2);
      await t.install([files[0]]);
      const lsmFile = (await t.run('cat /sys/kernel/security/lsm')).stdout;
      report(lc, `[${k} lsm=${LSM_WITHOUT_BPF}] guest booted without bpf in the LSM list`, !lsmFile.split(',').includes('bpf'), lsmFile);
      const p = await probeOf(t, lc, `[${k} lsm=${LSM_WITHOUT_BPF}]`, lsmFile);
      report(lc, `[${k} lsm=${LSM_WITHOUT_BPF}] probe says lsm_bpf false`, p?.lsm_bpf === false, `lsm_bpf=${p?.lsm_bpf}`);
      report(lc, `[${k} lsm=${LSM_WITHOUT_BPF}] probe: a guard uses fmod_ret, and says BPF LSM programs would never run`,
        p?.guard?.mechanism === 'fmod_ret' && /'bpf' is not in the active LSM list, so BPF LSM programs would never run/.test(p.guard.note ?? ''), `guard: ${JSON.stringify(p?.guard)}`);
      // a BPF LSM program would load here and never run: the guard must not use one
      await t.install(files.slice(1));
      await guardRefuses(t, `[${k} lsm=${LSM_WITHOUT_BPF}]`, lc, ['guard', '--attach', 'lsm'], /BPF LSM programs would load but never run: 'bpf' is not in the active LSM list/);
      await runGuard(t, `[${k} lsm=${LSM_WITHOUT_BPF}]`, lc, 'auto', 'fmod_ret');
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
  const cols: (Mode | 'probe' | 'lsm' | 'guard')[] = ['probe', 'fentry', 'kprobe', 'tracepoint', 'auto', 'guard', 'lsm'];
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
  const files = artifacts();
  const results: KernelResult[] = [];
  // --port 0 (the default): a free port per run, so runs (a CI run, a developer's) may overlap
  for (const k of o.kernels) results.push(await runKernel(k, o.port || (await freePort()), o.lsmGuest === k, files, o.autoCases));
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

