import * as vscode from 'vscode';
import { defaultSessionsDir } from '../core/paths';
import { SessionStore } from '../core/session-store';
import { describeError, type Log } from './log';
import { expandHome, resolveExtraDirectory, type Settings } from './settings';
import type { StoreRef } from './sessions-model';

export interface Stores {
  main: StoreRef & { store: SessionStore };
  extras: (StoreRef & { store: SessionStore })[];
}

/** The sessions folder in use: the setting, else the core's default (which honours $SESSION_KEEPER_DIR). */
export function sessionsDir(settings: Settings): string {
  return settings.sessionsDirectory ? expandHome(settings.sessionsDirectory) : defaultSessionsDir();
}

/** One store per folder shown, configured from the settings. Constructing a store touches no files. */
export function buildStores(settings: Settings, log: Log): Stores {
  const onError = (err: unknown, context: string): void => log.warn(`${context}: ${describeError(err)}`);
  const common = {
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    staleAfterMs: settings.staleAfterMs,
    expireAfterMs: settings.expireAfterMs,
    tool: 'vscode',
    onError,
  };
  const dir = sessionsDir(settings);
  const main = new SessionStore(dir, { ...common, cleanupOnCreate: settings.autoCleanupOnStart });
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const extraDirs = [...new Set(settings.extraDirectories.flatMap((entry) => resolveExtraDirectory(entry, folders)))].filter(
    (d) => d !== main.dir,
  );
  return {
    main: { dir: main.dir, store: main },
    // Extra folders belong to other tools: shown and archivable, never cleaned up behind their back.
    extras: extraDirs.map((d) => {
      const store = new SessionStore(d, { ...common, cleanupOnCreate: false });
      return { dir: store.dir, store };
    }),
  };
}
