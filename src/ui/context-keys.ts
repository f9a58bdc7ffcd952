import * as vscode from 'vscode';
import type { ModelSnapshot } from './sessions-model';
import { countSessions } from './status-bar-text';

/**
 * The context keys menus and welcome views read: `sessionKeeper.dirError` (the registry cannot be
 * used), `sessionKeeper.registryProblem` (why, as a RegistryProblem kind, or '' when it can) and
 * `sessionKeeper.hasStale` (something for Archive All Stale). Set only when they change, not on
 * every poll.
 */
export class SessionContextKeys {
  private readonly last = new Map<string, boolean | string>();

  update(snapshot: ModelSnapshot): void {
    const counts = countSessions(snapshot);
    this.set('sessionKeeper.dirError', snapshot.main.error !== null);
    this.set('sessionKeeper.registryProblem', snapshot.main.problem ?? '');
    this.set('sessionKeeper.hasStale', counts.stale + counts.closed > 0);
  }

  private set(key: string, value: boolean | string): void {
    if (this.last.get(key) === value) return;
    this.last.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }
}
