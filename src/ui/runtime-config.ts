import type { Log } from './log';
import { readSettings, type Settings } from './settings';
import type { Registry } from '../core/registry';
import { buildStores, sameRegistrySettings, type SecretReader, type Stores } from './store-factory';

/**
 * The settings and the stores built from them, read on first use rather than in activate():
 * the first configuration read costs a few milliseconds that window start-up should not pay.
 */
export class RuntimeConfig {
  private current: { settings: Settings; stores: Stores } | undefined;

  constructor(
    private readonly log: Log,
    private readonly secret?: SecretReader,
  ) {}

  get settings(): Settings {
    return this.load().settings;
  }

  get stores(): Stores {
    return this.load().stores;
  }

  /**
   * Reads the settings again (they changed). When the registry settings are unchanged and
   * `reconnect` is false, a Redis main registry keeps its connection (only its options change).
   * Returns the previous and the new settings, whether the connection was kept, and the
   * previous stores the caller disposes of once nothing uses them (`retired`: the kept main is
   * not among them, its successor takes care of it).
   */
  reload(reconnect = false): { before: Settings; after: Settings; keptConnection: boolean; retired: Registry[] } {
    const { settings: before, stores: previous } = this.load();
    const after = readSettings();
    const keep = !reconnect && previous.main.store.kind === 'redis' && sameRegistrySettings(before, after);
    this.current = { settings: after, stores: buildStores(after, this.log, this.secret, keep ? previous.main.store : undefined) };
    const retired = [...(keep ? [] : [previous.main]), ...previous.extras].map((s) => s.store);
    return { before, after, keptConnection: keep, retired };
  }

  private load(): { settings: Settings; stores: Stores } {
    if (!this.current) {
      const settings = readSettings();
      this.current = { settings, stores: buildStores(settings, this.log, this.secret) };
    }
    return this.current;
  }
}
