// Record writes: registering a session, its heartbeats (re-registering it when its record was
// archived, removed or damaged), changes of its label and status, and closing it. Each is one
// atomic write under the record's lock.
import * as os from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { ensurePrivateDir } from '../archive-files';
import { LockCompromisedError, withLock } from '../lock';
import { recordPath } from '../paths';
import {
  checkSessionRecord,
  checkCreateInput,
  checkSessionUpdate,
  checkTimingUpdate,
  FORMAT_VERSION,
  InvalidRecordError,
  timingFields,
  type RecordTimingUpdate,
  type SessionRecord,
} from '../session-record';
import type { StoreContext } from './context';
import { checkSessionsDir } from './directory-safety';
import { ProcessNotRunningError, SessionClosedError, SessionNotFoundError } from './errors';
import { findArchived, loadRecord, writeRecord } from './record-files';
import type { CreateInput, SessionUpdate } from './types';

/** See SessionStore.create(); the caller starts the cleanup after it. */
export async function createSession(ctx: StoreContext, input: CreateInput): Promise<SessionRecord> {
  const { heartbeatIntervalMs: interval, pid, ...thresholds } = checkCreateInput(input, ctx.options);
  const probe = ctx.probe();
  const facts = await probe.facts(pid);
  if (!facts.alive) throw new ProcessNotRunningError(pid);
  const startedAt = facts.startedAt;

  const now = ctx.now();
  const at = new Date(now).toISOString();
  const record: SessionRecord = {
    version: FORMAT_VERSION,
    id: uuidv7(),
    pid,
    processStartedAt: startedAt === null ? null : new Date(startedAt).toISOString(),
    hostname: ctx.hostname,
    user: ctx.options.user ?? currentUser(),
    label: input.label,
    workspaceFolders: [...(input.workspaceFolders ?? [])],
    tool: input.tool ?? ctx.options.tool ?? 'session-keeper',
    createdAt: at,
    heartbeatAt: at,
    heartbeatIntervalMs: interval,
    closedAt: null,
    // Where the platform has them: the PID space the pid is numbered in (the creator's own, since
    // the creator saw `pid` there) and the start in boot-relative ticks, immune to clock steps.
    ...(ctx.pidSpace.bootId !== null ? { bootId: ctx.pidSpace.bootId } : {}),
    ...(ctx.pidSpace.pidNamespace !== null ? { pidNamespace: ctx.pidSpace.pidNamespace } : {}),
    ...(typeof facts.startTicks === 'number' ? { processStartTicks: facts.startTicks } : {}),
    ...(thresholds.unresponsiveAfterMs !== undefined ? { unresponsiveAfterMs: thresholds.unresponsiveAfterMs } : {}),
    ...(thresholds.expireAfterMs !== undefined ? { expireAfterMs: thresholds.expireAfterMs } : {}),
  };
  await checkSessionsDir(ctx.dir);
  await ensurePrivateDir(ctx.dir);
  const file = recordPath(ctx.dir, record.id);
  let written = false;
  try {
    await withLock(
      file,
      async (_signal, lease) => {
        await writeRecord(file, record, lease);
        written = true;
        // Under the record's lock (then the journal's: the documented order), so that no archiving
        // can move the journal between the record's write and its event, and the event then
        // create a second journal where the first one was.
        await ctx.journal(record.id, 'created', now);
      },
      ctx.lock,
    );
  } catch (err) {
    // The record of a new id is nobody else's to write: a lock found lost only after the write
    // committed (a starved process) changed nothing. Failing here would make the caller register
    // again and leave this record behind as a second, ownerless session of the same process.
    if (!(written && err instanceof LockCompromisedError)) throw err;
    ctx.report(err, `lock of new session ${record.id} (the record was written)`);
  }
  ctx.known.set(record.id, record);
  return record;
}

/**
 * Refreshes heartbeatAt: one atomic write under the record's lock. If the record was archived
 * or removed meanwhile, the session registers itself again under the same id. `update` changes
 * the owner's promised interval and thresholds in the same write (its settings changed);
 * null for a threshold removes it (readers then use the default).
 */
export async function heartbeatSession(ctx: StoreContext, id: string, update: RecordTimingUpdate): Promise<SessionRecord> {
  checkTimingUpdate(update);
  const file = recordPath(ctx.dir, id);
  // Someone deleted the sessions directory: re-create it, since the lock directory needs a
  // parent. Then a session this store knows is re-registered; an unknown one is reported as
  // not found (a caller such as the extension then registers anew), not as ENOENT forever.
  if (!(await checkSessionsDir(ctx.dir))) await ensurePrivateDir(ctx.dir);
  const now = ctx.now();
  let reregistered: string | null = null;
  const record = await withLock(
    file,
    async (_signal, lease) => {
      let damaged = false;
      const current = await loadRecord(file, id).catch((err: unknown) => {
        // Our own record damaged by someone else: rewrite it from what we know.
        if (err instanceof InvalidRecordError && ctx.known.has(id)) {
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
        const archived = damaged ? null : await findArchived(ctx.dir, id);
        if (archived?.record.closedAt) throw new SessionClosedError(id);
        const previous = ctx.known.get(id) ?? archived?.record;
        if (!previous) throw new SessionNotFoundError(id, ctx.dir);
        if (previous.closedAt !== null) throw new SessionClosedError(id);
        base = { ...previous };
        reregistered = damaged ? 'record was damaged' : archived ? 'record was archived' : 'record was missing';
        await ensurePrivateDir(ctx.dir);
      }
      // A heartbeat is a sign of life: whatever a cleanup concluded (staleSince) no longer holds.
      const { staleSince: _seenStale, ...alive } = base;
      const next = { ...alive, ...timingFields(update), heartbeatAt: new Date(now).toISOString(), closedAt: null };
      const checked = checkSessionRecord(next);
      if (!checked.ok) throw new InvalidRecordError(`record ${file}: ${checked.error}`);
      await writeRecord(file, next, lease);
      // Under the record's lock, as at creation.
      if (reregistered) await ctx.journal(id, 're-registered', now, `${reregistered} at heartbeat`);
      return checked.record;
    },
    ctx.lock,
  );
  ctx.known.set(id, record);
  return record;
}

/**
 * Changes the label and/or status line of an open session: one atomic write under the
 * record's lock, which also refreshes the heartbeat. Throws InvalidRecordError for bad input
 * (nothing written), SessionNotFoundError for an unknown or archived session, SessionClosedError
 * for a closed one.
 */
export async function updateSession(ctx: StoreContext, id: string, change: SessionUpdate): Promise<SessionRecord> {
  const inputError = checkSessionUpdate(change);
  if (inputError) throw new InvalidRecordError(inputError);
  const file = recordPath(ctx.dir, id);
  await checkSessionsDir(ctx.dir);
  const now = ctx.now();
  const record = await withLock(
    file,
    async (_signal, lease) => {
      const current = await loadRecord(file, id);
      if (!current) throw new SessionNotFoundError(id, ctx.dir);
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
    ctx.lock,
  );
  // A later heartbeat that finds the file gone re-registers from this, with the new text.
  if (ctx.known.has(id)) ctx.known.set(id, record);
  return record;
}

/** Sets closedAt. Closing a closed or already archived session does nothing. */
export async function closeSession(ctx: StoreContext, id: string): Promise<void> {
  const file = recordPath(ctx.dir, id);
  await checkSessionsDir(ctx.dir);
  const now = ctx.now();
  await withLock(
    file,
    async (_signal, lease) => {
      const current = await loadRecord(file, id);
      if (!current) {
        if (ctx.known.has(id) || (await findArchived(ctx.dir, id))) return false;
        throw new SessionNotFoundError(id, ctx.dir);
      }
      if (current.record.closedAt !== null) return false;
      await writeRecord(file, { ...current.raw, closedAt: new Date(now).toISOString() }, lease);
      // Under the record's lock: a closed session is archivable at once, and a cleanup in another
      // process that archived it between the write and this event made the event create a
      // second journal in the sessions folder (test/reliability/crash-sessions.test.ts).
      await ctx.journal(id, 'closed', now);
      return true;
    },
    ctx.lock,
  );
  ctx.known.delete(id);
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the environment says.
    return process.env.USER ?? process.env.USERNAME ?? String(process.getuid?.() ?? '');
  }
}
