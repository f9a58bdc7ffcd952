// The one interface of a session registry, whatever holds it: a sessions directory
// (DirectoryRegistry over SessionStore) or a Redis server (RedisRegistry). The CLI commands, the
// extension, the library and the MCP server use only this, so they behave the same on either.
import type { RecordTimingUpdate, SessionRecord } from './session-record';
import type {
  ArchiveResult,
  CleanupOptions,
  CreateInput,
  ListOptions,
  ListResult,
  PrunedDay,
  SessionInfo,
  SessionUpdate,
} from './session-store';

export type { ArchiveResult, CleanupOptions, CreateInput, ListOptions, ListResult, PrunedDay, SessionInfo, SessionUpdate } from './session-store';

/** Which backend holds a registry. */
export type RegistryKind = 'directory' | 'redis';

/**
 * One change a registry announced: `op` is what happened (`created`, `re-registered`,
 * `heartbeat`, `updated`, `closed`, `stale`, `archived`, `prune`; an unknown op may come from a
 * newer writer) and `id` the session (null for `prune`). The Redis layout in docs/format.md
 * gives the message format.
 */
export interface RegistryChange {
  op: string;
  id: string | null;
}

/**
 * A session registry. Every method validates its input first (InvalidRecordError,
 * InvalidSessionIdError, RangeError: nothing written) and fails with the errors of
 * SessionStore of the same name (SessionNotFoundError, SessionClosedError,
 * ProcessNotRunningError); a Redis registry adds RegistryUnavailableError, RegistryAuthError
 * and RegistryTlsError (src/core/registry-errors.ts).
 */
export interface Registry {
  readonly kind: RegistryKind;
  /**
   * Where the registry is, for people and logs: the directory's absolute path, or the Redis URL
   * without its password (`redis://user@host:6379/0?prefix=team`). Never holds a secret.
   */
  readonly location: string;
  /** The host name this registry writes into records and compares pids against. */
  readonly hostname: string;
  /** Registers a session (its process must be alive on this host); returns the record written. */
  create(input: CreateInput): Promise<SessionRecord>;
  /**
   * Refreshes heartbeatAt (and, with `update`, the owner's interval and thresholds) atomically.
   * A session archived or removed meanwhile is registered again under the same id.
   */
  heartbeat(id: string, update?: RecordTimingUpdate): Promise<SessionRecord>;
  /** Changes label, status line or folders of an open session; also counts as a heartbeat. */
  update(id: string, change: SessionUpdate): Promise<SessionRecord>;
  /** Sets closedAt; closing a closed or archived session does nothing. */
  close(id: string): Promise<void>;
  /** Sessions with their states, live ones first, newest first. Ages use the registry's clock. */
  list(options?: ListOptions): Promise<SessionInfo[]>;
  /**
   * The UTC days (`YYYY-MM-DD`) that hold archived sessions, newest first, found without reading
   * any archived record: what the view shows for a collapsed Archived group, at the same cost
   * whatever the archive holds.
   */
  listArchiveDays(): Promise<string[]>;
  /**
   * The sessions archived on `day` (a name from listArchiveDays()), newest first, judged now,
   * with the entries that could not be read. InvalidArchiveDayError (EINVALIDDAY) for a malformed day.
   */
  listArchivedOn(day: string): Promise<ListResult>;
  /**
   * Opt-in retention: deletes the archive days older than `days` (a whole number >= 1) and what
   * they hold; returns what was deleted. Nothing else ever deletes an archived session.
   */
  pruneArchive(days: number): Promise<PrunedDay[]>;
  /** Moves a session (record and journal) under its UTC archive day, whatever its state. Never deletes. */
  archive(id: string): Promise<ArchiveResult>;
  /** Archives closed sessions and stale ones past the grace period; returns what it archived. */
  cleanup(options?: CleanupOptions): Promise<ArchiveResult[]>;
  /**
   * Appends one JSON object to the session's journal (lifecycle events are written by the
   * registry itself; other tools may add their own objects). TypeError when `value` is not a
   * plain JSON object.
   */
  appendJournal(id: string, value: Record<string, unknown>): Promise<void>;
  /** The session's journal, oldest first: one parsed object per entry; [] when there is none. */
  readJournal(id: string): Promise<unknown[]>;
  /**
   * Calls `onChange` soon (within a second) after any session of this registry changes, from
   * any machine, with what changed (null when unknown, e.g. after a reconnect, when anything may
   * have); returns a function that stops watching. Null where the backend has no push
   * notifications (a directory: watch its files instead).
   */
  watch(onChange: (change: RegistryChange | null) => void): Promise<(() => Promise<void>) | null>;
  /** Resolves when background work (cleanup after create) has finished. */
  idle(): Promise<void>;
  /** Finishes background work and releases connections; the registry is unusable afterwards. */
  dispose(): Promise<void>;
}
