// A secret (the sudo password of one host) kept in memory only while it is in use: operations
// that may need it hold it, and it is dropped `idleMs` after the last hold ends, or at once by
// clear() (the host's connection closed). idleMs 0 = never kept beyond the operation that asked
// for it. JavaScript cannot wipe a string's memory; dropping the only reference is what we can do.
// No vscode import; the clock is injectable so tests need no real waiting.

export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: TimerClock = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.(); // a pending expiry never keeps a process (the CLI) alive
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Default of kwitness.sudoPasswordIdleMinutes. */
export const DEFAULT_SUDO_PASSWORD_IDLE_MINUTES = 15;

export class ExpiringSecret {
  private value: string | undefined;
  private holds = 0;
  private timer: unknown;

  constructor(
    /** Read at every release, so a changed setting applies from the next countdown on. */
    private readonly idleMs: () => number,
    private readonly clock: TimerClock = realClock,
  ) {}

  get(): string | undefined {
    return this.value;
  }

  get isHeld(): boolean {
    return this.holds > 0;
  }

  set(value: string): void {
    this.value = value;
    this.rearm();
  }

  /**
   * Keeps the secret while an operation that may need it runs (a trace holds it until its agent
   * exits, so Stop never has to ask again). Returns the release function (idempotent).
   */
  hold(): () => void {
    this.holds++;
    this.cancelTimer();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.rearm();
    };
  }

  clear(): void {
    this.cancelTimer();
    this.value = undefined;
  }

  private rearm(): void {
    this.cancelTimer();
    if (this.value === undefined || this.holds > 0) return;
    const ms = this.idleMs();
    if (!(ms > 0)) {
      this.value = undefined;
      return;
    }
    // setTimeout fires at once beyond 2^31-1 ms (~24.8 days): cap there instead
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.holds === 0) this.value = undefined;
    }, Math.min(ms, 2_147_483_647));
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
