// Where the sessions directory lives, and how names inside it are formed safely.
import * as os from 'node:os';
import * as path from 'node:path';
import { SessionKeeperError } from './errors';
import { assertSessionId } from './session-record';

const APP = 'session-keeper';

/**
 * The sessions directory: $SESSION_KEEPER_DIR if set, else the platform's per-user state dir.
 * Linux and other Unixes: $XDG_STATE_HOME (if absolute) or ~/.local/state; macOS:
 * ~/Library/Application Support; Windows: %LOCALAPPDATA% (or ~\AppData\Local).
 */
export function defaultSessionsDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const override = env.SESSION_KEEPER_DIR;
  if (override) return p.resolve(override);
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA && p.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : p.join(home, 'AppData', 'Local');
    return p.join(local, APP, 'sessions');
  }
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', APP, 'sessions');
  // The XDG spec says relative values are invalid and must be ignored.
  const state = env.XDG_STATE_HOME && p.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : p.join(home, '.local', 'state');
  return p.join(state, APP, 'sessions');
}

/** A file name that could leave its directory (separators, '.', '..', NUL). Code `EUNSAFEPATH`. */
export class UnsafePathError extends SessionKeeperError {
  constructor(message: string) {
    super('EUNSAFEPATH', message);
  }
}

/**
 * Joins `dir` and a single file name, refusing anything that could leave `dir`: separators,
 * '.', '..', NUL, or an empty name.
 */
export function safeJoin(dir: string, name: string): string {
  if (
    name.length === 0 ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    path.isAbsolute(name)
  ) {
    throw new UnsafePathError(`unsafe file name ${JSON.stringify(name)}: expected a plain name inside ${dir}`);
  }
  return path.join(dir, name);
}

/** Path of a session's record file; the id is validated first. */
export function recordPath(dir: string, id: string): string {
  assertSessionId(id);
  return safeJoin(dir, `${id}.json`);
}

/** Path of a session's JSONL journal; the id is validated first. */
export function journalPath(dir: string, id: string): string {
  assertSessionId(id);
  return safeJoin(dir, `${id}.jsonl`);
}

export const ARCHIVE_DIR_NAME = 'archive';

/** `archive/YYYY-MM-DD` for the UTC date of `at`. */
export function archiveDayDir(dir: string, at: number): string {
  return path.join(dir, ARCHIVE_DIR_NAME, utcDay(at));
}

export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}
