// The public library: `require('session-keeper')` / `import … from 'session-keeper'`.
// Everything here is stable API, documented in docs/library.md; anything not exported here is
// internal and may change. The ESM entry (index.mjs) re-exports this CommonJS build, so a
// process that mixes both loads one copy (one in-process lock queue).
import { defaultSessionsDir } from '../core/paths';
import { openChosenRegistry } from '../core/open-registry';
import type { Registry } from '../core/registry';
import { chooseRegistry, type RegistryChoice } from '../core/registry-config';
import { parseRegistryLocation } from '../core/registry-location';
import type { StoreOptions } from '../core/session-store';

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
export type { Registry, RegistryKind } from '../core/registry';
export { configFilePath } from '../core/registry-config';
export {
  UnsupportedRegistryError,
  RegistryUnavailableError,
  RegistryAuthError,
  RegistryTlsError,
  RegistryPasswordFileError,
  RegistryConfigError,
} from '../core/registry-errors';

/**
 * A session registry as callers use it: a sessions directory or a Redis server behind one
 * interface (see Registry in docs/library.md), so code written against it does not change when
 * the registry moves.
 */
export type SessionRegistry = Registry;

/** Options of openRegistry(): those of a SessionStore, plus the Redis connection's. */
export interface OpenRegistryOptions extends StoreOptions {
  /** Redis password; wins over `passwordFile` and the URL's. Never logged. */
  password?: string;
  /** File holding the Redis password (one line, not readable by others). */
  passwordFile?: string;
  /**
   * Keep a Redis connection through outages, reconnecting with bounded backoff (long-lived
   * programs); default false: a server that cannot be reached fails the open.
   */
  persistent?: boolean;
  /** Warnings about the Redis server's eviction and persistence settings. */
  onWarning?(message: string): void;
  /** A persistent Redis connection was lost (the error saying why) or is back (null). */
  onStatus?(problem: Error | null): void;
}

/**
 * Opens a session registry. `location`: a directory path (relative to the working directory), a
 * `file:` URL (string or URL object), a Redis URL `redis://[user[:password]@]host[:port][/db]
 * [?prefix=P]` (`rediss://` for TLS), or omitted for the machine's choice: $SESSION_KEEPER_REGISTRY,
 * else $SESSION_KEEPER_DIR, else the config file (configFilePath()), else defaultSessionsDir().
 * A directory is created (0700) on the first create(); a missing one lists as empty. A Redis
 * registry connects first. Rejects with UnsupportedRegistryError (other schemes, malformed
 * URLs), RegistryPasswordFileError, RegistryConfigError, RegistryAuthError, RegistryTlsError
 * and RegistryUnavailableError. Call `dispose()` when done with a Redis registry.
 */
export async function openRegistry(location?: string | URL, options: OpenRegistryOptions = {}): Promise<SessionRegistry> {
  const { passwordFile, ...rest } = options;
  const choice: RegistryChoice =
    location === undefined ? chooseRegistry({ env: process.env }) : { location: parseRegistryLocation(location), source: '--registry' };
  if (passwordFile !== undefined) choice.passwordFile = passwordFile;
  return openChosenRegistry(choice, rest);
}
