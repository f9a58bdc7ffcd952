// The session registry over one sessions directory: create, heartbeat, close, list with states,
// archive and cleanup. Layout and rules: docs/format.md.
//
// This is the facade (as proper-lockfile's index.js sits over lib/): each job lives in its own
// module under store/, and this file only holds the per-store state that spans them.
//   store/types.ts            the public shapes (SessionInfo, StoreOptions, ...)
//   store/errors.ts           the registry's errors
//   store/context.ts          what the jobs share: directory, clock, host, owned records, journal
//   store/record-writes.ts    create, heartbeat (with re-registration), update, close
//   store/record-files.ts     finding, reading, validating and writing record files
//   store/judge.ts            liveness of many records, one probe per pid
//   store/listing.ts          list(), and the archive by day with its cache
//   store/archiving.ts        archive() and the cleanup
//   store/archive-retention.ts the opt-in deletion of old archive days
//   store/temp-sweep.ts       the cleanup's sweep of abandoned temp files
//   store/directory-safety.ts the check that the sessions directory is ours alone
import { staleGraceMs } from './liveness';
import type { RecordTimingUpdate, SessionRecord } from './session-record';
import { pruneArchive } from './store/archive-retention';
import { archiveSession, runCleanup } from './store/archiving';
import { ArchiveDayList } from './store/archive-day-list';
import { StoreContext } from './store/context';
import { ArchiveDayCache, listArchivedOn, listArchiveDays, listSessions } from './store/listing';
import { closeSession, createSession, heartbeatSession, updateSession } from './store/record-writes';
import type { ArchiveResult, CleanupOptions, CreateInput, ListOptions, ListResult, PrunedDay, SessionInfo, SessionUpdate, StoreOptions } from './store/types';

export type { RecordTimingUpdate, SessionRecord, SessionState } from './session-record';
export type {
  ArchiveResult,
  CleanupOptions,
  CreateInput,
  ListOptions,
  ListResult,
  PrunedDay,
  SessionInfo,
  SessionProblem,
  SessionProblemKind,
  SessionUpdate,
  StoreOptions,
} from './store/types';
export { isRetentionDays, MAX_RETENTION_DAYS } from './store/archive-retention';
export { InvalidArchiveDayError, ProcessNotRunningError, SessionClosedError, SessionNotFoundError, UnsafeDirectoryError } from './store/errors';

export class SessionStore {
  /** The sessions directory, as open(2) resolves it. */
  readonly dir: string;
  /** The host name written into records and used to judge whose processes can be checked. */
  readonly hostname: string;
  private readonly ctx: StoreContext;
  private readonly background = new Set<Promise<void>>();
  /** Running cleanups by grace period (ms): concurrent calls with the same grace share one run. */
  private readonly cleanupRuns = new Map<number, Promise<ArchiveResult[]>>();
  private readonly archiveDays: ArchiveDayCache;
  private readonly archiveDayList = new ArchiveDayList();

  constructor(dir: string, options: StoreOptions = {}) {
    this.ctx = new StoreContext(dir, options);
    this.dir = this.ctx.dir;
    this.hostname = this.ctx.hostname;
    this.archiveDays = new ArchiveDayCache(options.archiveCacheDays);
  }

  /**
   * Registers a session of process `input.pid` (default this one): writes its record under its
   * lock and starts a cleanup in the background (unless `cleanupOnCreate: false`). Throws
   * InvalidRecordError (bad label, folders or tool), RangeError (interval, thresholds or pid out
   * of range), ProcessNotRunningError, UnsafeDirectoryError, LockTimeoutError.
   */
  async create(input: CreateInput): Promise<SessionRecord> {
    const record = await createSession(this.ctx, input);
    if (this.ctx.options.cleanupOnCreate ?? true) this.cleanupInBackground();
    return record;
  }

  /**
   * Refreshes heartbeatAt: one atomic write under the record's lock. If the record was archived
   * or removed meanwhile, the session registers itself again under the same id. `update` changes
   * the owner's promised interval and thresholds in the same write (its settings changed);
   * null for a threshold removes it (readers then use the default). Throws SessionClosedError,
   * SessionNotFoundError (a session this store does not know and has no record of).
   */
  heartbeat(id: string, update: RecordTimingUpdate = {}): Promise<SessionRecord> {
    return heartbeatSession(this.ctx, id, update);
  }

  /**
   * Changes the label and/or status line of an open session: one atomic write under the
   * record's lock, which also refreshes the heartbeat. Throws InvalidRecordError for bad input
   * (nothing written), SessionNotFoundError for an unknown or archived session, SessionClosedError
   * for a closed one.
   */
  update(id: string, change: SessionUpdate): Promise<SessionRecord> {
    return updateSession(this.ctx, id, change);
  }

  /** Sets closedAt. Closing a closed or already archived session does nothing. */
  close(id: string): Promise<void> {
    return closeSession(this.ctx, id);
  }

  /**
   * Sessions with their states, newest first. Never takes locks: records are replaced
   * atomically, so a read sees a whole old or a whole new record. Files are read in short
   * synchronous slices with a yield to the event loop in between (see readRegularFileSync), and
   * each distinct pid is probed once. Without `includeArchived` the archive is not touched; with
   * it, archived sessions follow the live ones (prefer listArchiveDays/listArchivedOn, which read
   * one day at a time).
   */
  list(options: ListOptions = {}): Promise<SessionInfo[]> {
    return listSessions(this.ctx, options, this.archiveDays);
  }

  /**
   * The archive's day folders (`YYYY-MM-DD`, UTC), newest first. Reads only the archive
   * directory, never a record, and keeps the names: while the archive directory's inode, mtime
   * and ctime stay as they were (and were over 2 s old when read), a call costs one stat however
   * large the archive is (store/archive-day-list.ts). [] when there is no archive (or no
   * sessions directory).
   */
  listArchiveDays(): Promise<string[]> {
    return listArchiveDays(this.ctx, this.archiveDayList);
  }

  /**
   * The sessions archived on `day` (a name from listArchiveDays()), newest first, with the
   * entries of that folder that were skipped. Archived records never change, so a day's parsed
   * records are cached (per store, the 64 most recently read days, see StoreOptions.archiveCacheDays) until the folder's mtime or
   * entry count changes; states are judged anew on each call. A day that does not exist gives
   * an empty result. Throws InvalidArchiveDayError for a name that is not `YYYY-MM-DD`.
   */
  listArchivedOn(day: string): Promise<ListResult> {
    return listArchivedOn(this.ctx, this.archiveDays, day);
  }

  /** Moves a session's record and journal to archive/YYYY-MM-DD/, whatever its state. */
  archive(id: string): Promise<ArchiveResult> {
    return archiveSession(this.ctx, id);
  }

  /**
   * Deletes the archive day folders older than `olderThanDays` whole days (UTC days before
   * today − olderThanDays), with everything archived in them; returns what it deleted, oldest
   * last. Never touches live records or today's archive. Opt-in only: nothing calls this unless
   * asked (`archive --prune-older-than`, StoreOptions.archiveRetentionDays). Throws RangeError
   * unless `olderThanDays` is a whole number from 1 to MAX_RETENTION_DAYS.
   */
  pruneArchive(olderThanDays: number): Promise<PrunedDay[]> {
    return pruneArchive(this.ctx, olderThanDays);
  }

  /**
   * Archives every closed session and every stale one past the grace period (never unresponsive
   * ones). Each session's state is judged again under its lock, so one that heartbeated
   * meanwhile stays. Failures of single sessions go to `onError` and do not stop the others.
   * Returns what it archived.
   */
  cleanup(options: CleanupOptions = {}): Promise<ArchiveResult[]> {
    const grace = staleGraceMs(options.staleGraceMs, this.ctx.options.staleGraceMs);
    // Concurrent calls in one process share one run instead of racing for the same locks.
    let running = this.cleanupRuns.get(grace);
    if (!running) {
      running = runCleanup(this.ctx, grace).finally(() => this.cleanupRuns.delete(grace));
      this.cleanupRuns.set(grace, running);
    }
    return running;
  }

  /** Resolves when background work started by this store (cleanup after create) has finished. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private cleanupInBackground(): void {
    // Fire and forget: create() neither waits for this nor fails because of it.
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.cleanup())
      .then(
        (archived) => {
          try {
            if (archived.length > 0) this.ctx.options.onCleanupAfterCreate?.(archived);
          } catch (err) {
            this.ctx.report(err, 'cleanup after create: reporting what was archived');
          }
        },
        (err: unknown) => this.ctx.report(err, 'cleanup after create'),
      )
      .finally(() => this.background.delete(run));
    this.background.add(run);
  }
}
