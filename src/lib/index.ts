// The public library: `require('session-keeper')` / `import … from 'session-keeper'`.
// Everything here is stable API, documented in docs/library.md; anything not exported here is
// internal and may change. The ESM entry (index.mjs) re-exports this CommonJS build, so a
// process that mixes both loads one copy (one in-process lock queue).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSessionsDir } from '../core/paths';
import { SessionStore, type StoreOptions } from '../core/session-store';

export { SessionKeeperError, hasErrorCode } from '../core/errors';
export { startSession, type SessionHandle, type StartSessionOptions } from '../core/start-session';
export {
  SessionStore,
  SessionNotFoundError,
  SessionClosedError,
  UnsafeDirectoryError,
  ProcessNotRunningError,
  InvalidArchiveDayError,
  type ListResult,
  type SessionInfo,
  type SessionProblem,
  type SessionProblemKind,
  type ListOptions,
  type ArchiveResult,
  type CreateInput,
  type SessionUpdate,
  type StoreOptions,
} from '../core/session-store';
export {
  FORMAT_VERSION,
  LIMITS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  InvalidRecordError,
  InvalidSessionIdError,
  checkSessionRecord,
  isSessionId,
  type SessionRecord,
  type SessionState,
  type RecordCheck,
} from '../core/session-record';
export { withLock, LockTimeoutError, LockCompromisedError, LOCK_DEFAULTS, type LockOptions } from '../core/lock';
export { appendJsonl, type AppendOptions } from '../core/jsonl-append';
export {
  readJsonl,
  scanJsonl,
  type JsonlRecord,
  type JsonlProblem,
  type JsonlStats,
  type ProblemKind,
  type ReadOptions,
  type ScanOptions,
} from '../core/jsonl-reader';
export { repairJsonl, type RepairOptions, type RepairResult } from '../core/jsonl-repair';
export { defaultSessionsDir };

/**
 * A session registry as callers use it. Today the only backend is a sessions directory
 * (SessionStore); other backends will implement this same interface, so code written against
 * it does not change when the registry moves.
 */
export type SessionRegistry = Pick<
  SessionStore,
  'dir' | 'create' | 'heartbeat' | 'update' | 'close' | 'list' | 'archive' | 'cleanup' | 'idle'
>;

/** The location given to openRegistry() names no backend this version supports. */
export class UnsupportedRegistryError extends Error {
  constructor(readonly location: string) {
    super(`unsupported registry location ${JSON.stringify(location)}: expected a directory path or a file: URL`);
    this.name = 'UnsupportedRegistryError';
  }
}

/**
 * Opens a session registry. `dirOrUrl`: a directory path (relative to the working directory), a
 * `file:` URL (string or URL object), or omitted for `defaultSessionsDir()`. The directory is
 * created (0700) on the first create(); a missing one lists as empty.
 * Rejects with UnsupportedRegistryError for any other URL scheme. Async so that backends which
 * must connect first fit the same call.
 */
export async function openRegistry(dirOrUrl?: string | URL, options: StoreOptions = {}): Promise<SessionRegistry> {
  return new SessionStore(registryDir(dirOrUrl), options);
}

function registryDir(location: string | URL | undefined): string {
  if (location === undefined) return defaultSessionsDir();
  if (location instanceof URL) {
    if (location.protocol !== 'file:') throw new UnsupportedRegistryError(location.href);
    return fileURLToPath(location);
  }
  if (typeof location !== 'string' || location.length === 0) throw new UnsupportedRegistryError(String(location));
  // "C:\x" is a Windows path, not a URL with scheme "c"; a scheme needs two or more letters.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(location)?.[1];
  if (scheme === undefined) return path.resolve(location);
  if (scheme.toLowerCase() === 'file') return fileURLToPath(location);
  throw new UnsupportedRegistryError(location);
}
