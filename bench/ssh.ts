// P3 throughput, P4 latency, P5 start time: the whole path over a private OpenSSH sshd on
// 127.0.0.1 (own host key and client key under a temp dir, root login by key; the ssh suite's
// Sshd fixture from test/ssh/harness.ts). The target is this machine through loopback, so the
// agent, sshd and the host side share the same 2 cores: every figure includes that contention.
//   P3  `kwitness trace create,unlink --host H --path-prefix DIR` (dist/cli.js: decodes the wire
//       stream, formats one line per event) while kw-loadgen churns create+unlink in DIR as fast
//       as it can; events/s counted on the CLI's stdout over a 10 s window after 1 s of warm-up,
//       CPU of the CLI, the agent, the per-connection sshd and the generators over that window.
//   P4  TraceSession in this process (the extension's core), paced generator; per event: receive
//       time on CLOCK_BOOTTIME minus the event's ktime_ns, when the wire decoder returned it and
//       when the session delivered its batch (batchMs 50, what the panel is handed).
//   P5  "Start Unlink Trace": a fresh HostManager + TraceSession.start() until the first event
//       batch arrives (a paced generator unlinks every 1 ms meanwhile): cold = the agent is not
//       installed (its /<install root>/<sha256> dir removed, so it is uploaded), warm = cached;
//       both open a new SSH connection, as the first trace on a host does.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isKwEvent, type KwEvent } from '../src/core/events';
import { HostManager, type HostPrompts } from '../src/core/host/host';
import { localAgent, remoteAgentPath } from '../src/core/host/deploy';
import { decoderFor } from '../src/core/session/decoders';
import type { RecordDecoder } from '../src/core/session/json-lines';
import { TraceSession, type StreamFormat } from '../src/core/session/trace-session';
import { knownHostsName } from '../src/core/ssh/known-hosts';
import { Sshd, keygen, tempDir } from '../test/ssh/harness';
import { ARCH, CLI, KW_CACHE, LOADGEN, agent, bootNowNs, bootOffsetNs, cpuMs, pct, pidsOfExe, sleep, stats, statusKb, waitClose, type BenchConfig, type Row } from './lib';

const HOST = 'kw-bench';

const prompts: HostPrompts = {
  confirmHostKey: async () => false,
  passphrase: async () => undefined,
  password: async () => undefined,
  sudoPassword: async () => undefined,
};

interface Rig {
  dir: string;
  /** where the generators work: short, because the agent refuses long --path-prefix values (see BENCHMARKS.md) */
  work: string;
  sshd: Sshd;
  sshConfig: string;
  knownHosts: string;
}

async function startRig(): Promise<Rig> {
  const dir = tempDir('kw-bench-ssh-');
  fs.chmodSync(dir, 0o755);
  const sshd = await Sshd.start(dir, 'target');
  process.once('exit', () => sshd.proc?.kill('SIGKILL')); // even when the run dies half-way
  sshd.authorize('root', keygen(path.join(dir, 'id')));
  const sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(sshConfig, `Host ${HOST}\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${dir}/id\n  IdentitiesOnly yes\n`);
  const knownHosts = path.join(dir, 'known_hosts');
  const [type, b64] = fs.readFileSync(path.join(sshd.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  fs.writeFileSync(knownHosts, `${knownHostsName('127.0.0.1', sshd.port)} ${type} ${b64}\n`);
  const work = fs.mkdtempSync('/tmp/kwb');
  return { dir, work, sshd, sshConfig, knownHosts };
}

function manager(rig: Rig, installRoot?: string): HostManager {
  return new HostManager({ sshConfigFile: rig.sshConfig, knownHostsFile: rig.knownHosts, agentDir: agent.dir, prompts, log: () => undefined, includeLocal: false, installRoot });
}

function freshDir(rig: Rig, name: string): string {
  const d = path.join(rig.work, name);
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d);
  return d;
}

// ---------------------------------------------------------------- P3

interface ThroughputSample {
  eventsPerS: number;
  offeredPerS: number;
  delivered: number;
  expected: number;
  lost: number;
  cpuPct: Record<string, number>;
  cliPeakRssMiB: number;
}

async function throughputOnce(rig: Rig, cfg: BenchConfig, i: number, secs: number, gens: number): Promise<ThroughputSample> {
  const wdir = freshDir(rig, `p3-${i}`);
  // the generators' dirs exist before the trace starts: their mkdir is not an event of the run
  const gensDirs = Array.from({ length: gens }, (_, g) => {
    const d = path.join(wdir, `g${g}`);
    fs.mkdirSync(d);
    return d;
  });
  const cli = spawn(process.execPath, [CLI, 'trace', 'create,unlink', '--host', HOST, '--ssh-config', rig.sshConfig, '--known-hosts', rig.knownHosts, '--agent-dir', agent.dir, '--path-prefix', wdir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines = 0;
  cli.stdout!.on('data', (d: Buffer) => {
    for (let k = d.indexOf(10); k >= 0; k = d.indexOf(10, k + 1)) lines++;
  });
  let stderr = '';
  const ready = new Promise<void>((res, rej) => {
    cli.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('kwitness: tracing')) res();
    });
    cli.on('close', (code) => rej(new Error(`kwitness trace exited ${code} before ready: ${stderr.trim().split('\n').pop()}`)));
  });
  await ready;
  const agentPath = remoteAgentPath(localAgent(agent.dir, ARCH).sha256);
  const agentPid = pidsOfExe(agentPath).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(wdir));
  const sshdPids = rig.sshd.connectionPids();
  // run 2 s longer than the window: 1 s warm-up before it, 1 s after it
  const genProcs = gensDirs.map((d) => spawn(LOADGEN, ['churn', d, String(secs + 2)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const genOut = genProcs.map((g) => {
    let out = '';
    g.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const p = new Promise<string>((res, rej) => g.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`kw-loadgen churn exited ${code}`)))));
    p.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    return p;
  });
  const procs: Record<string, number[]> = {
    cli: [cli.pid!],
    agent: agentPid ? [agentPid] : [],
    sshd: sshdPids,
    generators: genProcs.map((g) => g.pid!),
  };
  const cpuOf = (): Record<string, number> => Object.fromEntries(Object.entries(procs).map(([k, ps]) => [k, ps.reduce((a, p) => a + cpuMs(p), 0)]));
  await sleep(1000);
  const t0 = performance.now();
  const l0 = lines;
  const c0 = cpuOf();
  await sleep(secs * 1000);
  const t1 = performance.now();
  const l1 = lines;
  const c1 = cpuOf();
  const cliPeak = statusKb(cli.pid!, 'VmHWM');
  const ops = (await Promise.all(genOut)).reduce((a, o) => a + Number(o.trim().split(' ')[0]), 0);
  const expected = 2 * ops; // one create (open O_CREAT) and one unlink per op
  // drain: until the count stops moving for 1 s
  for (let last = -1, still = 0; still < 10; ) {
    await sleep(100);
    still = lines === last ? still + 1 : 0;
    last = lines;
  }
  cli.kill('SIGINT');
  await waitClose(cli, 15000);
  const m = /kwitness: (\d+) events, (\d+) lost/.exec(stderr);
  if (!m) cfg.log(`    (the CLI printed no summary: ${stderr.trim().split('\n').pop()})`);
  const dt = (t1 - t0) / 1000;
  const cpuPct = Object.fromEntries(Object.keys(c0).map((k) => [k, (100 * (c1[k] - c0[k])) / (t1 - t0)]));
  return {
    eventsPerS: (l1 - l0) / dt,
    offeredPerS: 0, // filled below from the generators' own count
    delivered: m ? Number(m[1]) : lines,
    expected,
    lost: m ? Number(m[2]) : NaN,
    cpuPct,
    cliPeakRssMiB: cliPeak / 1024,
  };
}

// ---------------------------------------------------------------- P4

/** The real decoder, stamping each event as it comes out (CLOCK_BOOTTIME, ns). */
function stampingDecoder(offset: bigint, decodeLat: number[]): (f: StreamFormat) => RecordDecoder {
  return (f) => {
    const d = decoderFor(f);
    return {
      push(chunk: Uint8Array) {
        const rs = d.push(chunk);
        const now = bootNowNs(offset);
        for (const r of rs) if (isKwEvent(r)) decodeLat.push((now - r.ktime_ns) / 1e6);
        return rs;
      },
    };
  };
}

function startPaced(dir: string, rate: number, secs: number): { proc: ChildProcess; done: Promise<number> } {
  const proc = spawn(LOADGEN, ['paced', dir, String(rate), String(secs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number>((res, rej) => proc.on('close', (code) => (code === 0 ? res(Number(out.trim().split(' ')[0])) : rej(new Error(`kw-loadgen paced exited ${code}`)))));
  return { proc, done };
}

async function latencyOnce(rig: Rig, i: number, offset: bigint, rate: number, secs: number): Promise<{ decode: number[]; batch: number[]; expected: number }> {
  const wdir = freshDir(rig, `p4-${i}`);
  const decode: number[] = [];
  const batch: number[] = [];
  const m = manager(rig);
  const s = new TraceSession(m.get(HOST), { families: ['create', 'unlink'], pathPrefixes: [wdir] }, { format: 'wire', decoderFor: stampingDecoder(offset, decode), batchMs: 50 });
  s.onDidReceiveEvents((b: readonly KwEvent[]) => {
    const now = bootNowNs(offset);
    for (const e of b) batch.push((now - e.ktime_ns) / 1e6);
  });
  try {
    await s.start();
    await sleep(200);
    const gen = startPaced(wdir, rate, secs);
    const ops = await gen.done;
    const expected = 2 * ops;
    for (let t = 0; t < 50 && batch.length < expected; t++) await sleep(100);
    return { decode, batch, expected };
  } finally {
    await s.stop();
    s.dispose();
    m.dispose();
  }
}

// ---------------------------------------------------------------- P5

async function startOnce(rig: Rig, installRoot: string, sha: string, cold: boolean, wdir: string): Promise<{ firstEventMs: number; readyMs: number; connectMs: number; uploaded: boolean }> {
  if (cold) fs.rmSync(path.join(installRoot, sha), { recursive: true, force: true });
  const m = manager(rig, installRoot);
  const conn = m.get(HOST);
  // the options "Start Unlink Trace" uses: the unlink family, no filter; a generator unlinks in
  // wdir every 1 ms, so the first event follows attachment within ~1 ms
  void wdir;
  const s = new TraceSession(conn, { families: ['unlink'] }, { format: 'wire', decoderFor, batchMs: 50 });
  const t0 = performance.now();
  const first = new Promise<number>((res) => s.onDidReceiveEvents(() => res(performance.now())));
  try {
    await conn.connect(); // what start() does first; timed apart to show where the time goes
    const tConn = performance.now();
    await s.start();
    const tReady = performance.now();
    const t1 = await Promise.race([first, sleep(10000).then(() => NaN)]);
    return { firstEventMs: t1 - t0, readyMs: tReady - t0, connectMs: tConn - t0, uploaded: conn.lastDeployment?.uploaded ?? false };
  } finally {
    await s.stop();
    s.dispose();
    m.dispose();
  }
}

/** The agent alone, locally: exec -> `ready` (BPF load, verification, attach), optionally with a --path-prefix. */
async function agentAloneMs(prefix?: string): Promise<number> {
  const t0 = performance.now();
  const p = spawn(agent.path, ['trace', 'unlink', '--format', 'wire', ...(prefix ? ['--path-prefix', prefix] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const t = await new Promise<number>((res, rej) => {
    p.stdout!.setEncoding('latin1').on('data', (d: string) => {
      out += d;
      if (out.length) res(performance.now()); // the first record of the stream is `ready`
    });
    p.on('close', (code) => rej(new Error(`the agent exited ${code} before ready`)));
  });
  p.stdin!.end();
  await waitClose(p);
  return t - t0;
}

// ---------------------------------------------------------------- section

export async function overSsh(cfg: BenchConfig): Promise<{ rows: Row[]; json: Record<string, unknown> }> {
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  const rig = await startRig();
  try {
    if (cfg.only.has('p3')) {
      const secs = cfg.quick ? 3 : 10;
      const gens = Number(process.env.KW_BENCH_GENERATORS ?? 2);
      cfg.log(`  P3 CLI over loopback ssh, ${gens} create+unlink generators as fast as they go, ${secs} s window, ${cfg.runs} runs`);
      const samples: ThroughputSample[] = [];
      for (let i = 0; i < cfg.runs; i++) {
        const s = await throughputOnce(rig, cfg, i, secs, gens);
        s.offeredPerS = s.expected / (secs + 2);
        samples.push(s);
        cfg.log(
          `    run ${i + 1}: ${Math.round(s.eventsPerS).toLocaleString('en-US')} events/s delivered (offered ~${Math.round(s.offeredPerS).toLocaleString('en-US')}/s); delivered ${s.delivered}/${s.expected}, lost ${s.lost}; CPU ${Object.entries(s.cpuPct)
            .map(([k, v]) => `${k} ${v.toFixed(0)}%`)
            .join(', ')}; CLI peak RSS ${s.cliPeakRssMiB.toFixed(0)} MiB`,
        );
      }
      const r = stats(samples.map((s) => s.eventsPerS));
      const cpu = Object.fromEntries(Object.keys(samples[0].cpuPct).map((k) => [k, stats(samples.map((s) => s.cpuPct[k])).median]));
      const complete = stats(samples.map((s) => (100 * s.delivered) / s.expected));
      json.throughput = { window_s: secs, generators: gens, runs: samples };
      rows.push({
        section: 'P3',
        what: `events/s agent -> ssh -> CLI (${secs} s window)`,
        value: r.median,
        min: r.min,
        max: r.max,
        unit: 'ev/s',
        goal: '>= 200,000/s',
        pass: r.median >= 200000,
        note: `CPU % of one core: ${Object.entries(cpu)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')}`,
      });
      rows.push({
        section: 'P3',
        what: 'delivered/expected under that load',
        value: complete.median,
        min: complete.min,
        max: complete.max,
        unit: '%',
        note: `lost (agent-reported) ${samples.map((s) => s.lost).join('/')}; offered ~${Math.round(stats(samples.map((s) => s.offeredPerS)).median).toLocaleString('en-US')}/s`,
      });
      // what one core of the host side can take: events/s divided by the CLI's share of a core
      const usPer = stats(samples.filter((s) => s.cpuPct.cli > 0).map((s) => (s.cpuPct.cli / 100 / s.eventsPerS) * 1e6));
      const agentUs = stats(samples.filter((s) => s.cpuPct.agent > 0).map((s) => (s.cpuPct.agent / 100 / s.eventsPerS) * 1e6));
      rows.push({
        section: 'P3',
        what: 'CLI CPU per event (decode + format + write)',
        value: usPer.median,
        min: usPer.min,
        max: usPer.max,
        unit: 'us',
        note: `= ${Math.round(1e6 / usPer.median).toLocaleString('en-US')} ev/s per core; agent ${agentUs.median.toFixed(2)} us/event`,
      });
      const rss = stats(samples.map((s) => s.cliPeakRssMiB));
      rows.push({ section: 'P3', what: 'CLI (host-side core) peak RSS', value: rss.median, min: rss.min, max: rss.max, unit: 'MiB' });
    }

    if (cfg.only.has('p4')) {
      const offset = await bootOffsetNs();
      const rate = 1000; // create+unlink pairs/s = 2,000 events/s
      const secs = cfg.quick ? 2 : 4;
      cfg.log(`  P4 latency: TraceSession over loopback ssh, ${rate * 2} events/s for ${secs} s, ${cfg.runs} runs`);
      const per: Array<{ d50: number; d99: number; b50: number; b99: number; n: number; expected: number; max: number }> = [];
      for (let i = 0; i < cfg.runs; i++) {
        const r = await latencyOnce(rig, i, offset, rate, secs);
        const d = Float64Array.from(r.decode).sort();
        const b = Float64Array.from(r.batch).sort();
        const x = { d50: pct(d, 0.5), d99: pct(d, 0.99), b50: pct(b, 0.5), b99: pct(b, 0.99), n: b.length, expected: r.expected, max: b[b.length - 1] };
        per.push(x);
        cfg.log(`    run ${i + 1}: ${x.n}/${x.expected} events; decoded p50 ${x.d50.toFixed(2)} ms p99 ${x.d99.toFixed(2)} ms; batch delivered p50 ${x.b50.toFixed(1)} ms p99 ${x.b99.toFixed(1)} ms max ${x.max.toFixed(1)} ms`);
      }
      json.latency = { events_per_s: rate * 2, secs, runs: per };
      const add = (what: string, key: 'd50' | 'd99' | 'b50' | 'b99', goal?: string): void => {
        const s = stats(per.map((p) => p[key]));
        rows.push({ section: 'P4', what, value: s.median, min: s.min, max: s.max, unit: 'ms', goal, pass: goal ? s.median <= 100 : undefined });
      };
      add('syscall -> decoded on host, p50', 'd50');
      add('syscall -> decoded on host, p99', 'd99', '<= 100 ms');
      add('syscall -> batch to panel (50 ms), p50', 'b50');
      add('syscall -> batch to panel (50 ms), p99', 'b99', '<= 100 ms');
    }

    if (cfg.only.has('p5')) {
      const installRoot = path.join(KW_CACHE, 'bench-install');
      fs.mkdirSync(installRoot, { recursive: true });
      const sha = localAgent(agent.dir, ARCH).sha256;
      const wdir = freshDir(rig, 'p5');
      const gen = spawn(LOADGEN, ['paced', wdir, '1000', '0'], { stdio: ['pipe', 'ignore', 'pipe'] });
      cfg.log(`  P5 start to first event over loopback ssh (install root ${installRoot}), cold/warm interleaved, ${cfg.runs} runs each`);
      const cold: number[] = [];
      const warm: number[] = [];
      const readyCold: number[] = [];
      const readyWarm: number[] = [];
      const alone: number[] = [];
      const alonePfx: number[] = [];
      const connects: number[] = [];
      try {
        for (let i = 0; i < cfg.runs; i++) {
          for (const isCold of i % 2 ? [false, true] : [true, false]) {
            const r = await startOnce(rig, installRoot, sha, isCold, wdir);
            if (isCold && !r.uploaded) throw new Error('P5: a cold start did not upload the agent');
            if (!isCold && r.uploaded) throw new Error('P5: a warm start uploaded the agent again');
            (isCold ? cold : warm).push(r.firstEventMs);
            (isCold ? readyCold : readyWarm).push(r.readyMs);
            connects.push(r.connectMs);
            cfg.log(`    run ${i + 1} ${isCold ? 'cold' : 'warm'}: connected after ${r.connectMs.toFixed(0)} ms, ready after ${r.readyMs.toFixed(0)} ms, first event batch after ${r.firstEventMs.toFixed(0)} ms${r.uploaded ? ' (uploaded)' : ''}`);
          }
          alone.push(await agentAloneMs());
          alonePfx.push(await agentAloneMs(wdir));
          cfg.log(`    run ${i + 1} agent alone (local exec -> ready): ${alone[alone.length - 1].toFixed(0)} ms; with --path-prefix ${alonePfx[alonePfx.length - 1].toFixed(0)} ms`);
        }
      } finally {
        gen.stdin!.end();
        await waitClose(gen);
        fs.rmSync(installRoot, { recursive: true, force: true });
      }
      json.start = { cold_first_event_ms: cold, warm_first_event_ms: warm, cold_ready_ms: readyCold, warm_ready_ms: readyWarm, agent_alone_ready_ms: alone, agent_alone_prefix_ready_ms: alonePfx, connect_ms: connects };
      const c = stats(cold);
      const w = stats(warm);
      rows.push({ section: 'P5', what: 'start -> first event, cold (upload)', value: c.median, min: c.min, max: c.max, unit: 'ms', goal: '<= 2,000 ms', pass: c.median <= 2000, note: `ready after ${stats(readyCold).median.toFixed(0)} ms` });
      const a = stats(alone);
      const cn = stats(connects);
      rows.push({ section: 'P5', what: 'of which: SSH connect + login + privilege check', value: cn.median, min: cn.min, max: cn.max, unit: 'ms', note: 'HostConnection.connect(), cold and warm runs' });
      rows.push({ section: 'P5', what: 'of which: agent alone, exec -> ready (local)', value: a.median, min: a.min, max: a.max, unit: 'ms', note: 'BPF load + verify + attach' });
      const ap = stats(alonePfx);
      rows.push({ section: 'P5', what: 'agent alone with one --path-prefix', value: ap.median, min: ap.min, max: ap.max, unit: 'ms', note: 'the prefix check makes verification slower' });
      rows.push({ section: 'P5', what: 'start -> first event, warm (cached)', value: w.median, min: w.min, max: w.max, unit: 'ms', goal: '<= 500 ms', pass: w.median <= 500, note: `ready after ${stats(readyWarm).median.toFixed(0)} ms` });
    }
  } finally {
    await rig.sshd.stop();
    fs.rmSync(rig.dir, { recursive: true, force: true });
    fs.rmSync(rig.work, { recursive: true, force: true });
  }
  return { rows, json };
}
