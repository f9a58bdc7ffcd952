// Archiving: moving a session's record and journal into archive/YYYY-MM-DD/ under their locks,
// explicitly or by the cleanup, which first marks a dead session stale and archives it after a
// grace period. The rules of when are liveness.ts's (dueForCleanup, needsStaleMark).
import { moveIntoArchive } from '../archive-files';
import { dueForCleanup, needsStaleMark } from '../liveness';
import { withLock } from '../lock';
import { archiveDayDir, journalPath, recordPath, utcDay } from '../paths';
import { RegularFileReadError } from '../regular-file-read';
import { assertSessionId, InvalidRecordError } from '../session-record';
import type { StoreContext } from './context';
import { checkSessionsDir } from './directory-safety';
import { SessionNotFoundError } from './errors';
import { judgeAll } from './judge';
import { listSessions } from './listing';
import { loadRecord, pathExists, writeRecord } from './record-files';
import { pruneArchive } from './archive-retention';
import { removeAbandonedTempFiles } from './temp-sweep';
import type { ArchiveResult, SessionInfo } from './types';

/** Moves a session's record and journal to archive/YYYY-MM-DD/, whatever its state. */
export async function archiveSession(ctx: StoreContext, id: string): Promise<ArchiveResult> {
  assertSessionId(id);
  await checkSessionsDir(ctx.dir);
  const result = await archiveIf(ctx, id, null);
  if (!result) throw new SessionNotFoundError(id, ctx.dir);
  return result;
}

/**
 * Archives every closed session and every stale one whose grace period (`graceMs`, from the
 * record's staleSince) is over, never unresponsive ones; a stale one not yet marked gets its
 * staleSince first. Each session's state is judged again under its lock, so one that heartbeated
 * meanwhile stays. Failures of single sessions go to onError and do not stop the others. Then
 * sweeps abandoned temp files and, when StoreOptions.archiveRetentionDays is set, deletes
 * archive days older than that. Returns what it archived.
 */
export async function runCleanup(ctx: StoreContext, graceMs: number): Promise<ArchiveResult[]> {
  const sessions = await listSessions(ctx, {}); // checks the directory first
  const results: ArchiveResult[] = [];
  const due = (i: SessionInfo): boolean => dueForCleanup(i.state, i.record, ctx.now(), graceMs);
  for (const info of sessions) {
    if (graceMs > 0 && needsStaleMark(info.state, info.record, ctx.now())) {
      // The grace period runs from when a death was first seen, not from the last heartbeat.
      try {
        await markStale(ctx, info.record.id);
      } catch (err) {
        ctx.report(err, `cleanup: marking session ${info.record.id} stale`);
      }
      continue;
    }
    if (!due(info)) continue;
    try {
      const result = await archiveIf(ctx, info.record.id, due);
      if (result) results.push(result);
    } catch (err) {
      ctx.report(err, `cleanup: archiving session ${info.record.id}`);
    }
  }
  await removeAbandonedTempFiles(ctx.dir, ctx.now(), (err, context) => ctx.report(err, context));
  const retention = ctx.options.archiveRetentionDays;
  if (retention) {
    try {
      await pruneArchive(ctx, retention);
    } catch (err) {
      ctx.report(err, 'cleanup: archive retention');
    }
  }
  return results;
}

/** Archives under the record's lock when `condition` (given the current state) holds. */
async function archiveIf(ctx: StoreContext, id: string, condition: ((current: SessionInfo) => boolean) | null): Promise<ArchiveResult | null> {
  const file = recordPath(ctx.dir, id);
  const journal = journalPath(ctx.dir, id);
  return withLock(
    file,
    async (_signal, recordLease) => {
      let liveness: SessionInfo | undefined;
      try {
        const current = await loadRecord(file, id);
        if (!current) {
          // No record; an explicit archive still moves a leftover journal.
          if (condition || !(await pathExists(journal))) return null;
        } else {
          [liveness] = await judgeAll(ctx, [{ c: { file, id, archivedOn: null }, record: current.record }], ctx.now());
        }
      } catch (err) {
        // An unreadable or invalid record can be archived explicitly, never by cleanup.
        if (condition) return null;
        if (!(err instanceof InvalidRecordError || err instanceof RegularFileReadError)) throw err;
      }
      if (condition && (!liveness || !condition(liveness))) return null;
      const now = ctx.now();
      const reason = liveness ? liveness.reason : 'record missing or invalid';
      await ctx.journal(id, 'archived', now, liveness ? `${liveness.state}: ${reason}` : reason, true);
      const moved = await withLock(
        journal,
        // Journal first: a crash in between leaves the record, so cleanup finishes the job.
        (_s, journalLease) =>
          moveIntoArchive(ctx.dir, archiveDayDir(ctx.dir, now), id, [journal, file], () => {
            recordLease.assertHeld();
            journalLease.assertHeld();
          }),
        ctx.lock,
      );
      ctx.known.delete(id);
      return { id, archivedOn: utcDay(now), state: liveness?.state ?? null, reason, label: liveness?.record.label ?? null, moved };
    },
    ctx.lock,
  );
}

/** Writes staleSince = now into a record still judged stale under its lock (see needsStaleMark). */
async function markStale(ctx: StoreContext, id: string): Promise<void> {
  const file = recordPath(ctx.dir, id);
  await withLock(
    file,
    async (_signal, lease) => {
      const current = await loadRecord(file, id);
      if (!current) return;
      const now = ctx.now();
      const [judged] = await judgeAll(ctx, [{ c: { file, id, archivedOn: null }, record: current.record }], now);
      if (!judged || !needsStaleMark(judged.state, current.record, now)) return;
      await writeRecord(file, { ...current.raw, staleSince: new Date(now).toISOString() }, lease);
    },
    ctx.lock,
  );
}

