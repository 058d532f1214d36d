// The agent's event suite on THIS machine's real kernel (as root): every case of cases.ts once
// per attach mode the agent's `probe` says works here, each with a json and a wire agent at once
// (decoded by WireDecoder; both must match the expectations and each other). Plus the CLI
// contract: `probe` output, bad flags, and a clean end (no BPF program or link left) on stdin
// EOF, SIGTERM, SIGINT, SIGHUP and the death of the agent's parent.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AttachMode, Family, ProbeReport, ReadyRecord } from '../../src/core/events';
import { CASES } from './cases';
import { GUARD_CASES } from './guard-cases';
import { runGuardCase } from './guard-suite';
import { assertReleased, bpfIdsOf } from './bpf-objects';
import { LocalTarget, cgroup2Mount, runCase, sleep, type AgentProc, type Format } from './suite';

const target = new LocalTarget();
const FORMATS = (process.env.KW_AGENT_FORMATS ?? 'json,wire').split(',') as Format[];

function loadProbe(): { report?: ProbeReport; error?: string } {
  try {
    return { report: JSON.parse(execFileSync(target.agentPath, ['probe'], { encoding: 'utf8', timeout: 30000 })) as ProbeReport };
  } catch (e) {
    return { error: (e as Error).message.split('\n').slice(0, 3).join(' ') };
  }
}
const probe = loadProbe();
const ALL_MODES: AttachMode[] = ['fentry', 'kprobe', 'tracepoint'];
const modesFor = (fams: Family[]): AttachMode[] => ALL_MODES.filter((m) => fams.every((f) => probe.report?.families?.[f]?.includes(m)));
const MODES = ALL_MODES.filter((m) => FAMILIES_ANY(m));
function FAMILIES_ANY(m: AttachMode): boolean {
  return (['unlink', 'create', 'write', 'exec'] as Family[]).some((f) => probe.report?.families?.[f]?.includes(m));
}

let cg2 = '';
before(async () => {
  cg2 = await cgroup2Mount(target);
});
after(async () => {
  await target.dispose();
});

describe('agent binary', () => {
  it('exists, is statically linked, and `probe` works', () => {
    assert.ok(fs.existsSync(target.agentPath), `${target.agentPath} missing: run make -C native`);
    const file = execFileSync('file', ['-L', target.agentPath], { encoding: 'utf8' });
    assert.match(file, /statically linked|static-pie linked/, file);
    assert.ok(probe.report, `probe failed: ${probe.error}`);
  });
});

describe('probe subcommand', () => {
  it('prints one JSON object describing this kernel', () => {
    const r = probe.report;
    assert.ok(r, `probe failed: ${probe.error}`);
    assert.equal(r.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    assert.equal(r.arch, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    assert.equal(typeof r.agent_version, 'string');
    assert.equal(r.btf, fs.existsSync('/sys/kernel/btf/vmlinux'));
    const lsmFile = '/sys/kernel/security/lsm';
    if (fs.existsSync(lsmFile)) {
      assert.deepEqual(r.lsm, fs.readFileSync(lsmFile, 'utf8').trim().split(',').filter(Boolean));
    }
    assert.equal(r.lsm_bpf, r.lsm.includes('bpf'));
    const lockFile = '/sys/kernel/security/lockdown';
    if (fs.existsSync(lockFile)) assert.equal(r.lockdown, /\[(\w+)\]/.exec(fs.readFileSync(lockFile, 'utf8'))?.[1]);
    else assert.match(r.lockdown, /^(none|integrity|confidentiality|unknown)$/);
    for (const f of ['unlink', 'create', 'write', 'exec'] as Family[]) {
      assert.ok(Array.isArray(r.families[f]), `families.${f}`);
      for (const m of r.families[f]) assert.ok(ALL_MODES.includes(m), `families.${f} has ${m}`);
      // Ground truth from the kernel: tracepoints exist here; kprobes only with kprobe_events.
      assert.ok(r.families[f].includes('tracepoint'), `families.${f} lacks tracepoint`);
      const kprobes = fs.existsSync('/sys/kernel/tracing/kprobe_events') || fs.existsSync('/sys/kernel/debug/tracing/kprobe_events') || fs.existsSync('/sys/bus/event_source/devices/kprobe');
      if (!kprobes) assert.ok(!r.families[f].includes('kprobe'), `families.${f} claims kprobe, the kernel has no kprobes`);
    }
    // io_uring's entry points under this kernel's names (7.x renamed them), checked against /proc/kallsyms
    const funcs = new Set(fs.readFileSync('/proc/kallsyms', 'utf8').split('\n').filter((l) => / [tT] /.test(l)).map((l) => l.split(' ')[2]));
    const names: Record<string, string[]> = { unlink: ['do_unlinkat', 'filename_unlinkat'], rmdir: ['do_rmdir', 'filename_rmdir'],
      mkdir: ['do_mkdirat', 'filename_mkdirat'], rename: ['do_renameat2', 'filename_renameat2'], open: ['do_filp_open', 'do_file_open'] };
    assert.deepEqual(r.io_uring, Object.fromEntries(Object.entries(names).map(([op, ns]) => [op, ns.find((n) => funcs.has(n)) ?? null])));
    assert.equal(r.error, undefined);
  });
});

describe('bad command lines: exit 2 with one line naming the cause', () => {
  const bad: Array<[string[], RegExp]> = [
    [['trace', 'unlink', '--bogus'], /--bogus/],
    [['trace', 'nosuchfamily'], /nosuchfamily/],
    [['trace', 'unlink', '--pid', '12x'], /12x|--pid/],
    [['trace', 'unlink', '--pid', 'abc'], /abc|--pid/],
    [['trace', 'unlink', '--uid', '-1'], /-1|--uid/],
    [['trace', 'unlink', '--format', 'xml'], /xml|--format/],
    [['trace', 'unlink', '--attach', 'magic'], /magic|--attach/],
    [['trace', 'unlink', '--ia32', 'maybe'], /--ia32: expected auto, kprobe, tracepoint or off, got 'maybe'/],
    [['trace', 'unlink', '--ringbuf-kb', '0'], /ringbuf/],
    [['trace', 'unlink', '--path-prefix'], /path-prefix/],
    [['trace'], /famil|usage/i],
    [['frobnicate'], /frobnicate/],
    [['guard'], /guard: no rule/],
    [['guard', '--deny-delete', 'relative/x'], /--deny-delete: expected an absolute path, got 'relative\/x'/],
    [['guard', '--quota', '/srv=lots'], /--quota: bad size in '\/srv=lots'/],
    [['guard', '--quota', '/srv'], /--quota: expected DIR=BYTES/],
    [['guard', '--deny-write', '/srv', '--pid', '1'], /guard: --pid is a trace filter/],
    [['guard', '--deny-write', '/srv', '--attach', 'kprobe'], /guard --attach: expected auto, lsm or fmod_ret, got 'kprobe'/],
    [['trace', 'unlink', '--deny-delete', '/x'], /--deny-delete belongs to guard/],
    [['trace', 'unlink', '--stacks', 'everything'], /--stacks: expected kernel, user or kernel,user, got 'everything'/],
    [['trace', 'unlink', '--stacks'], /--stacks: expected kernel, user or kernel,user/],
    [['guard', '--deny-write', '/srv', '--stacks', 'kernel'], /guard: --stacks is a trace filter/],
  ];
  it('kwitness-agent (nothing): usage, exit 2', async () => {
    const r = await target.run(`exec '${target.agentPath}' < /dev/null`, { timeoutMs: 10000 });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /usage/i);
  });
  for (const [args, cause] of bad) {
    it(`kwitness-agent ${args.join(' ') || '(nothing)'}`, async () => {
      const r = await target.run(`exec ${[target.agentPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')} < /dev/null`, { timeoutMs: 10000 });
      assert.equal(r.code, 2, `exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
      assert.equal(r.stdout, '', 'nothing on stdout');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `stderr must be one line: ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0], cause);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Lifecycle: which BPF programs and links the agent holds, and that they are gone after it ends.

async function startReady(args: string[]): Promise<{ agent: AgentProc; held: { progs: Set<number>; links: Set<number> } }> {
  const agent = target.startAgent(args);
  await agent.waitFor((r) => r.type === 'ready', 20000, 'ready');
  const held = bpfIdsOf(agent.pid!);
  assert.ok(held.progs.size > 0 && held.links.size > 0, `agent holds ${held.progs.size} programs and ${held.links.size} links after ready`);
  return { agent, held };
}

describe('32-bit syscalls (--ia32): which pair watches them, said in the ready record', () => {
  const ia32Probes = (r: ReadyRecord) => r.probes.filter((p) => /__ia32_/.test(p.probe));
  it('--ia32 tracepoint: the raw sys_enter/sys_exit pair loads and attaches (one probe per 32-bit syscall, per family); --ia32 off: none', async () => {
    // forced: it loads even where 32-bit code cannot run (this is how bench/ia32-cost.sh measures it)
    const { agent, held } = await startReady(['trace', 'unlink,create', '--format', 'json', '--ia32', 'tracepoint']);
    const ready = agent.records.find((r) => r.type === 'ready') as ReadyRecord;
    const got = ia32Probes(ready);
    assert.ok(got.every((p) => /^raw_tracepoint:sys_exit:__ia32_(compat_)?sys_\w+$/.test(p.probe) && p.mode === 'tracepoint'), JSON.stringify(got));
    assert.ok(got.some((p) => p.family === 'unlink' && p.probe === 'raw_tracepoint:sys_exit:__ia32_sys_unlinkat'), JSON.stringify(got));
    assert.ok(got.some((p) => p.family === 'create' && p.probe === 'raw_tracepoint:sys_exit:__ia32_sys_mkdir'), JSON.stringify(got));
    agent.closeStdin();
    assert.deepEqual(await agent.exited, { code: 0, signal: null }, agent.stderr);
    await assertReleased(held);
    const off = await startReady(['trace', 'unlink,create', '--format', 'json', '--ia32', 'off']);
    assert.deepEqual(ia32Probes(off.agent.records.find((r) => r.type === 'ready') as ReadyRecord), []);
    off.agent.closeStdin();
    await off.agent.exited;
  });
});

describe('clean end: every program and link detached', () => {
  const ways: Array<[string, (a: AgentProc) => void]> = [
    ['stdin EOF', (a) => a.closeStdin()],
    ['SIGTERM', (a) => a.kill('SIGTERM')],
    ['SIGINT', (a) => a.kill('SIGINT')],
    ['SIGHUP', (a) => a.kill('SIGHUP')],
  ];
  for (const [how, end] of ways) {
    it(`on ${how}`, async () => {
      const { agent, held } = await startReady(['trace', 'unlink,create,exec', '--format', 'json']);
      end(agent);
      const ex = await Promise.race([agent.exited, sleep(60000).then(() => undefined)]);
      if (!ex) agent.kill('SIGKILL');
      assert.ok(ex, `agent still running 60 s after ${how}`);
      assert.deepEqual(ex, { code: 0, signal: null }, `exit after ${how}; stderr: ${agent.stderr}`);
      const lost = agent.records.filter((r) => r.type === 'lost');
      for (const l of lost) assert.equal((l as { total: number }).total, 0);
      await assertReleased(held);
    });
  }

  it('stdin a pipe at EOF from the start (what `ssh -n` gives the remote command): ready, then a clean exit', async () => {
    const r = await target.run(`: | exec '${target.agentPath}' trace unlink --format json`, { timeoutMs: 60000 }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr.trim()}`);
    assert.match(r.stdout, /"type":\s*"ready"/);
  });

  it('stdin /dev/null (a detached agent, e.g. `agent trace ... > log &` in a script) is not an EOF to stop on', async () => {
    // native/README.md: only a pipe, socket or tty is watched; SIGTERM still ends it cleanly.
    // stdin 'ignore' is /dev/null. Wait for ready however long the machine takes, then give a
    // wrong EOF exit a second to show (it would come within milliseconds), then SIGTERM.
    const child = spawn(target.agentPath, ['trace', 'unlink', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    try {
      for (let i = 0; i < 600 && !/"type":\s*"ready"/.test(out) && child.exitCode === null; i++) await sleep(100);
      assert.match(out, /"type":\s*"ready"/, `never ready: ${err.trim()}`);
      await sleep(1000);
      assert.equal(child.exitCode, null, `the agent took /dev/null for an EOF and ended: ${err.trim()}`);
      child.kill('SIGTERM');
      assert.equal(await closed, 0, err.trim());
      assert.match(out, /"type":\s*"lost"/, 'a clean exit prints the final lost record');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('when its parent dies (stdin still open)', async () => {
    const out = `${target.tmpdir}/orphan-agent.out`;
    // bash starts `sleep | agent` (sleep keeps the agent's stdin open) and prints the agent's pid.
    const sh = spawn('/bin/bash', ['-c', `sleep 120 | exec "$0" trace unlink --format json > "$1" 2>&1 & echo $!; wait`, target.agentPath, out], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const agentPid = await new Promise<number>((res, rej) => {
        sh.stdout.once('data', (d: Buffer) => res(Number(d.toString().trim())));
        sh.once('exit', () => rej(new Error('wrapper exited')));
      });
      for (let i = 0; i < 200 && !(fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('"ready"')); i++) await sleep(100);
      assert.match(fs.readFileSync(out, 'utf8'), /"type":\s*"ready"/, 'agent never became ready');
      const held = bpfIdsOf(agentPid);
      assert.ok(held.progs.size > 0);
      process.kill(sh.pid!, 'SIGKILL'); // the agent's parent dies; its stdin (sleep) stays open
      let gone = false;
      for (let i = 0; i < 600 && !gone; i++) {
        gone = !fs.existsSync(`/proc/${agentPid}`) || /^State:\s*Z/m.test(fs.readFileSync(`/proc/${agentPid}/status`, 'utf8'));
        if (!gone) await sleep(100);
      }
      assert.ok(gone, 'agent still running 60 s after its parent died');
      await assertReleased(held);
    } finally {
      try {
        process.kill(-sh.pid!, 'SIGKILL'); // the sleep (and the agent if it survived)
      } catch {
        /* already gone */
      }
    }
  });

  it('an attach mode this kernel lacks: one-line error, non-zero exit', async (t) => {
    const missing = ALL_MODES.filter((m) => !FAMILIES_ANY(m));
    if (!probe.report || missing.length === 0) return t.skip('every attach mode works here');
    for (const m of missing) {
      const r = await target.run(`exec '${target.agentPath}' trace unlink --attach ${m} < /dev/null`, { timeoutMs: 20000 });
      assert.notEqual(r.code, 0, `--attach ${m} succeeded`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `stderr must be one line: ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0], new RegExp(m));
      assert.equal(r.stdout.includes('"ready"'), false);
    }
  });

  it('--attach auto picks, per probe, the best mode probe reported', async () => {
    const { agent, held } = await startReady(['trace', 'unlink,create,write,exec', '--format', 'json', '--attach', 'auto']);
    const ready = agent.records.find((r) => r.type === 'ready') as ReadyRecord;
    agent.closeStdin();
    await agent.exited;
    await assertReleased(held);
    for (const f of ['unlink', 'create', 'write', 'exec'] as Family[]) {
      const best = ALL_MODES.find((m) => probe.report?.families[f].includes(m));
      const got = ready.probes.filter((p) => p.family === f);
      assert.ok(got.length > 0, `no probe for ${f}`);
      for (const p of got) assert.equal(p.mode, best, `${p.probe}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// File systems the agent mounts when they are missing (tracefs, bpffs, securityfs) are gone again
// when it ends. Other agents run on this machine, so the mounts are removed only inside a private
// mount namespace (unshare -m): the host's stay untouched.

/** "fstype:mountpoint" of the tracing-related mounts a process sees. */
function tracingMounts(pid: number | 'self', text?: string): string[] {
  const info = text ?? fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  return info
    .split('\n')
    .map((l) => /^\S+ \S+ \S+ \S+ (\S+) .* - (tracefs|debugfs|bpf|securityfs) /.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[2]}:${m[1]}`)
    .sort();
}

describe('mounts the agent made itself', () => {
  it('are unmounted when probe and trace end (in a private mount namespace)', { timeout: 120000 }, async (t) => {
    if (!fs.existsSync('/usr/bin/unshare') || !fs.existsSync('/usr/bin/mountpoint')) return t.skip('needs unshare and mountpoint (util-linux)');
    // In the namespace: drop every tracing mount, run `probe`, then `trace` (stdin: this test's
    // pipe), printing what is mounted between the steps as "<step>: <base64 of mountinfo>".
    const script = [
      'mi() { base64 -w0 /proc/self/mountinfo; }',
      'for m in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug /sys/fs/bpf /sys/kernel/security; do',
      '  while mountpoint -q "$m"; do umount -l "$m" || break; done',
      'done',
      'echo "before: $(mi)"',
      '"$1" probe > /dev/null; echo "probe-exit: $?"',
      'echo "after-probe: $(mi)"',
      'bash -c \'echo "agent-pid: $$"; exec "$0" trace unlink --format json\' "$1"',
      'echo "trace-exit: $?"',
      'echo "after-trace: $(mi)"',
    ].join('\n');
    const hostBefore = tracingMounts('self');
    const sh = spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script, 'kw', target.agentPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buffered = '';
    let wake: () => void = () => {};
    sh.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
      wake();
    });
    sh.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => sh.on('exit', (code) => { wake(); res(code); }));
    let done = false;
    void exited.then(() => (done = true));
    /** The value after "key: " once the namespace printed it (60 s as a safety net only). */
    const field = async (key: string): Promise<string> => {
      const until = Date.now() + 60000;
      for (;;) {
        const l = lines.find((x) => x.startsWith(`${key}: `) || (key === 'ready' && x.includes('"type":"ready"')));
        if (l !== undefined) return l.slice(key.length + 2);
        if (done || Date.now() > until) assert.fail(`no "${key}" from the namespace; stdout: ${lines.join(' | ').slice(0, 500)}; stderr: ${stderr}`);
        await new Promise<void>((res) => {
          wake = res;
          setTimeout(res, 1000);
        });
      }
    };
    const mounts = async (key: string) => tracingMounts('self', Buffer.from(await field(key), 'base64').toString());
    try {
      assert.deepEqual(await mounts('before'), [], 'the namespace still has tracing mounts: the test cannot tell');
      assert.equal(await field('probe-exit'), '0', `probe failed: ${stderr}`);
      assert.deepEqual(await mounts('after-probe'), [], 'probe left mounts behind');
      const agentPid = Number(await field('agent-pid'));
      await field('ready');
      // While it traces, the agent has what it mounted (the test can fail).
      const during = tracingMounts(agentPid);
      for (const want of ['tracefs:/sys/kernel/tracing', 'bpf:/sys/fs/bpf', 'securityfs:/sys/kernel/security']) {
        assert.ok(during.includes(want), `agent runs without ${want}: ${during.join(', ')}`);
      }
      sh.stdin.end(); // EOF: the agent ends cleanly
      assert.equal(await field('trace-exit'), '0', `trace failed: ${stderr}`);
      assert.deepEqual(await mounts('after-trace'), [], 'trace left mounts behind');
      assert.equal(await exited, 0);
    } finally {
      if (!done) sh.kill('SIGKILL');
    }
    // The host's own mounts were not touched.
    assert.deepEqual(tracingMounts('self'), hostBefore, "the host's tracing mounts changed");
  });
});

// ---------------------------------------------------------------------------------------------
// The event cases, per attach mode.

for (const mode of MODES.length ? MODES : (['tracepoint'] as AttachMode[])) {
  describe(`events (--attach ${mode}, ${FORMATS.join(' + ')})`, () => {
    const only = process.env.KW_CASE_FILTER ? new RegExp(process.env.KW_CASE_FILTER, 'i') : undefined;
    for (const c of CASES.filter((x) => !only || only.test(x.name))) {
      it(c.name, { timeout: 180000 }, async (t) => {
        if (!modesFor(c.families).includes(mode)) return t.skip(`${mode} not available for ${c.families.join(',')}`);
        if (c.modes && !c.modes.includes(mode)) return t.skip(`case is for ${c.modes.join(',')} only`);
        for (const n of c.needs ?? []) if (!(await target.has(n))) return t.skip(`needs ${n}`);
        const res = await runCase(target, c, { mode, formats: FORMATS, cgroup2: cg2 });
        const problems = Object.values(res.problems).flat();
        const counts = res.runs.map((r) => `${r.format}: ${r.events.length} events${r.lostTotal ? `, ${r.lostTotal} lost` : ''}`).join('; ') + `; ready after ${res.readyMs} ms`;
        t.diagnostic(counts);
        assert.deepEqual(problems, [], `${problems.length} problems (${counts})`);
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Guard: where the kernel refuses BPF trampolines (no fentry here), neither BPF LSM nor fmod_ret
// can work: the guard must refuse in one line naming the cause and attach nothing. Where they
// work, the guard's cases run here as in the VM guests.

describe('guard (BPF LSM or fmod_ret)', () => {
  const trampolines = (['unlink', 'create', 'write'] as Family[]).some((f) => probe.report?.families?.[f]?.includes('fentry'));
  const lsmBpf = probe.report?.lsm_bpf === true;
  it('refuses in one line naming the cause, and attaches nothing, where the kernel refuses both', { timeout: 60000 }, async (t) => {
    if (trampolines) return t.skip('this kernel allows BPF trampolines: the cases below run instead');
    const victim = `${target.tmpdir}/guard-refuse`;
    const r = await target.run(`touch '${victim}'; exec '${target.agentPath}' guard --deny-delete '${victim}' < /dev/null`, { timeoutMs: 30000 });
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
    assert.equal(r.stdout, '', 'no ready record');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^kwitness-agent: guard: the kernel refuses (both mechanisms: BPF LSM \(.+\) and fmod_ret on security_path_unlink \(.+\)|BPF LSM programs)/);
    // probe says the same before anyone tries
    assert.equal(probe.report?.guard?.mechanism, null, JSON.stringify(probe.report?.guard));
    assert.equal(`kwitness-agent: guard: ${probe.report?.guard?.note}`, lines[0]);
    const left = execFileSync('bash', ['-c', "bpftool prog show | grep -cE 'name kw_(lsm|fmr)_' || true"], { encoding: 'utf8' }).trim();
    assert.equal(left, '0', 'a guard program is attached');
    // and the file it would have protected can go
    assert.equal((await target.run(`rm '${victim}'`)).code, 0);
  });
  for (const c of GUARD_CASES) {
    it(c.name, { timeout: 180000 }, async (t) => {
      if (!trampolines) return t.skip('no BPF trampolines on this kernel (the refusal above); the VM guests run this');
      const problems = await runGuardCase(target, c, { attach: 'auto', expect: lsmBpf ? 'lsm' : 'fmod_ret', formats: FORMATS });
      assert.deepEqual(problems, []);
    });
  }
});
