import type { Log } from './log';
import { readSettings, type Settings } from './settings';
import { buildStores, type Stores } from './store-factory';

/**
 * The settings and the stores built from them, read on first use rather than in activate():
 * the first configuration read costs a few milliseconds that window start-up should not pay.
 */
export class RuntimeConfig {
  private current: { settings: Settings; stores: Stores } | undefined;

  constructor(private readonly log: Log) {}

  get settings(): Settings {
    return this.load().settings;
  }

  get stores(): Stores {
    return this.load().stores;
  }

  /** Reads the settings again (they changed); returns the previous and the new ones. */
  reload(): { before: Settings; after: Settings } {
    const before = this.settings;
    this.current = undefined;
    return { before, after: this.settings };
  }

  private load(): { settings: Settings; stores: Stores } {
    if (!this.current) {
      const settings = readSettings();
      this.current = { settings, stores: buildStores(settings, this.log) };
    }
    return this.current;
  }
}
