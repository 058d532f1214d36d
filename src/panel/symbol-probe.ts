// The Kernel Symbol view's own probe ("Probe This Function"), without vscode (unit-tested in
// Node): a press starts a trace of the view's function (its calls go to the normal event panel)
// and this counts them for the view: calls, errors, a log2 histogram of their durations, sent
// to the view's script at most every `flushMs`; Stop ends that trace. One handler per message of
// the typed contract (src/contract/symbol.ts), every incoming message validated first.
import type { KwEvent } from '../core/events';
import { CallStats } from '../core/call-stats';
import { errorMessage } from '../core/errors';
import { Disposable, toDisposable, type IDisposable } from '../core/lifecycle';
import type { TraceHandle, TraceState } from '../core/trace-api';
import { isFuncName } from '../core/calls';
import { dispatch, type Handlers } from '../contract/messages';
import { validateSymbolViewMessage, type HostToSymbol, type SymbolProbeState, type SymbolToHostMap } from '../contract/symbol';

export interface SymbolProbeDeps {
  /** The view's symbol (what its messages carry). */
  symbol: string;
  /** The function to probe: the kallsyms name the view resolved, once known (sys_unlinkat -> __x64_sys_unlinkat). */
  target(): string;
  post(m: HostToSymbol): void;
  /**
   * Starts a trace of `func` like the commands do (its panel opens); `sink` gets the trace as soon
   * as it exists, before the agent runs. Rejects when it could not start (the error was shown).
   * Undefined: this window cannot start traces (the button is not offered).
   */
  start?(func: string, sink: (trace: TraceHandle) => void): Promise<unknown>;
  log?(message: string): void;
  flushMs?: number;
}

export class SymbolProbe extends Disposable {
  private readonly stats = new CallStats();
  private trace: TraceHandle | undefined;
  private traceSubs: IDisposable[] = [];
  private state: SymbolProbeState = 'idle';
  private message = '';
  private func = '';
  private sentVersion = -1;
  private ready = false;

  constructor(private readonly d: SymbolProbeDeps) {
    super();
    const timer = setInterval(() => this.flush(), Math.max(10, d.flushMs ?? 250));
    timer.unref?.();
    this._register(toDisposable(() => clearInterval(timer)));
    this._register(toDisposable(() => this.unbind()));
  }

  /** The function can be probed from here: a trace can be started, and the name is a plain function name. */
  get canProbe(): boolean {
    return this.d.start !== undefined && isFuncName(this.d.target());
  }

  get probeState(): SymbolProbeState {
    return this.state;
  }

  /** A message from the view's script (untrusted: checked, then one handler per type). */
  onMessage(raw: unknown): void {
    const v = validateSymbolViewMessage(raw);
    if (!v.ok) {
      this.d.log?.(`symbol view: dropped a message: ${v.error}`);
      return;
    }
    if (v.value.symbol !== this.d.symbol) {
      this.d.log?.(`symbol view: dropped a ${v.value.type} for ${v.value.symbol} in the view of ${this.d.symbol}`);
      return;
    }
    dispatch(this.handlers, v.value);
  }

  private readonly handlers: Handlers<SymbolToHostMap> = {
    ready: () => {
      this.ready = true;
      this.sendState();
      this.sentVersion = -1;
      this.flush();
    },
    startProbe: () => void this.startProbe(),
    stopProbe: () => {
      const t = this.trace;
      if (!t) return;
      void t.stop().catch((e) => this.setState('failed', `stop failed: ${errorMessage(e)}`));
    },
  };

  private async startProbe(): Promise<void> {
    if (this.state === 'starting' || this.state === 'running') return;
    const func = this.d.target();
    if (!this.d.start || !isFuncName(func)) {
      this.setState('failed', `${func} cannot be probed from here`);
      return;
    }
    this.unbind();
    this.stats.reset();
    this.func = func;
    this.setState('starting', `starting a trace of ${func}…`);
    try {
      await this.d.start(func, (t) => this.bind(t));
      if (!this.trace) this.setState('failed', 'the trace did not start');
    } catch (e) {
      // the trace's own failure (a function the kernel cannot probe: the agent says which) wins
      const now = this.state as SymbolProbeState; // changed by the trace's own state meanwhile
      if (now === 'starting' || now === 'idle') this.setState('failed', errorMessage(e));
    }
  }

  private bind(t: TraceHandle): void {
    this.unbind();
    this.trace = t;
    this.traceSubs = [
      t.onDidReceiveEvents((batch: readonly KwEvent[]) => this.stats.add(batch)),
      t.onDidChangeState((s) => this.onTraceState(s)),
    ];
    this.onTraceState(t.state);
  }

  private unbind(): void {
    for (const s of this.traceSubs) s.dispose();
    this.traceSubs = [];
    this.trace = undefined;
  }

  private onTraceState(s: TraceState): void {
    switch (s.kind) {
      case 'running': {
        const modes = [...new Set(s.probes.map((p) => p.mode))].join(', ');
        this.setState('running', modes ? `probed by ${modes}` : 'running');
        break;
      }
      case 'stopped':
        this.flush();
        this.setState('stopped', s.reason ?? '');
        break;
      case 'failed':
        this.flush();
        this.setState('failed', s.message);
        break;
      case 'disconnected':
        this.setState('stopped', `disconnected: ${s.reason} (Resume from the event panel)`);
        break;
      default:
        this.setState('starting', `${s.kind}…`);
    }
  }

  private setState(state: SymbolProbeState, message: string): void {
    this.state = state;
    this.message = message;
    this.sendState();
  }

  private sendState(): void {
    if (!this.ready) return;
    this.d.post({ type: 'probe', symbol: this.d.symbol, state: this.state, func: this.func, message: this.message.slice(0, 2048), canProbe: this.canProbe });
  }

  /** Sends the counts when they changed since the last time. */
  flush(): void {
    if (!this.ready || this.stats.version === this.sentVersion) return;
    this.sentVersion = this.stats.version;
    this.d.post({ type: 'stats', symbol: this.d.symbol, stats: this.stats.snapshot() });
  }

  /** The view's page was replaced (its script loads again and says ready). */
  reloaded(): void {
    this.ready = false;
  }
}
