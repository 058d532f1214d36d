// Structural teardown: anything that owns resources (SSH connections, exec channels, agent
// processes, trace sessions, panels) extends Disposable and registers what it owns, so
// dispose() releases all of it in reverse order without anyone having to remember.
// Shaped like VS Code's Disposable so vscode objects can be registered directly; no vscode import.

export interface IDisposable {
  dispose(): void;
}

export function toDisposable(fn: () => void): IDisposable {
  return { dispose: fn };
}

export abstract class Disposable implements IDisposable {
  private readonly _toDispose: IDisposable[] = [];
  private _isDisposed = false;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Registers `d` to be disposed with this object; disposes it at once if this one already is. */
  protected _register<T extends IDisposable>(d: T): T {
    if (this._isDisposed) {
      d.dispose();
    } else {
      this._toDispose.push(d);
    }
    return d;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    // Reverse order: later resources may depend on earlier ones (a channel on its connection).
    const errors: unknown[] = [];
    while (this._toDispose.length) {
      const d = this._toDispose.pop()!;
      try {
        d.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }
}

/** A minimal typed event emitter (vscode.EventEmitter-like) usable outside the extension host. */
export class Emitter<T> implements IDisposable {
  private listeners = new Set<(e: T) => void>();

  readonly event = (listener: (e: T) => void): IDisposable => {
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
