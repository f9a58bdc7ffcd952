import * as vscode from 'vscode';
import type { Log } from './log';
import type { RuntimeConfig } from './runtime-config';
import { affectsSettings, type Settings } from './settings';
import { sessionsDir } from './store-factory';
import type { TreeRefresher } from './tree-refresh';
import type { WindowSession } from './window-session';

/**
 * What happens when a Session Keeper setting changes, in one place (the shape of the Docker
 * extension's RefreshManager: one disposable owning the trigger, one method per effect). Every
 * setting applies without a reload: the heartbeat, the sessions folder, the thresholds written
 * into this window's record, the folders watched, the listing.
 */
export class SettingsChanges implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly config: RuntimeConfig,
    private readonly log: Log,
    /** This window's session; undefined until activate() has returned. */
    private readonly session: () => WindowSession | undefined,
    private readonly refresher: TreeRefresher,
    /** The folders to watch under the new settings. */
    private readonly watchedDirs: () => string[],
    /** Subscribes to the new main registry's notifications (RegistryWatch.restart). */
    private readonly rewatchRegistry: () => void,
  ) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSettings(e)) this.apply();
    });
  }

  /**
   * Reads the settings again and applies each effect. A Redis registry keeps its connection
   * unless a setting that decides the registry changed or `reconnect` (a new password) asks.
   */
  apply(reconnect = false): void {
    const { before, after, keptConnection, retired } = this.config.reload(reconnect);
    const { main } = this.config.stores;
    this.log.info(`Settings changed; registry ${main.dir}, heartbeat every ${after.heartbeatIntervalMs / 1000} s`);
    const switched = this.updateWindowSession(before, after);
    this.refresher.watch(this.watchedDirs());
    // A kept connection keeps its subscription too.
    if (!keptConnection) this.rewatchRegistry();
    this.refresher.now();
    // The old registries (and their connections) go once this window's session has moved off them.
    void switched.finally(() => Promise.all(retired.map((store) => store.dispose())));
  }

  /** A new folder moves this window's session there; otherwise new timings reach its record now. */
  private updateWindowSession(before: Settings, after: Settings): Promise<void> {
    const session = this.session();
    if (!session) return Promise.resolve();
    const { main } = this.config.stores;
    session.setInterval(after.heartbeatIntervalMs);
    if (sessionsDir(after) !== sessionsDir(before)) return session.moveTo(main.store, main.dir);
    session.setStore(main.store);
    // Write the new interval and thresholds into this window's record now, not one old interval later.
    return session.beat();
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
