import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LIMITS } from '../core/session-record';

export const SECTION = 'sessionKeeper';

/** The extension's settings, read once per change and passed around as plain values. */
export interface Settings {
  /** As configured; '' means the core's default directory. */
  sessionsDirectory: string;
  heartbeatIntervalMs: number;
  /**
   * unresponsiveAfterMs written into this window's own record (sessionKeeper.staleAfterSeconds);
   * undefined (configured 0) leaves it out, so readers use three heartbeat intervals. Other
   * sessions are always judged by their own records.
   */
  unresponsiveAfterMs: number | undefined;
  /** expireAfterMs written into this window's own record (sessionKeeper.expireAfterHours). */
  expireAfterMs: number;
  /** How long the automatic cleanup leaves a stale session visible after its last heartbeat (sessionKeeper.staleGraceMinutes). */
  staleGraceMs: number;
  autoCleanupOnStart: boolean;
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

function finiteAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(min, value) : fallback;
}

function clampMs(ms: number): number {
  return Math.min(LIMITS.maxThresholdMs, Math.max(LIMITS.minThresholdMs, Math.round(ms)));
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const heartbeatSeconds = finiteAtLeast(config.get('heartbeatIntervalSeconds'), 1, 10);
  const staleSeconds = finiteAtLeast(config.get('staleAfterSeconds'), 0, 30);
  const expireHours = finiteAtLeast(config.get('expireAfterHours'), 0.05, 24);
  const graceMinutes = finiteAtLeast(config.get('staleGraceMinutes'), 0, 10);
  const dir = userValue<unknown>(config, 'sessionsDirectory', '');
  const extras = userValue<unknown>(config, 'extraDirectories', []);
  return {
    sessionsDirectory: typeof dir === 'string' ? dir.trim() : '',
    heartbeatIntervalMs: heartbeatSeconds * 1000,
    // Records hold whole milliseconds within the format's limits.
    unresponsiveAfterMs: staleSeconds === 0 ? undefined : clampMs(staleSeconds * 1000),
    expireAfterMs: clampMs(expireHours * 3600 * 1000),
    staleGraceMs: Math.round(graceMinutes * 60 * 1000),
    autoCleanupOnStart: config.get('autoCleanupOnStart') !== false,
    notifyOnStale: config.get('notifyOnStale') === true,
    extraDirectories: Array.isArray(extras)
      ? extras.filter((e): e is string => typeof e === 'string' && e.trim() !== '').map((e) => e.trim())
      : [],
  };
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
