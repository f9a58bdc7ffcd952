import * as vscode from 'vscode';
import { defaultSessionsDir } from '../core/paths';
import { oneLine } from '../core/one-line';
import { SessionStore, type ArchiveResult } from '../core/session-store';
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

/**
 * Tells the user what the automatic cleanup moved: every session in the log, and crashed (stale)
 * ones in a notification too — closed sessions ending up in the archive is what everyone expects.
 */
export function reportCleanup(archived: readonly ArchiveResult[], dir: string, log: Log): void {
  for (const a of archived) {
    log.info(`Cleanup archived session ${a.id} ("${oneLine(a.label ?? '')}", ${a.state ?? 'invalid record'}: ${oneLine(a.reason)}) from ${dir}`);
  }
  const stale = archived.filter((a) => a.state === 'stale');
  const first = stale[0];
  if (!first) return;
  const text =
    stale.length === 1
      ? `Session Keeper archived the stale session "${oneLine(first.label ?? first.id, 80)}" (${oneLine(first.reason, 120)}).`
      : `Session Keeper archived ${stale.length} stale sessions, "${oneLine(first.label ?? first.id, 80)}" among them.`;
  void vscode.window.showInformationMessage(text, 'Show Log').then((choice) => {
    if (choice === 'Show Log') void vscode.commands.executeCommand('sessionKeeper.showLog');
  });
}

/** One store per folder shown, configured from the settings. Constructing a store touches no files. */
export function buildStores(settings: Settings, log: Log): Stores {
  const onError = (err: unknown, context: string): void => log.warn(`${context}: ${describeError(err)}`);
  // Thresholds go into the records this window creates; every session is judged by its own.
  const common = {
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    unresponsiveAfterMs: settings.unresponsiveAfterMs,
    expireAfterMs: settings.expireAfterMs,
    staleGraceMs: settings.staleGraceMs,
    tool: 'vscode',
    onError,
  };
  const dir = sessionsDir(settings);
  const main = new SessionStore(dir, {
    ...common,
    cleanupOnCreate: settings.autoCleanupOnStart,
    // Opt-in; 0 leaves the option out, so nothing is ever deleted.
    ...(settings.archiveRetentionDays > 0 ? { archiveRetentionDays: settings.archiveRetentionDays } : {}),
    onCleanupAfterCreate: (archived) => reportCleanup(archived, dir, log),
  });
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
