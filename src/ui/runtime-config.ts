import type { Log } from './log';
import { readSettings, type Settings } from './settings';
import { buildStores, type SecretReader, type Stores } from './store-factory';

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
   * Reads the settings again (they changed); returns the previous and the new ones, and the
   * previous stores, for the caller to dispose of once nothing uses them.
   */
  reload(): { before: Settings; after: Settings; previous: Stores } {
    const { settings: before, stores: previous } = this.load();
    this.current = undefined;
    return { before, after: this.settings, previous };
  }

  private load(): { settings: Settings; stores: Stores } {
    if (!this.current) {
      const settings = readSettings();
      this.current = { settings, stores: buildStores(settings, this.log, this.secret) };
    }
    return this.current;
  }
}
