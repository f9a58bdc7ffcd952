// The session registry on a Redis server (docs/format.md, "Registry on Redis"; docs/redis.md).
// Same semantics as the sessions directory: every change is one Lua script (redis-scripts.ts)
// that runs atomically with the server's clock; liveness is judged by the shared rules, with
// pids checked only where they mean something and ages taken from the server's TIME.
import * as os from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { assertJournalObject } from './directory-registry';
import { serialiseRecord } from './jsonl-append';
import { judgeRecords } from './judge-sessions';
import { dueForCleanup, needsStaleMark, staleGraceMs } from './liveness';
import { currentPidSpace, ProcessProbe, type PidSpace } from './process-info';
import { RedisConnection, type ConnectionOptions } from './redis-connection';
import { archivedEntries, loadRecords, pruneArchiveDays, type Stored, type Wanted } from './redis-archive';
import { redisKeys, type RedisKeys } from './redis-layout';
import { decisionState, fieldPairs, recordFromText, replyEntries, StoredRecordError } from './redis-records';
import { ARCHIVE, CLOSE, CREATE, HEARTBEAT, MARK_STALE, UPDATE } from './redis-scripts';
import type { Registry } from './registry';
import type { RedisLocation } from './registry-location';
import {
  assertSessionId,
  checkSessionInput,
  checkCreateInput,
  checkSessionUpdate,
  checkTimingUpdate,
  FORMAT_VERSION,
  InvalidRecordError,
  isSessionId,
  timingFields,
  type RecordTimingUpdate,
  type SessionRecord,
} from './session-record';
import { isArchiveDayName } from './archive-files';
import { InvalidArchiveDayError } from './store/errors';
import { sortNewestFirst } from './store/judge';
import {
  ProcessNotRunningError,
  SessionClosedError,
  SessionNotFoundError,
  type ArchiveResult,
  type CleanupOptions,
  type CreateInput,
  type ListOptions,
  type ListResult,
  type PrunedDay,
  type SessionInfo,
  type SessionProblem,
  type SessionUpdate,
  type StoreOptions,
} from './session-store';

/** Options of a registry on Redis: those of a SessionStore that apply, and the connection's. */
export interface RedisRegistryOptions
  extends Omit<StoreOptions, 'now' | 'lock' | 'bootTimeMs'>,
    ConnectionOptions {}

export class RedisRegistry implements Registry {
  readonly kind = 'redis' as const;
  readonly location: string;
  readonly hostname: string;
  private readonly keys: RedisKeys;
  private readonly pidSpace: PidSpace;
  private readonly background = new Set<Promise<void>>();
  private readonly cleanupRuns = new Map<number, Promise<ArchiveResult[]>>();

  private constructor(
    private readonly conn: RedisConnection,
    private readonly loc: RedisLocation,
    private readonly options: RedisRegistryOptions,
    /** Records this registry created or heartbeated: what to register again from if the record vanishes. */
    private readonly known = new Map<string, SessionRecord>(),
  ) {
    this.location = loc.display;
    this.keys = redisKeys(loc.prefix);
    this.hostname = options.hostname ?? (process.env.SESSION_KEEPER_HOSTNAME || os.hostname());
    this.pidSpace = options.pidSpace ?? currentPidSpace();
  }

  /**
   * Connects to the registry at `loc`. Rejects with RegistryAuthError, RegistryTlsError and
   * (unless `options.persistent`) RegistryUnavailableError; see RedisConnection.open.
   */
  static async open(loc: RedisLocation, options: RedisRegistryOptions = {}): Promise<RedisRegistry> {
    const password = options.password ?? loc.password;
    const conn = await RedisConnection.open(loc, { ...options, ...(password !== undefined ? { password } : {}) });
    return new RedisRegistry(conn, loc, options);
  }

  /**
   * This registry with other store options (thresholds, grace, cleanup), on the same connection:
   * what a settings change that does not move the registry needs, without reconnecting. The
   * connection's own options (password, persistent, onWarning, onStatus) stay those of open().
   * Each of the two must be disposed; the connection closes with the last.
   */
  withOptions(options: RedisRegistryOptions): RedisRegistry {
    return new RedisRegistry(this.conn.share(), this.loc, options, this.known);
  }

  async create(input: CreateInput): Promise<SessionRecord> {
    const { heartbeatIntervalMs: interval, pid, ...thresholds } = checkCreateInput(input, this.options);
    const facts = await this.probe().facts(pid);
    if (!facts.alive) throw new ProcessNotRunningError(pid);
    const record: SessionRecord = {
      version: FORMAT_VERSION,
      id: uuidv7(),
      pid,
      processStartedAt: facts.startedAt === null ? null : new Date(facts.startedAt).toISOString(),
      hostname: this.hostname,
      user: this.options.user ?? currentUser(),
      label: input.label,
      workspaceFolders: [...(input.workspaceFolders ?? [])],
      tool: input.tool ?? this.options.tool ?? 'session-keeper',
      createdAt: '', // both set by the script from the server clock
      heartbeatAt: '',
      heartbeatIntervalMs: interval,
      closedAt: null,
      ...(this.pidSpace.bootId !== null ? { bootId: this.pidSpace.bootId } : {}),
      ...(this.pidSpace.pidNamespace !== null ? { pidNamespace: this.pidSpace.pidNamespace } : {}),
      ...(typeof facts.startTicks === 'number' ? { processStartTicks: facts.startTicks } : {}),
      ...(thresholds.unresponsiveAfterMs !== undefined ? { unresponsiveAfterMs: thresholds.unresponsiveAfterMs } : {}),
      ...(thresholds.expireAfterMs !== undefined ? { expireAfterMs: thresholds.expireAfterMs } : {}),
    };
    const reply = await this.conn.script(CREATE, [...this.base(record.id), JSON.stringify(record)]);
    const written = this.parse(reply, this.keys.session(record.id), record.id);
    this.known.set(record.id, written);
    if (this.options.cleanupOnCreate ?? true) this.cleanupInBackground();
    return written;
  }

  async heartbeat(id: string, update: RecordTimingUpdate = {}): Promise<SessionRecord> {
    assertSessionId(id);
    checkTimingUpdate(update);
    const sets = fieldPairs(timingFields(update));
    const known = this.known.get(id);
    const reply = await this.run(id, () =>
      this.conn.script(HEARTBEAT, [...this.base(id), String(sets.length / 2), ...sets, '0', known ? JSON.stringify(known) : '']),
    );
    const record = this.parse(reply, this.keys.session(id), id);
    this.known.set(id, record);
    return record;
  }

  async update(id: string, change: SessionUpdate): Promise<SessionRecord> {
    assertSessionId(id);
    const inputError = checkSessionUpdate(change);
    if (inputError) throw new InvalidRecordError(inputError);
    const fields: Record<string, unknown> = {};
    if (change.label !== undefined) fields.label = change.label;
    if (change.status !== undefined) fields.status = change.status;
    if (change.workspaceFolders !== undefined) {
      const foldersError = checkSessionInput({ label: '', workspaceFolders: change.workspaceFolders });
      if (foldersError) throw new InvalidRecordError(foldersError);
      fields.workspaceFolders = [...change.workspaceFolders];
    }
    const reply = await this.run(id, () => this.conn.script(UPDATE, [this.prefixArg(), id, ...fieldPairs(fields)]));
    const record = this.parse(reply, this.keys.session(id), id);
    if (this.known.has(id)) this.known.set(id, record);
    return record;
  }

  async close(id: string): Promise<void> {
    assertSessionId(id);
    try {
      await this.run(id, () => this.conn.script(CLOSE, this.base(id)));
    } catch (err) {
      // Ours, and gone without a trace: nothing left to close.
      if (!(err instanceof SessionNotFoundError && this.known.has(id))) throw err;
    } finally {
      this.known.delete(id);
    }
  }

  async list(options: ListOptions = {}): Promise<SessionInfo[]> {
    const judged = await this.judge(await this.load(options));
    // Live before archived (a re-registered session shows its live entry first), newest first.
    return sortNewestFirst(judged);
  }

  async archive(id: string): Promise<ArchiveResult> {
    assertSessionId(id);
    let info: SessionInfo | null = null;
    try {
      const record = recordFromText(await this.conn.command(['GET', this.keys.session(id)]), this.keys.session(id), id);
      if (record) info = (await this.judge([{ record, key: this.keys.session(id), journal: this.keys.journal(id), archivedOn: null }]))[0] ?? null;
    } catch (err) {
      // An invalid record can be archived explicitly (never by cleanup).
      if (!(err instanceof StoredRecordError)) throw err;
    }
    const reason = info ? info.reason : 'record missing or invalid';
    const result = await this.archiveScript(id, '', info ? `${info.state}: ${reason}` : reason, info, reason);
    if (!result) throw new SessionNotFoundError(id, this.location);
    return result;
  }

  cleanup(options: CleanupOptions = {}): Promise<ArchiveResult[]> {
    const grace = staleGraceMs(options.staleGraceMs, this.options.staleGraceMs);
    let running = this.cleanupRuns.get(grace);
    if (!running) {
      running = this.runCleanup(grace).finally(() => this.cleanupRuns.delete(grace));
      this.cleanupRuns.set(grace, running);
    }
    return running;
  }

  async appendJournal(id: string, value: Record<string, unknown>): Promise<void> {
    assertSessionId(id);
    assertJournalObject(value);
    await this.conn.command(['XADD', this.keys.journal(id), '*', 'json', serialiseRecord(value)]);
  }

  /** Entries of the live journal, else of the latest archived one; an entry that is not JSON comes back as its text. */
  async readJournal(id: string): Promise<unknown[]> {
    assertSessionId(id);
    let key = this.keys.journal(id);
    if ((await this.conn.command(['EXISTS', key])) === 0) {
      const where = (await this.conn.command(['HGET', this.keys.archivedIndex, id])) as string | null;
      const [day, name] = where ? where.split('/') : [];
      if (day === undefined || name === undefined) return [];
      key = this.keys.archivedJournal(day, name);
    }
    const entries = (await this.conn.command(['XRANGE', key, '-', '+'])) as Array<[string, unknown]>;
    return entries.map(([, fields]) => {
      const text = replyEntries(fields).find(([f]) => f === 'json')?.[1] ?? '';
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    });
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    return this.conn.subscribe(this.keys.events, () => onChange(), onChange);
  }

  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  async dispose(): Promise<void> {
    await this.idle();
    await this.conn.close();
  }

  /** The key prefix argument of every script (ARGV[1]). */
  private prefixArg(): string {
    return this.keys.sessions.slice(0, -':sessions'.length);
  }

  /** prefix, id, writer pid, host name: the first arguments of most scripts. */
  private base(id: string): string[] {
    return [this.prefixArg(), id, String(process.pid), this.hostname];
  }

  /** Runs a script on session `id`, turning its error replies into the store's errors. */
  private async run(id: string, fn: () => Promise<unknown>): Promise<unknown> {
    try {
      return await fn();
    } catch (err) {
      // The scripts' own error replies (the server may put "ERR " before them).
      const reply = err instanceof Error ? /^(?:ERR )?(NOTFOUND|CLOSED|BADRECORD)\b/.exec(err.message)?.[1] : undefined;
      if (reply === 'NOTFOUND') throw new SessionNotFoundError(id, this.location);
      if (reply === 'CLOSED') throw new SessionClosedError(id);
      if (reply === 'BADRECORD') throw new StoredRecordError('invalid-json', `${this.keys.session(id)} does not hold a JSON object`);
      throw err;
    }
  }

  private parse(reply: unknown, key: string, id: string): SessionRecord {
    const record = recordFromText(reply, key, id);
    if (!record) throw new SessionNotFoundError(id, this.location);
    return record;
  }

  /** Live records (and archived ones when asked), validated; others are reported as problems. */
  private async load(options: ListOptions): Promise<Stored[]> {
    const report = options.onProblem;
    const onProblem = (p: SessionProblem): void => report?.(p);
    const wanted: Wanted[] = [];
    const ids = (await this.conn.command(['SMEMBERS', this.keys.sessions])) as string[];
    for (const id of ids) {
      if (!isSessionId(id)) onProblem({ file: this.keys.sessions, kind: 'bad-name', message: `member ${JSON.stringify(id)} of ${this.keys.sessions} is not a session id` });
      else wanted.push({ id, key: this.keys.session(id), journal: this.keys.journal(id), archivedOn: null });
    }
    if (options.includeArchived) {
      for (const day of await this.listArchiveDays()) wanted.push(...(await archivedEntries(this.conn, this.keys, day, onProblem)));
    }
    return loadRecords(this.conn, wanted, onProblem);
  }

  async listArchiveDays(): Promise<string[]> {
    const days = (await this.conn.command(['SMEMBERS', this.keys.archiveDays])) as string[];
    return days.filter(isArchiveDayName).sort().reverse();
  }

  /** Deletes whole archive days older than `olderThanDays` (redis-archive.ts). */
  pruneArchive(olderThanDays: number): Promise<PrunedDay[]> {
    return pruneArchiveDays(this.conn, this.keys, olderThanDays, () => this.listArchiveDays());
  }

  async listArchivedOn(day: string): Promise<ListResult> {
    if (!isArchiveDayName(day)) throw new InvalidArchiveDayError(day);
    const problems: SessionProblem[] = [];
    const onProblem = (p: SessionProblem): void => void problems.push(p);
    const sessions = await this.judge(await loadRecords(this.conn, await archivedEntries(this.conn, this.keys, day, onProblem), onProblem));
    return { sessions: sortNewestFirst(sessions), problems };
  }

  private async judge(stored: Stored[]): Promise<SessionInfo[]> {
    const now = await this.conn.serverTime();
    const judged = await judgeRecords(
      stored.map((s) => s.record),
      this.probe(),
      { now, hostname: this.hostname, pidSpace: this.pidSpace, bootTimeMs: this.bootTimeMs(now) },
    );
    return stored.map((s, i) => ({
      record: s.record,
      ...(judged[i] as NonNullable<(typeof judged)[number]>),
      file: s.key,
      journal: s.journal,
      archivedOn: s.archivedOn,
    }));
  }

  private async runCleanup(graceMs: number): Promise<ArchiveResult[]> {
    const sessions = await this.judge(await this.load({}));
    const now = await this.conn.serverTime();
    const results: ArchiveResult[] = [];
    for (const info of sessions) {
      try {
        if (graceMs > 0 && needsStaleMark(info.state, info.record, now)) {
          // The grace period runs from when a death was first seen, not from the last heartbeat.
          await this.conn.script(MARK_STALE, [this.prefixArg(), info.record.id, info.record.heartbeatAt]);
          continue;
        }
        if (!dueForCleanup(info.state, info.record, now, graceMs)) continue;
        // Archived only if the record is as judged: a heartbeat meanwhile keeps it.
        const result = await this.archiveScript(info.record.id, decisionState(info.record), `${info.state}: ${info.reason}`, info, info.reason);
        if (result) results.push(result);
      } catch (err) {
        this.report(err, `cleanup: session ${info.record.id}`);
      }
    }
    return results;
  }

  private async archiveScript(id: string, condition: string, journalReason: string, info: SessionInfo | null, reason: string): Promise<ArchiveResult | null> {
    const reply = (await this.conn.script(ARCHIVE, [this.prefixArg(), id, condition, journalReason, String(process.pid), this.hostname])) as
      | [string, string, number, number]
      | null;
    if (!reply) return null;
    const [day, name, movedRecord, movedJournal] = reply;
    this.known.delete(id);
    const moved = [];
    if (Number(movedJournal) === 1) moved.push({ from: this.keys.journal(id), to: this.keys.archivedJournal(day, name) });
    if (Number(movedRecord) === 1) moved.push({ from: this.keys.session(id), to: this.keys.archivedSession(day, name) });
    return { id, archivedOn: day, state: info?.state ?? null, reason, label: info?.record.label ?? null, moved };
  }

  private cleanupInBackground(): void {
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

  /** This machine's boot time on the server's clock: now − uptime. */
  private bootTimeMs(now: number): number | null {
    const uptime = os.uptime();
    return Number.isFinite(uptime) && uptime > 0 ? now - uptime * 1000 : null;
  }

  private probe(): ProcessProbe {
    return new ProcessProbe(this.options.startTimeMethod ? { method: this.options.startTimeMethod } : {});
  }
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? String(process.getuid?.() ?? '');
  }
}
