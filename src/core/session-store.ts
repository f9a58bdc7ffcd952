// The session registry over one sessions directory: create, heartbeat, close, list with states,
// archive and cleanup. Layout and rules: docs/format.md.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { SessionKeeperError } from './errors';
import { ensurePrivateDir, isArchiveDayName, moveIntoArchive, parseArchivedName, type MovedFile } from './archive-files';
import { DEFAULT_STALE_GRACE_MS, dueForCleanup, judgeLiveness, needsProcessCheck, needsStaleMark } from './liveness';
import type { LockLease, LockOptions } from './lock';
import { LockCompromisedError, withLock } from './lock';
import { dirAsOpened } from './lock-target';
import { ARCHIVE_DIR_NAME, archiveDayDir, journalPath, recordPath, utcDay } from './paths';
import { currentPidSpace, isProcessAlive, ProcessProbe, type PidSpace, type ProcessFacts, type StartTimeMethod } from './process-info';
import { readRegularFile, readRegularFileSync, RegularFileReadError } from './regular-file-read';
import { appendSessionEvent, sessionEvent, type SessionEventName } from './session-journal';
import {
  assertSessionId,
  checkSessionInput,
  checkSessionUpdate,
  checkSessionRecord,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  FORMAT_VERSION,
  InvalidRecordError,
  isHeartbeatInterval,
  isPid,
  isThresholdMs,
  LIMITS,
  msRangeError,
  type SessionRecord,
  type SessionState,
  checkTimingUpdate,
  timingFields,
  type RecordTimingUpdate,
} from './session-record';
import { isTempName, writeFileAtomic } from './write-atomic';
import { oneLine } from './one-line';

export type { RecordTimingUpdate, SessionRecord, SessionState } from './session-record';

export interface SessionInfo {
  record: SessionRecord;
  state: SessionState;
  reason: string;
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

export interface CreateInput {
  label: string;
  workspaceFolders?: string[];
  tool?: string;
  /** The process the session stands for; default this process. Must be alive on this host. */
  pid?: number;
  heartbeatIntervalMs?: number;
  /** Written into the record: unresponsive after this long without a heartbeat (ms); default StoreOptions.unresponsiveAfterMs, else 3 intervals. */
  unresponsiveAfterMs?: number;
  /** Written into the record: stale after this long without a heartbeat (ms); default StoreOptions.expireAfterMs, else 24 h. */
  expireAfterMs?: number;
}

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

/** No record (live, or archived where that matters) of session `id`. Code `ESESSIONNOTFOUND`. */
export class SessionNotFoundError extends SessionKeeperError {
  constructor(readonly id: string, dir: string) {
    super('ESESSIONNOTFOUND', `no session ${id} in ${dir}`);
  }
}

/** The session is closed: its owner may no longer heartbeat or update it. Code `ESESSIONCLOSED`. */
export class SessionClosedError extends SessionKeeperError {
  constructor(readonly id: string) {
    super('ESESSIONCLOSED', `session ${id} is closed`);
  }
}

/** The sessions directory is not safe to act on: others could plant records and symlinks there. Code `EUNSAFEDIR`. */
export class UnsafeDirectoryError extends SessionKeeperError {
  constructor(message: string) {
    super('EUNSAFEDIR', message);
  }
}

/** create() was given a pid that is not running on this host. Code `EPROCESSNOTRUNNING`. */
export class ProcessNotRunningError extends SessionKeeperError {
  constructor(readonly pid: number) {
    super('EPROCESSNOTRUNNING', `process ${pid} is not running on this host`);
  }
}

/** Temp files older than this have no live writer: an atomic write of a record takes milliseconds. */
const ABANDONED_TEMP_AGE_MS = 60_000;

/** The writer's pid in a temp name: `.<file>.<pid>.<hex>.tmp` (atomic write), `.<file>.repair-<pid>-<hex>.tmp` (repair). */
const TEMP_WRITER_PID_RE = /\.(?:repair-|quarantine-)?(\d+)[.-][0-9a-f]+\.tmp$/;

/** Archive days whose parsed records a store keeps (a year of days is ~365; a tree shows a few). */
const ARCHIVE_CACHE_DAYS = 64;

/** Longest stretch list() reads synchronously before yielding to the event loop. */
const LIST_SLICE_MS = 8;

const RECORD_NAME_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

/** What one archive day folder held when it was last read: archived records never change. */
interface ArchivedDayCache {
  /** The folder's mtime and entry count when read; either changing means a re-read. */
  key: string;
  loaded: Array<{ c: Candidate; record: SessionRecord }>;
  problems: SessionProblem[];
}

/** The archive day `day` is not a `YYYY-MM-DD` folder name. Code `EINVALIDDAY`. */
export class InvalidArchiveDayError extends SessionKeeperError {
  constructor(readonly day: unknown) {
    super('EINVALIDDAY', `invalid archive day ${JSON.stringify(day)}: expected YYYY-MM-DD (UTC)`);
  }
}

interface Candidate {
  file: string;
  /** Id from the file name. */
  id: string;
  archivedOn: string | null;
}

/** A record read from disk with the raw object (to keep fields of newer writers on rewrite). */
interface LoadedRecord {
  raw: Record<string, unknown>;
  record: SessionRecord;
}

/** Why a record file was rejected, with the problem kind list() reports. */
class RecordLoadError extends InvalidRecordError {
  constructor(
    readonly kind: 'invalid-json' | 'invalid-record' | 'id-mismatch',
    message: string,
  ) {
    super(message);
  }
}

export class SessionStore {
  readonly dir: string;
  readonly hostname: string;
  private readonly options: StoreOptions;
  private readonly now: () => number;
  /** Records this store created or heartbeated: what to re-register from if the file vanishes. */
  private readonly known = new Map<string, SessionRecord>();
  private readonly background = new Set<Promise<void>>();
  /** Running cleanups by grace period (ms): concurrent calls with the same grace share one run. */
  private readonly cleanupRuns = new Map<number, Promise<ArchiveResult[]>>();
  private readonly pidSpace: PidSpace;
  /** Parsed records of archive days by day name, least recently used first. */
  private readonly archiveCache = new Map<string, ArchivedDayCache>();

  constructor(dir: string, options: StoreOptions = {}) {
    // Once, as open(2) resolves it: `link/../sessions` is where the link's parent is, the same
    // directory an append to `link/../sessions/ID.jsonl` reaches.
    this.dir = dirAsOpened(dir);
    this.options = options;
    this.hostname = options.hostname ?? (process.env.SESSION_KEEPER_HOSTNAME || os.hostname());
    this.now = options.now ?? Date.now;
    this.pidSpace = options.pidSpace ?? currentPidSpace();
  }

  async create(input: CreateInput): Promise<SessionRecord> {
    const inputError = checkSessionInput({ label: input.label, workspaceFolders: input.workspaceFolders, tool: input.tool });
    if (inputError) throw new InvalidRecordError(inputError);
    const interval = input.heartbeatIntervalMs ?? this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (!isHeartbeatInterval(interval)) {
      throw new RangeError(msRangeError('heartbeat interval', interval, LIMITS.minHeartbeatIntervalMs, LIMITS.maxHeartbeatIntervalMs));
    }
    const thresholds = {
      unresponsiveAfterMs: input.unresponsiveAfterMs ?? this.options.unresponsiveAfterMs,
      expireAfterMs: input.expireAfterMs ?? this.options.expireAfterMs,
    };
    for (const [key, value] of Object.entries(thresholds)) {
      if (value !== undefined && !isThresholdMs(value)) {
        throw new RangeError(msRangeError(key, value, LIMITS.minThresholdMs, LIMITS.maxThresholdMs));
      }
    }
    const pid = input.pid ?? process.pid;
    if (!isPid(pid)) throw new RangeError(`invalid pid ${String(pid)}: expected an integer from 1 to ${LIMITS.pid}`);
    const probe = this.probe();
    const facts = await probe.facts(pid);
    if (!facts.alive) throw new ProcessNotRunningError(pid);
    const startedAt = facts.startedAt;

    const now = this.now();
    const at = new Date(now).toISOString();
    const record: SessionRecord = {
      version: FORMAT_VERSION,
      id: uuidv7(),
      pid,
      processStartedAt: startedAt === null ? null : new Date(startedAt).toISOString(),
      hostname: this.hostname,
      user: this.options.user ?? currentUser(),
      label: input.label,
      workspaceFolders: [...(input.workspaceFolders ?? [])],
      tool: input.tool ?? this.options.tool ?? 'session-keeper',
      createdAt: at,
      heartbeatAt: at,
      heartbeatIntervalMs: interval,
      closedAt: null,
      // Where the platform has them: the PID space the pid is numbered in (the creator's own, since
      // the creator saw `pid` there) and the start in boot-relative ticks, immune to clock steps.
      ...(this.pidSpace.bootId !== null ? { bootId: this.pidSpace.bootId } : {}),
      ...(this.pidSpace.pidNamespace !== null ? { pidNamespace: this.pidSpace.pidNamespace } : {}),
      ...(typeof facts.startTicks === 'number' ? { processStartTicks: facts.startTicks } : {}),
      ...(thresholds.unresponsiveAfterMs !== undefined ? { unresponsiveAfterMs: thresholds.unresponsiveAfterMs } : {}),
      ...(thresholds.expireAfterMs !== undefined ? { expireAfterMs: thresholds.expireAfterMs } : {}),
    };
    await this.checkDir();
    await ensurePrivateDir(this.dir);
    const file = recordPath(this.dir, record.id);
    let written = false;
    try {
      await withLock(
        file,
        async (_signal, lease) => {
          await writeRecord(file, record, lease);
          written = true;
        },
        { ...this.options.lock, followLink: false },
      );
    } catch (err) {
      // The record of a new id is nobody else's to write: a lock found lost only after the write
      // committed (a starved process) changed nothing. Failing here would make the caller register
      // again and leave this record behind as a second, ownerless session of the same process.
      if (!(written && err instanceof LockCompromisedError)) throw err;
      this.report(err, `lock of new session ${record.id} (the record was written)`);
    }
    this.known.set(record.id, record);
    await this.journal(record.id, 'created', now);
    if (this.options.cleanupOnCreate ?? true) this.cleanupInBackground();
    return record;
  }

  /**
   * Refreshes heartbeatAt: one atomic write under the record's lock. If the record was archived
   * or removed meanwhile, the session registers itself again under the same id. `update` changes
   * the owner's promised interval and thresholds in the same write (its settings changed);
   * null for a threshold removes it (readers then use the default).
   */
  async heartbeat(id: string, update: RecordTimingUpdate = {}): Promise<SessionRecord> {
    checkTimingUpdate(update);
    const file = recordPath(this.dir, id);
    // Someone deleted the sessions directory: re-create it, since the lock directory needs a
    // parent. Then a session this store knows is re-registered; an unknown one is reported as
    // not found (a caller such as the extension then registers anew), not as ENOENT forever.
    if (!(await this.checkDir())) await ensurePrivateDir(this.dir);
    const now = this.now();
    let reregistered: string | null = null;
    const record = await withLock(
      file,
      async (_signal, lease) => {
        let damaged = false;
        const current = await this.load(file, id).catch((err: unknown) => {
          // Our own record damaged by someone else: rewrite it from what we know.
          if (err instanceof InvalidRecordError && this.known.has(id)) {
            damaged = true;
            return null;
          }
          throw err;
        });
        let base: Record<string, unknown>;
        if (current) {
          if (current.record.closedAt !== null) throw new SessionClosedError(id);
          base = current.raw;
        } else {
          // The archive has the latest word: a session closed (by anyone) and then archived
          // must not come back, even if this store still remembers it open.
          const archived = damaged ? null : await this.findArchived(id);
          if (archived?.record.closedAt) throw new SessionClosedError(id);
          const previous = this.known.get(id) ?? archived?.record;
          if (!previous) throw new SessionNotFoundError(id, this.dir);
          if (previous.closedAt !== null) throw new SessionClosedError(id);
          base = { ...previous };
          reregistered = damaged ? 'record was damaged' : archived ? 'record was archived' : 'record was missing';
          await ensurePrivateDir(this.dir);
        }
        // A heartbeat is a sign of life: whatever a cleanup concluded (staleSince) no longer holds.
        const { staleSince: _seenStale, ...alive } = base;
        const next = { ...alive, ...timingFields(update), heartbeatAt: new Date(now).toISOString(), closedAt: null };
        const checked = checkSessionRecord(next);
        if (!checked.ok) throw new InvalidRecordError(`record ${file}: ${checked.error}`);
        await writeRecord(file, next, lease);
        return checked.record;
      },
      { ...this.options.lock, followLink: false },
    );
    this.known.set(id, record);
    if (reregistered) await this.journal(id, 're-registered', now, `${reregistered} at heartbeat`);
    return record;
  }

  /**
   * Changes the label and/or status line of an open session: one atomic write under the
   * record's lock, which also refreshes the heartbeat. Throws InvalidRecordError for bad input
   * (nothing written), SessionNotFoundError for an unknown or archived session, SessionClosedError
   * for a closed one.
   */
  async update(id: string, change: SessionUpdate): Promise<SessionRecord> {
    const inputError = checkSessionUpdate(change);
    if (inputError) throw new InvalidRecordError(inputError);
    const file = recordPath(this.dir, id);
    await this.checkDir();
    const now = this.now();
    const record = await withLock(
      file,
      async (_signal, lease) => {
        const current = await this.load(file, id);
        if (!current) throw new SessionNotFoundError(id, this.dir);
        if (current.record.closedAt !== null) throw new SessionClosedError(id);
        const next: Record<string, unknown> = { ...current.raw, heartbeatAt: new Date(now).toISOString() };
        if (change.label !== undefined) next.label = change.label;
        if (change.status !== undefined) next.status = change.status;
        if (change.workspaceFolders !== undefined) next.workspaceFolders = [...change.workspaceFolders];
        const checked = checkSessionRecord(next);
        if (!checked.ok) throw new InvalidRecordError(`record ${file}: ${checked.error}`);
        await writeRecord(file, next, lease);
        return checked.record;
      },
      { ...this.options.lock, followLink: false },
    );
    // A later heartbeat that finds the file gone re-registers from this, with the new text.
    if (this.known.has(id)) this.known.set(id, record);
    return record;
  }

  /** Sets closedAt. Closing a closed or already archived session does nothing. */
  async close(id: string): Promise<void> {
    const file = recordPath(this.dir, id);
    await this.checkDir();
    const now = this.now();
    const closed = await withLock(
      file,
      async (_signal, lease) => {
        const current = await this.load(file, id);
        if (!current) {
          if (this.known.has(id) || (await this.findArchived(id))) return false;
          throw new SessionNotFoundError(id, this.dir);
        }
        if (current.record.closedAt !== null) return false;
        await writeRecord(file, { ...current.raw, closedAt: new Date(now).toISOString() }, lease);
        return true;
      },
      { ...this.options.lock, followLink: false },
    );
    this.known.delete(id);
    if (closed) await this.journal(id, 'closed', now);
  }

  /**
   * Sessions with their states. Never takes locks: records are replaced atomically, so a read
   * sees a whole old or a whole new record. Files are read in short synchronous slices with a
   * yield to the event loop in between (see readRegularFileSync), and each distinct pid is
   * probed once.
   */
  async list(options: ListOptions = {}): Promise<SessionInfo[]> {
    const report = options.onProblem;
    // Messages quote names from the directory: keep them one short, printable line.
    const onProblem = report ? (p: SessionProblem): void => report({ ...p, message: oneLine(p.message) }) : () => undefined;
    if (!(await this.checkDir())) return [];
    const loaded = await this.readCandidates(await this.candidates(this.dir, null, onProblem), onProblem);
    if (options.includeArchived) {
      for (const day of await this.archiveDays()) {
        const cached = await this.archivedDay(day);
        for (const p of cached.problems) onProblem(p);
        loaded.push(...cached.loaded);
      }
    }
    return sortNewestFirst(await this.judgeAll(loaded, this.probe(), this.now()));
  }

  /**
   * The archive's day folders (`YYYY-MM-DD`, UTC), newest first. Reads only the archive
   * directory, never a record: a collapsed "Archived" group costs one readdir however large the
   * archive is. [] when there is no archive (or no sessions directory).
   */
  async listArchiveDays(): Promise<string[]> {
    if (!(await this.checkDir())) return [];
    return this.archiveDays();
  }

  /**
   * The sessions archived on `day` (a name from listArchiveDays()), newest first, with the
   * entries of that folder that were skipped. Archived records never change, so a day's parsed
   * records are cached until the folder's mtime or entry count changes; states are judged anew
   * on each call. A day that does not exist gives an empty result. Throws InvalidArchiveDayError
   * for a name that is not `YYYY-MM-DD`.
   */
  async listArchivedOn(day: string): Promise<ListResult> {
    if (!isArchiveDayName(day)) throw new InvalidArchiveDayError(day);
    if (!(await this.checkDir())) return { sessions: [], problems: [] };
    const cached = await this.archivedDay(day);
    const sessions = sortNewestFirst(await this.judgeAll(cached.loaded, this.probe(), this.now()));
    return { sessions, problems: [...cached.problems] };
  }

  /** Moves a session's record and journal to archive/YYYY-MM-DD/, whatever its state. */
  async archive(id: string): Promise<ArchiveResult> {
    assertSessionId(id);
    await this.checkDir();
    const result = await this.archiveIf(id, null);
    if (!result) throw new SessionNotFoundError(id, this.dir);
    return result;
  }

  /**
   * Archives every closed session and every stale one past the grace period (never unresponsive
   * ones). Each session's state is judged again under its lock, so one that heartbeated
   * meanwhile stays. Failures of single sessions go to `onError` and do not stop the others.
   * Returns what it archived.
   */
  cleanup(options: CleanupOptions = {}): Promise<ArchiveResult[]> {
    const grace = options.staleGraceMs ?? this.options.staleGraceMs ?? DEFAULT_STALE_GRACE_MS;
    if (!(grace >= 0)) throw new RangeError(`stale grace ${grace} ms is negative`);
    // Concurrent calls in one process share one run instead of racing for the same locks.
    let running = this.cleanupRuns.get(grace);
    if (!running) {
      running = this.runCleanup(grace).finally(() => this.cleanupRuns.delete(grace));
      this.cleanupRuns.set(grace, running);
    }
    return running;
  }

  /** Resolves when background work started by this store (cleanup after create) has finished. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private async runCleanup(graceMs: number): Promise<ArchiveResult[]> {
    const sessions = await this.list(); // checks the directory first
    const results: ArchiveResult[] = [];
    const due = (i: SessionInfo): boolean => dueForCleanup(i.state, i.record, this.now(), graceMs);
    for (const info of sessions) {
      if (graceMs > 0 && needsStaleMark(info.state, info.record, this.now())) {
        // The grace period runs from when a death was first seen, not from the last heartbeat.
        try {
          await this.markStale(info.record.id);
        } catch (err) {
          this.report(err, `cleanup: marking session ${info.record.id} stale`);
        }
        continue;
      }
      if (!due(info)) continue;
      try {
        const result = await this.archiveIf(info.record.id, due);
        if (result) results.push(result);
      } catch (err) {
        this.report(err, `cleanup: archiving session ${info.record.id}`);
      }
    }
    await this.removeAbandonedTempFiles();
    return results;
  }

  /**
   * Temp files of atomic writes and repairs whose writer died (killed between create and rename).
   * They are never the only copy of anything: the file they were to replace is still in place.
   * A temp file whose writer still runs on this host (its pid is in the name) is kept, however
   * old: the writer may be stalled on a slow disk and still about to rename it.
   */
  private async removeAbandonedTempFiles(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    const now = this.now();
    for (const name of names) {
      if (!isTempName(name)) continue;
      const file = path.join(this.dir, name);
      try {
        const st = await fsp.lstat(file);
        if (!st.isFile() || now - st.mtimeMs <= ABANDONED_TEMP_AGE_MS) continue;
        const writer = TEMP_WRITER_PID_RE.exec(name)?.[1];
        if (writer !== undefined && isProcessAlive(Number(writer))) continue;
        await fsp.unlink(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err, `cleanup: removing temp file ${file}`);
      }
    }
  }

  /**
   * Refuses a sessions directory others could write (world-writable, or owned by someone else,
   * as ssh does for ~/.ssh): they could plant records, symlinks and locks for us to act on.
   * Returns false when the directory does not exist yet.
   */
  private async checkDir(): Promise<boolean> {
    let st: fs.Stats;
    try {
      st = await fsp.stat(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (!st.isDirectory()) throw new UnsafeDirectoryError(`sessions directory ${this.dir} is not a directory`);
    if (process.platform === 'win32') return true;
    if (st.mode & 0o002) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      throw new UnsafeDirectoryError(
        `sessions directory ${this.dir} is world-writable (mode ${mode}); refusing to use it. Fix: chmod 700 '${this.dir}'`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new UnsafeDirectoryError(
        `sessions directory ${this.dir} is owned by uid ${st.uid}, not by this user (uid ${uid}); refusing to use it`,
      );
    }
    return true;
  }

  private cleanupInBackground(): void {
    // Fire and forget: create() neither waits for this nor fails because of it.
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.cleanup())
      .then(
        (archived) => {
          try {
            if (archived.length > 0) this.options.onCleanupAfterCreate?.(archived);
          } catch (err) {
            this.report(err, 'cleanup after create: reporting what was archived');
          }
        },
        (err: unknown) => this.report(err, 'cleanup after create'),
      )
      .finally(() => this.background.delete(run));
    this.background.add(run);
  }

  private report(err: unknown, context: string): void {
    try {
      this.options.onError?.(err, context);
    } catch {
      // A failing error callback must not turn background work into an unhandled rejection.
    }
  }

  /** Archives under the record's lock when `condition` (given the current state) holds. */
  private async archiveIf(id: string, condition: ((current: SessionInfo) => boolean) | null): Promise<ArchiveResult | null> {
    const file = recordPath(this.dir, id);
    const journal = journalPath(this.dir, id);
    return withLock(
      file,
      async (_signal, recordLease) => {
        let liveness: SessionInfo | undefined;
        try {
          const current = await this.load(file, id);
          if (!current) {
            // No record; an explicit archive still moves a leftover journal.
            if (condition || !(await pathExists(journal))) return null;
          } else {
            [liveness] = await this.judgeAll([{ c: { file, id, archivedOn: null }, record: current.record }], this.probe(), this.now());
          }
        } catch (err) {
          // An unreadable or invalid record can be archived explicitly, never by cleanup.
          if (condition) return null;
          if (!(err instanceof InvalidRecordError || err instanceof RegularFileReadError)) throw err;
        }
        if (condition && (!liveness || !condition(liveness))) return null;
        const now = this.now();
        const reason = liveness ? liveness.reason : 'record missing or invalid';
        await this.journal(id, 'archived', now, liveness ? `${liveness.state}: ${reason}` : reason, true);
        const moved = await withLock(
          journal,
          // Journal first: a crash in between leaves the record, so cleanup finishes the job.
          (_s, journalLease) =>
            moveIntoArchive(this.dir, archiveDayDir(this.dir, now), id, [journal, file], () => {
              recordLease.assertHeld();
              journalLease.assertHeld();
            }),
          { ...this.options.lock, followLink: false },
        );
        this.known.delete(id);
        return { id, archivedOn: utcDay(now), state: liveness?.state ?? null, reason, label: liveness?.record.label ?? null, moved };
      },
      { ...this.options.lock, followLink: false },
    );
  }

  /** This machine's boot time (epoch ms) on the store's clock: now − uptime (uptime counts suspend on Linux). */
  private bootTimeMs(now: number): number | null {
    if (this.options.bootTimeMs !== undefined) return this.options.bootTimeMs;
    const uptime = os.uptime();
    return Number.isFinite(uptime) && uptime > 0 ? now - uptime * 1000 : null;
  }

  /** Writes staleSince = now into a record still judged stale under its lock (see needsStaleMark). */
  private async markStale(id: string): Promise<void> {
    const file = recordPath(this.dir, id);
    await withLock(
      file,
      async (_signal, lease) => {
        const current = await this.load(file, id);
        if (!current) return;
        const now = this.now();
        const [judged] = await this.judgeAll([{ c: { file, id, archivedOn: null }, record: current.record }], this.probe(), now);
        if (!judged || !needsStaleMark(judged.state, current.record, now)) return;
        await writeRecord(file, { ...current.raw, staleSince: new Date(now).toISOString() }, lease);
      },
      { ...this.options.lock, followLink: false },
    );
  }

  /** Gathers process facts once per distinct pid, then judges each record. */
  private async judgeAll(items: Array<{ c: Candidate; record: SessionRecord }>, probe: ProcessProbe, now: number): Promise<SessionInfo[]> {
    const ctx = { now, hostname: this.hostname, pidSpace: this.pidSpace, bootTimeMs: this.bootTimeMs(now) };
    // pid -> whether some record of it has a start time to compare (else the lookup is skipped).
    const pids = new Map<number, boolean>();
    const checked = items.map(({ record }) => {
      const needs = needsProcessCheck(record, ctx);
      if (needs) pids.set(record.pid, (pids.get(record.pid) ?? false) || record.processStartedAt !== null);
      return needs;
    });
    const known = new Map<number, ProcessFacts>();
    await Promise.all([...pids].map(async ([pid, needStart]) => known.set(pid, await probe.facts(pid, needStart))));
    return items.map(({ c, record }, i): SessionInfo => {
      const { state, reason, heartbeatAgeMs } = judgeLiveness(record, { ...ctx, process: checked[i] ? known.get(record.pid) : undefined });
      // <stem>.json -> <stem>.jsonl
      return { record, state, reason, heartbeatAgeMs, file: c.file, journal: `${c.file}l`, archivedOn: c.archivedOn };
    });
  }

  /** Record-like entries of one directory; other names (journals, locks, temp files) are not ours to judge. */
  private async candidates(dir: string, archivedOn: string | null, onProblem: (p: SessionProblem) => void): Promise<Candidate[]> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return this.candidatesOf(dir, entries, archivedOn, onProblem);
  }

  private candidatesOf(dir: string, entries: fs.Dirent[], archivedOn: string | null, onProblem: (p: SessionProblem) => void): Candidate[] {
    const out: Candidate[] = [];
    for (const e of entries) {
      if (!e.name.endsWith('.json')) continue;
      const file = dir + path.sep + e.name; // path.join per entry shows up in profiles of big directories
      const id = archivedOn === null ? RECORD_NAME_RE.exec(e.name)?.[1] : parseArchivedName(e.name)?.id;
      if (!id) {
        onProblem({ file, kind: 'bad-name', message: `${e.name} is not named <session id>.json` });
      } else if (e.isSymbolicLink()) {
        onProblem({ file, kind: 'symlink', message: `${file} is a symbolic link; not followed` });
      } else if (!e.isFile()) {
        onProblem({ file, kind: 'not-a-file', message: `${file} is not a regular file` });
      } else {
        out.push({ file, id, archivedOn });
      }
    }
    return out;
  }

  private async archiveDays(): Promise<string[]> {
    try {
      const entries = await fsp.readdir(path.join(this.dir, ARCHIVE_DIR_NAME), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && isArchiveDayName(e.name)).map((e) => e.name).sort().reverse();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
  }

  /** Reads candidates in short synchronous slices with a yield in between (see list()). */
  private async readCandidates(candidates: Candidate[], onProblem: (p: SessionProblem) => void): Promise<Array<{ c: Candidate; record: SessionRecord }>> {
    const loaded: Array<{ c: Candidate; record: SessionRecord }> = [];
    const scratch = Buffer.allocUnsafe(64 * 1024);
    let sliceEnd = performance.now() + LIST_SLICE_MS;
    for (const c of candidates) {
      if (performance.now() > sliceEnd) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceEnd = performance.now() + LIST_SLICE_MS;
      }
      const record = this.readCandidate(c, scratch, onProblem);
      if (record) loaded.push({ c, record });
    }
    return loaded;
  }

  /** One archive day's records and problems, from the cache while the folder is unchanged. */
  private async archivedDay(day: string): Promise<ArchivedDayCache> {
    const dayDir = path.join(this.dir, ARCHIVE_DIR_NAME, day);
    let st: fs.Stats;
    let entries: fs.Dirent[];
    try {
      st = await fsp.lstat(dayDir);
      if (!st.isDirectory()) return { key: '', loaded: [], problems: [] };
      entries = await fsp.readdir(dayDir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { key: '', loaded: [], problems: [] };
      throw err;
    }
    const key = `${st.mtimeMs}:${st.ino}:${entries.length}`;
    const hit = this.archiveCache.get(day);
    this.archiveCache.delete(day);
    if (hit && hit.key === key) {
      this.archiveCache.set(day, hit);
      return hit;
    }
    const problems: SessionProblem[] = [];
    const onProblem = (p: SessionProblem): void => void problems.push({ ...p, message: oneLine(p.message) });
    const loaded = await this.readCandidates(this.candidatesOf(dayDir, entries, day, onProblem), onProblem);
    const entry = { key, loaded, problems };
    this.archiveCache.set(day, entry);
    if (this.archiveCache.size > ARCHIVE_CACHE_DAYS) this.archiveCache.delete(this.archiveCache.keys().next().value as string);
    return entry;
  }

  private readCandidate(c: Candidate, scratch: Buffer, onProblem: (p: SessionProblem) => void): SessionRecord | null {
    try {
      return this.parse(c.file, c.id, readRegularFileSync(c.file, LIMITS.recordBytes, scratch)).record;
    } catch (err) {
      if (err instanceof RegularFileReadError) {
        // Gone since readdir: archived or closed-and-cleaned by someone else; not a problem.
        if (err.kind !== 'missing') onProblem({ file: c.file, kind: err.kind, message: err.message });
      } else if (err instanceof RecordLoadError) {
        onProblem({ file: c.file, kind: err.kind, message: err.message });
      } else {
        onProblem({ file: c.file, kind: 'unreadable', message: `cannot read ${c.file}: ${(err as Error).message}` });
      }
      return null;
    }
  }

  /** Reads and validates a record file; null when it does not exist. */
  private async load(file: string, id: string): Promise<LoadedRecord | null> {
    let data: Buffer;
    try {
      data = await readRegularFile(file, LIMITS.recordBytes);
    } catch (err) {
      if (err instanceof RegularFileReadError && err.kind === 'missing') return null;
      throw err;
    }
    return this.parse(file, id, data.toString('utf8'));
  }

  private parse(file: string, id: string, text: string): LoadedRecord {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new RecordLoadError('invalid-json', `${file} is not valid JSON: ${(err as Error).message}`);
    }
    const checked = checkSessionRecord(raw);
    if (!checked.ok) throw new RecordLoadError('invalid-record', `${file}: ${checked.error}`);
    if (checked.record.id !== id) {
      throw new RecordLoadError('id-mismatch', `${file} holds session ${checked.record.id}, not ${id}`);
    }
    return { raw: raw as Record<string, unknown>, record: checked.record };
  }

  /** The newest archived record of `id`, if any. */
  private async findArchived(id: string): Promise<LoadedRecord | null> {
    for (const day of await this.archiveDays()) {
      const dayDir = path.join(this.dir, ARCHIVE_DIR_NAME, day);
      let names: string[];
      try {
        names = await fsp.readdir(dayDir);
      } catch {
        continue;
      }
      const copies = names
        .map((n) => ({ n, parsed: parseArchivedName(n) }))
        .filter((x) => x.parsed?.id === id && x.parsed.kind === 'record')
        .sort((a, b) => (b.parsed?.copy ?? 0) - (a.parsed?.copy ?? 0));
      for (const { n } of copies) {
        const loaded = await this.load(path.join(dayDir, n), id).catch(() => null);
        if (loaded) return loaded;
      }
    }
    return null;
  }

  /**
   * Appends a lifecycle event. The record is the source of truth and the journal a history, so
   * a failed append is reported through onError and never fails the operation.
   */
  private async journal(id: string, event: SessionEventName, at: number, reason?: string, onlyIfExists = false): Promise<void> {
    try {
      await appendSessionEvent(journalPath(this.dir, id), sessionEvent(event, id, at, this.hostname, reason), {
        lock: this.options.lock,
        onlyIfExists,
      });
    } catch (err) {
      this.report(err, `journal of session ${id}: '${event}' event`);
    }
  }

  private probe(): ProcessProbe {
    return new ProcessProbe(this.options.startTimeMethod ? { method: this.options.startTimeMethod } : {});
  }
}

/** Live before archived (a re-registered session shows its live entry first), newest first, then by id. */
function sortNewestFirst(sessions: SessionInfo[]): SessionInfo[] {
  return sessions.sort(
    (a, b) =>
      Number(a.archivedOn !== null) - Number(b.archivedOn !== null) ||
      (a.record.createdAt < b.record.createdAt ? 1 : a.record.createdAt > b.record.createdAt ? -1 : 0) ||
      (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
  );
}

/** Replaces the record atomically; `lease` is checked right before the rename. */
function writeRecord(file: string, record: object, lease: LockLease): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, lease });
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the environment says.
    return process.env.USER ?? process.env.USERNAME ?? String(process.getuid?.() ?? '');
  }
}

async function pathExists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}
