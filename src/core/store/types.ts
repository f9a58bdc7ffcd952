// The public shapes of the session registry: what list() returns, what create() and cleanup()
// take, and the store's options. Re-exported by session-store.ts, the registry's facade.
import type { MovedFile } from '../archive-files';
import type { LockOptions } from '../lock';
import type { PidSpace, StartTimeMethod } from '../process-info';
import type { LivenessReason } from '../liveness-text';
import type { SessionRecord, SessionState } from '../session-record';

export interface SessionInfo {
  record: SessionRecord;
  state: SessionState;
  /** Why it is in its state, in English (the CLI's and the logs' words). */
  reason: string;
  /** The same as a code with its values, for a UI to word in its language (liveness-text.ts). Absent on infos built elsewhere. */
  why?: LivenessReason;
  heartbeatAgeMs: number;
  /** The record file. */
  file: string;
  /** The session's JSONL journal (may not exist, e.g. for records written by other tools). */
  journal: string;
  /** YYYY-MM-DD (UTC) of the archive day directory when archived, else null. */
  archivedOn: string | null;
}

export type SessionProblemKind =
  | 'bad-name'
  | 'symlink'
  | 'not-a-file'
  | 'too-large'
  | 'unreadable'
  | 'invalid-json'
  | 'invalid-record'
  | 'id-mismatch';

/** An entry of the sessions directory that looks like a record but was skipped. */
export interface SessionProblem {
  file: string;
  kind: SessionProblemKind;
  message: string;
}

/** One listing: the sessions and the entries skipped on the way. */
export interface ListResult {
  /** Newest first (createdAt, then id). */
  sessions: SessionInfo[];
  /** Entries that look like records but were skipped, with why; messages are one printable line. */
  problems: SessionProblem[];
}

export interface ListOptions {
  /** Also list records in archive/YYYY-MM-DD/ (with archivedOn set). */
  includeArchived?: boolean;
  /** Called for each skipped entry. */
  onProblem?(problem: SessionProblem): void;
}

export interface ArchiveResult {
  id: string;
  /** YYYY-MM-DD (UTC) day directory the files went to. */
  archivedOn: string;
  /** State and reason at the time of archiving. */
  state: SessionState | null;
  reason: string;
  /** The record's label; null when the record was missing or invalid. */
  label: string | null;
  moved: MovedFile[];
}

/** An archive day folder deleted by the retention. */
export interface PrunedDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** The folder deleted. */
  dir: string;
  /** How many entries (records, journals, anything else) it held. */
  files: number;
}

export type { CreateInput } from '../session-record';

export interface CleanupOptions {
  /**
   * A stale session stays for this long (ms) after a cleanup first saw it stale (the record's
   * staleSince, which the first such cleanup writes), so a crash is seen before it is archived.
   * Default: StoreOptions.staleGraceMs, else 10 min; 0 = none. Closed sessions are archived regardless.
   */
  staleGraceMs?: number;
}

/** What the owner of a session may change while it runs (see SessionStore.update). */
export interface SessionUpdate {
  /** New label (≤ 1000 chars, may be empty). */
  label?: string;
  /** New status line (≤ 500 chars); empty string clears it. */
  status?: string;
  /** New workspace folders (absolute, ≤ 256), e.g. an MCP client's changed roots. */
  workspaceFolders?: string[];
}

export interface StoreOptions {
  /** This host's name; default $SESSION_KEEPER_HOSTNAME, else os.hostname(). */
  hostname?: string;
  /** Clock in epoch ms (tests). */
  now?: () => number;
  user?: string;
  /** Tool name recorded when create() is given none. */
  tool?: string;
  /** Heartbeat interval of new sessions; default 10 s. */
  heartbeatIntervalMs?: number;
  /**
   * unresponsiveAfterMs written into records this store creates (ms); default none (readers
   * use 3 × heartbeatIntervalMs). Never used to judge others' records: thresholds are theirs.
   */
  unresponsiveAfterMs?: number;
  /** expireAfterMs written into records this store creates (ms); default none (readers use 24 h). */
  expireAfterMs?: number;
  /**
   * Opt-in retention: every cleanup() (including the one after create()) also deletes archive
   * day folders older than this many days (see SessionStore.pruneArchive). Default none: 0 or
   * undefined never deletes anything.
   */
  archiveRetentionDays?: number;
  /**
   * How many archive days' parsed records listArchivedOn() keeps (see ArchiveDayCache); default
   * 64. 0 keeps none: a one-pass reader of the whole archive (`list --all`) then holds one day at a time.
   */
  archiveCacheDays?: number;
  /** Default grace of cleanup() for stale sessions (ms); default 10 min. See CleanupOptions. */
  staleGraceMs?: number;
  /** Called with what the cleanup after create() archived, when it archived anything. */
  onCleanupAfterCreate?(archived: ArchiveResult[]): void;
  /** The reader's boot id and PID namespace; default this process's (tests pretend to be another PID space). */
  pidSpace?: PidSpace;
  lock?: LockOptions;
  /** Run cleanup in the background after each create(); default true. */
  cleanupOnCreate?: boolean;
  /** Errors of background work (cleanup) and per-session cleanup failures. */
  onError?(error: unknown, context: string): void;
  /** Start-time lookup method (tests); default by platform. */
  startTimeMethod?: StartTimeMethod;
  /** This machine's boot time in epoch ms (tests); default now − os.uptime(); null = unknown. */
  bootTimeMs?: number | null;
}
