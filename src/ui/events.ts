// A minimal typed event, shaped like vscode.Event (subscribe, get a disposable back), so the
// model classes that fire events (SessionsModel) run and are unit-tested under plain Node.

/** Something that releases what it holds when disposed; a vscode.Disposable is one. */
export interface DisposableLike {
  dispose(): void;
}

/** Subscribes `listener`; the returned handle unsubscribes it. */
export type Event<T> = (listener: (value: T) => void) => DisposableLike;

/** Fires values to its listeners in subscription order; a throwing listener does not stop the others. */
export class Emitter<T> implements DisposableLike {
  private listeners: ((value: T) => void)[] = [];

  readonly event: Event<T> = (listener) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        // One broken subscriber must not keep the tree or the status bar from updating
        // (vscode.EventEmitter behaves the same way: it reports and goes on).
        console.error('Session Keeper: an event listener failed', err);
      }
    }
  }

  dispose(): void {
    this.listeners = [];
  }
}
