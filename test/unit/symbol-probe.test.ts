// The Kernel Symbol view's live probe, host side (src/panel/symbol-probe.ts), with a fake trace:
// Probe This Function starts a trace of the view's function (its resolved kallsyms name), counts
// that trace's calls (calls, errors, log2 buckets of durations) and sends them at most once per
// tick and only when they changed; Stop stops that trace; the trace's failure is the view's;
// untrusted messages are checked. Plus the counts themselves and the page's script and CSP.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallStats, DURATION_BUCKETS, bucketLabel, bucketOf, isFailedReturn } from '../../src/core/call-stats';
import type { CallEvent, KwEvent } from '../../src/core/events';
import { Emitter } from '../../src/core/lifecycle';
import type { TraceHandle, TraceOptions, TraceState } from '../../src/core/trace-api';
import { validateSymbolHostMessage, validateSymbolViewMessage, type HostToSymbol } from '../../src/contract/symbol';
import { SymbolProbe } from '../../src/panel/symbol-probe';
import { renderSymbolHtml } from '../../src/panel/symbol-html';

class FakeTrace implements TraceHandle {
  readonly id = 'tf1';
  readonly host = { id: 'node7', label: 'node7', kind: 'ssh' as const };
  state: TraceState = { kind: 'connecting' };
  lostTotal = 0;
  stopped = 0;
  readonly events = new Emitter<readonly KwEvent[]>();
  readonly states = new Emitter<TraceState>();
  constructor(readonly options: TraceOptions) {}
  onDidReceiveEvents = (l: (b: readonly KwEvent[]) => void) => this.events.event(l);
  onDidChangeState = (l: (s: TraceState) => void) => this.states.event(l);
  onDidReportLost = () => ({ dispose() {} });
  setState(s: TraceState): void {
    this.state = s;
    this.states.fire(s);
  }
  async resume(): Promise<void> {}
  async stop(): Promise<void> {
    this.stopped++;
    this.setState({ kind: 'stopped' });
  }
  dispose(): void {}
}

const callOf = (duration_ns: number, ret: CallEvent['ret']) => ({ type: 'call', duration_ns, ret }) as unknown as CallEvent;

function rig(opts: { target?: string; fail?: Error; canStart?: boolean } = {}) {
  const sent: HostToSymbol[] = [];
  const started: string[] = [];
  let trace: FakeTrace | undefined;
  const p = new SymbolProbe({
    symbol: 'sys_unlinkat',
    target: () => opts.target ?? '__x64_sys_unlinkat',
    post: (m) => sent.push(m),
    flushMs: 100000, // flushed by hand
    start: opts.canStart === false ? undefined : async (func, sink) => {
      started.push(func);
      trace = new FakeTrace({ families: [], funcs: [func] });
      sink(trace);
      if (opts.fail) {
        trace.setState({ kind: 'failed', message: opts.fail.message });
        throw opts.fail;
      }
      trace.setState({ kind: 'running', probes: [{ family: 'unlink', probe: `fentry:${func}`, mode: 'fentry' }] });
    },
  });
  return { p, sent, started, trace: () => trace! };
}
const tick = () => new Promise((r) => setImmediate(r));
const states = (sent: HostToSymbol[]) => sent.filter((m) => m.type === 'probe').map((m) => (m.type === 'probe' ? `${m.state}${m.message ? `: ${m.message}` : ''}` : ''));

describe('SymbolProbe', () => {
  it('ready, then Probe This Function: a trace of the resolved name, its calls counted, sent when they changed', async () => {
    const { p, sent, started, trace } = rig();
    p.onMessage({ type: 'ready', symbol: 'sys_unlinkat' });
    assert.deepEqual(sent[0], { type: 'probe', symbol: 'sys_unlinkat', state: 'idle', func: '', message: '', canProbe: true });
    p.onMessage({ type: 'startProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.deepEqual(started, ['__x64_sys_unlinkat']);
    assert.deepEqual(states(sent), ['idle', 'starting: starting a trace of __x64_sys_unlinkat…', 'starting: connecting…', 'running: probed by fentry']);
    p.onMessage({ type: 'startProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.equal(started.length, 1, 'a second press while it runs starts nothing');
    trace().events.fire([callOf(3000, 0), callOf(5000, -2), callOf(9, '0xffff888100000000')]);
    trace().events.fire([{ type: 'unlink' } as unknown as KwEvent, callOf(1_500_000, -4095), callOf(7, -4096)]);
    const before = sent.length;
    p.flush();
    const stats = sent.slice(before);
    assert.equal(stats.length, 1);
    assert.ok(stats[0].type === 'stats');
    const s = stats[0].type === 'stats' ? stats[0].stats : undefined;
    assert.deepEqual([s?.calls, s?.errors, s?.maxNs, s?.totalNs], [5, 2, 1_500_000, 3000 + 5000 + 9 + 1_500_000 + 7]);
    assert.equal(s?.buckets[11], 1);
    assert.equal(s?.buckets[12], 1);
    assert.equal(s?.buckets[3], 1);
    assert.equal(s?.buckets[20], 1);
    assert.equal(s?.buckets[2], 1);
    p.flush();
    assert.equal(sent.length, before + 1, 'nothing new: nothing sent');
    // Stop stops that trace; its end is the view's
    p.onMessage({ type: 'stopProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.equal(trace().stopped, 1);
    assert.equal(states(sent).pop(), 'stopped');
    // again: the counts start over
    p.onMessage({ type: 'startProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.equal(started.length, 2);
    p.flush();
    const last = sent.filter((m) => m.type === 'stats').pop();
    assert.equal(last?.type === 'stats' && last.stats.calls, 0);
    p.dispose();
  });

  it('a trace that fails to start: the view says the agent\'s words; nothing counted afterwards', async () => {
    const { p, sent, trace } = rig({ fail: new Error("node7: func:__x64_sys_unlinkat: no such kernel function in this kernel's BTF (nearest: x)") });
    p.onMessage({ type: 'ready', symbol: 'sys_unlinkat' });
    p.onMessage({ type: 'startProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.equal(states(sent).pop(), "failed: node7: func:__x64_sys_unlinkat: no such kernel function in this kernel's BTF (nearest: x)");
    const n = sent.length;
    p.dispose();
    trace().events.fire([callOf(1, 0)]);
    p.flush();
    assert.equal(sent.length, n, 'a closed view is told nothing');
    assert.ok(sent.every((m) => m.type !== 'stats' || m.stats.calls === 0));
  });

  it('nothing to probe: no way to start traces here, or a name that is no function', async () => {
    const none = rig({ canStart: false });
    assert.equal(none.p.canProbe, false);
    none.p.onMessage({ type: 'ready', symbol: 'sys_unlinkat' });
    assert.equal(none.sent[0].type === 'probe' && none.sent[0].canProbe, false);
    none.p.onMessage({ type: 'startProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.deepEqual(states(none.sent), ['idle', 'failed: __x64_sys_unlinkat cannot be probed from here']);
    const clone = rig({ target: 'vfs_unlink.isra.0' });
    assert.equal(clone.p.canProbe, false);
    none.p.dispose();
    clone.p.dispose();
  });

  it('untrusted messages are checked; another view\'s symbol is dropped; nothing is sent before ready', async () => {
    const { p, sent, started } = rig();
    p.onMessage({ type: 'startProbe', symbol: 'sys_unlinkat' });
    await tick();
    assert.equal(sent.length, 0, 'the view is not listening yet');
    assert.equal(started.length, 1);
    for (const bad of [null, 'x', { type: 'startProbe' }, { type: 'startProbe', symbol: 'a b' }, { type: 'startProbe', symbol: 'x', extra: 1 }, { type: 'eval', symbol: 'x' }]) {
      assert.equal(validateSymbolViewMessage(bad).ok, false, JSON.stringify(bad));
    }
    p.onMessage({ type: 'stopProbe', symbol: 'vfs_rmdir' });
    await tick();
    assert.equal(p.probeState, 'running', 'a message for another symbol changes nothing');
    p.dispose();
  });
});

describe('call counts', () => {
  it('log2 buckets of duration_ns, labelled by their lower bound; errors are -1..-4095', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 1023, 1024, 2 ** 40, 2 ** 50].map(bucketOf), [0, 0, 1, 1, 2, 9, 10, 40, DURATION_BUCKETS - 1]);
    assert.deepEqual([0, 9, 10, 20, 30, 31].map(bucketLabel), ['1 ns', '512 ns', '1 µs', '1 ms', '1 s', '2 s']);
    assert.deepEqual([-1, -4095, -4096, 0, 5, '0x1', null, '-2'].map(isFailedReturn), [true, true, false, false, false, false, false, false]);
    const s = new CallStats();
    s.add([callOf(-5, 0), callOf(NaN, 0)]);
    assert.equal(s.buckets[0], 2, 'a duration that is no number counts as 0');
    assert.equal(s.totalNs, 0);
  });

  it('the host\'s messages pass the script\'s check; broken ones do not', () => {
    const s = new CallStats();
    s.add([callOf(10, -1)]);
    const good = { type: 'stats', symbol: 'vfs_unlink', stats: s.snapshot() };
    assert.ok(validateSymbolHostMessage(good).ok);
    assert.ok(validateSymbolHostMessage({ type: 'probe', symbol: 'vfs_unlink', state: 'running', func: 'vfs_unlink', message: 'x', canProbe: true }).ok);
    assert.equal(validateSymbolHostMessage({ ...good, stats: { ...s.snapshot(), buckets: [1] } }).ok, false);
    assert.equal(validateSymbolHostMessage({ ...good, stats: { ...s.snapshot(), errors: Infinity } }).ok, false);
    assert.equal(validateSymbolHostMessage({ type: 'probe', symbol: 'vfs_unlink', state: 'done', func: '', message: '', canProbe: true }).ok, false);
    assert.equal(validateSymbolHostMessage({ type: 'probe', symbol: 'vfs_unlink', state: 'idle', func: '', message: 'x'.repeat(3000), canProbe: true }).ok, false);
  });
});

describe('the Kernel Symbol view page', () => {
  const info = {
    hostLabel: 'node7', symbol: 'vfs_unlink', resolved: 'vfs_unlink', probe: '', ksym: null, prototype: null, report: null,
  };
  it('with its probe: one script by nonce, the button, the symbol for the script; without: no script may run', () => {
    const live = renderSymbolHtml(info, 'vfs_unlink', 'https://x.vscode-cdn.net', 'https://x/panel.css', false, { nonce: 'abc123+/=', scriptUri: 'https://x/symbol.js' });
    assert.match(live, /content="default-src 'none'; style-src https:\/\/x\.vscode-cdn\.net; script-src 'nonce-abc123\+\/=';"/);
    assert.equal(live.match(/<script /g)?.length, 1);
    assert.match(live, /<script nonce="abc123\+\/=" src="https:\/\/x\/symbol\.js"><\/script>/);
    assert.match(live, /<button id="probe-start" type="button"[^>]*>Probe This Function<\/button>/);
    assert.match(live, /<body class="symbol" data-symbol="vfs_unlink">/);
    const still = renderSymbolHtml(info, 'vfs_unlink', 'https://x.vscode-cdn.net', 'https://x/panel.css');
    assert.doesNotMatch(still, /<script|script-src|probe-start/);
    // while it looks the symbol up, no button yet (the name to probe is not known)
    const loading = renderSymbolHtml(null, 'sys_unlinkat', 'https://x', 'https://x/panel.css', true, { nonce: 'n', scriptUri: 'https://x/symbol.js' });
    assert.doesNotMatch(loading, /probe-start/);
  });
});
