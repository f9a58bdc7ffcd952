import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isRetentionDays } from '../core/session-store';
import { timingSettings } from './timing-settings';

export const SECTION = 'sessionKeeper';

/** The extension's settings, read once per change and passed around as plain values. */
export interface Settings {
  /** As configured; '' means the core's default directory. */
  sessionsDirectory: string;
  /**
   * sessionKeeper.registry as configured: a Redis URL (or a directory); '' = sessionsDirectory,
   * then $SESSION_KEEPER_REGISTRY, $SESSION_KEEPER_DIR and the machine's config file.
   */
  registry: string;
  heartbeatIntervalMs: number;
  /**
   * unresponsiveAfterMs written into this window's own record (the setting sessionKeeper.staleAfterSeconds);
   * undefined (configured 0) leaves it out, so readers use three heartbeat intervals. Other
   * sessions are always judged by their own records.
   */
  unresponsiveAfterMs: number | undefined;
  /** expireAfterMs written into this window's own record (sessionKeeper.expireAfterHours). */
  expireAfterMs: number;
  /** How long the automatic cleanup leaves a stale session visible after a cleanup first saw it stale (sessionKeeper.staleGraceMinutes). */
  staleGraceMs: number;
  autoCleanupOnStart: boolean;
  /** Archive days older than this many days are deleted by the cleanup (sessionKeeper.archiveRetentionDays); 0 = never. */
  archiveRetentionDays: number;
  notifyOnStale: boolean;
  extraDirectories: string[];
}

/**
 * Reads a machine-scoped value from user (or remote) settings only. VS Code already ignores
 * machine-scoped values in workspace settings; reading `inspect()` makes sure a workspace can
 * never point this extension at a directory of its choosing, even in an older host.
 */
function userValue<T>(config: vscode.WorkspaceConfiguration, key: string, fallback: T): T {
  const inspected = config.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const dir = userValue<unknown>(config, 'sessionsDirectory', '');
  const registry = userValue<unknown>(config, 'registry', '');
  const extras = userValue<unknown>(config, 'extraDirectories', []);
  return {
    sessionsDirectory: typeof dir === 'string' ? dir.trim() : '',
    registry: typeof registry === 'string' ? registry.trim() : '',
    ...timingSettings({
      heartbeatIntervalSeconds: config.get('heartbeatIntervalSeconds'),
      unresponsiveAfterSeconds: config.get('staleAfterSeconds'),
      expireAfterHours: config.get('expireAfterHours'),
      staleGraceMinutes: config.get('staleGraceMinutes'),
    }),
    autoCleanupOnStart: config.get('autoCleanupOnStart') !== false,
    archiveRetentionDays: retentionDays(userValue<unknown>(config, 'archiveRetentionDays', 0)),
    notifyOnStale: config.get('notifyOnStale') === true,
    extraDirectories: Array.isArray(extras)
      ? extras.filter((e): e is string => typeof e === 'string' && e.trim() !== '').map((e) => e.trim())
      : [],
  };
}

/** A retention in whole days the store accepts, or 0 (never delete) for anything else. */
function retentionDays(value: unknown): number {
  const days = typeof value === 'number' ? Math.floor(value) : 0;
  return isRetentionDays(days) ? days : 0;
}

/** Expands a leading `~` so settings can name a folder in the home directory. */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/**
 * The folders an `extraDirectories` entry names: an absolute (or `~`) path is itself; a relative
 * one is looked for in each workspace folder (e.g. a project's `.planning/telegram-sessions`).
 */
export function resolveExtraDirectory(entry: string, workspaceFolders: readonly string[]): string[] {
  const expanded = expandHome(entry);
  if (path.isAbsolute(expanded)) return [path.normalize(expanded)];
  return workspaceFolders.map((folder) => path.join(folder, expanded));
}

export function affectsSettings(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
