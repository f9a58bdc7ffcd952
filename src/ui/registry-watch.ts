// Live updates from a registry that pushes its changes (Redis pub/sub): changes made on other
// machines reach this window's tree within a second, without polling. A directory registry has
// no push (its files are watched by TreeRefresher instead), so this does nothing for it.
import type { Registry } from '../core/registry';
import type { Log } from './log';

/** Keeps one subscription to the current main registry; restart() after the registry changed. */
export class RegistryWatch {
  private unwatch: Promise<(() => Promise<void>) | null> = Promise.resolve(null);

  constructor(
    /** The registry to watch now, and where it is (for the log). */
    private readonly current: () => { store: Registry; dir: string },
    /** Called on every change the registry announces: `routine` for a heartbeat (only ages change). */
    private readonly onChange: (routine: boolean) => void,
    private readonly log: Log,
  ) {}

  /** Subscribes to the current registry, ending the previous subscription. */
  restart(): void {
    // The old subscription may still be waiting for a server that is down: stop it whenever it
    // settles, without making the new one wait for that.
    void this.unwatch.then((stop) => stop?.()).catch(() => undefined);
    const { store, dir } = this.current();
    this.unwatch = store.watch((change) => this.onChange(change?.op === 'heartbeat')).catch((err: unknown) => {
      this.log.warn(`Live updates from ${dir} are off (the view still refreshes every few seconds): ${String((err as Error)?.message ?? err)}`);
      return null;
    });
  }

  dispose(): void {
    void this.unwatch.then((stop) => stop?.()).catch(() => undefined);
  }
}
