// Reading a registry on Redis in bulk (records by MGET, archive days) and the opt-in retention
// of archive days: the parts of RedisRegistry that work on many keys at once.
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-layout';
import { recordFromText, StoredRecordError } from './redis-records';
import { isSessionId, type SessionRecord } from './session-record';
import { isRetentionDays, MAX_RETENTION_DAYS, type PrunedDay, type SessionProblem } from './session-store';

/**
 * Keys per MGET. The batches go out together (one round trip), but each is a short command, so
 * a listing of many thousands never holds the server for long.
 */
const MGET_BATCH_SIZE = 2000;

/** A record to read: its id, its keys, and its archive day (null when live). */
export interface Wanted {
  id: string;
  key: string;
  journal: string;
  archivedOn: string | null;
}

/** A record read from Redis and where it lives. */
export interface Stored {
  record: SessionRecord;
  key: string;
  journal: string;
  archivedOn: string | null;
}

/** The entries of one archive day's set, as keys to load; malformed members are problems. */
export async function archivedEntries(conn: RedisConnection, keys: RedisKeys, day: string, onProblem: (p: SessionProblem) => void): Promise<Wanted[]> {
  const wanted: Wanted[] = [];
  for (const name of (await conn.command(['SMEMBERS', keys.archiveDay(day)])) as string[]) {
    const id = /^([0-9a-f-]{36})(?:\.\d+)?$/.exec(name)?.[1];
    if (id === undefined || !isSessionId(id)) {
      onProblem({ file: keys.archiveDay(day), kind: 'bad-name', message: `member ${JSON.stringify(name)} is not <session id>[.<n>]` });
      continue;
    }
    wanted.push({ id, key: keys.archivedSession(day, name), journal: keys.archivedJournal(day, name), archivedOn: day });
  }
  return wanted;
}

/** Reads the records `wanted` names (MGET in batches); unreadable ones are problems, vanished ones skipped. */
export async function loadRecords(conn: RedisConnection, wanted: Wanted[], onProblem: (p: SessionProblem) => void): Promise<Stored[]> {
  const batches: Array<Promise<unknown>> = [];
  for (let i = 0; i < wanted.length; i += MGET_BATCH_SIZE) {
    batches.push(conn.command(['MGET', ...wanted.slice(i, i + MGET_BATCH_SIZE).map((w) => w.key)]));
  }
  const texts = (await Promise.all(batches)).flat() as Array<string | null>;
  // MGET answers nil both for a key that is gone (archived since SMEMBERS: not a problem) and
  // for a key of another type (not a record: a problem). Rare, so asked one by one.
  const missing = wanted.flatMap((w, i) => (texts[i] === null || texts[i] === undefined ? [w] : []));
  const types = await Promise.all(missing.map((w) => conn.command(['TYPE', w.key])));
  missing.forEach((w, i) => {
    const type = String(types[i]);
    if (type !== 'none') onProblem({ file: w.key, kind: 'not-a-file', message: `${w.key} is a Redis ${type}, expected a string holding a record` });
  });
  const out: Stored[] = [];
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i] as Wanted;
    try {
      const record = recordFromText(texts[i], w.key, w.id);
      if (record) out.push({ record, key: w.key, journal: w.journal, archivedOn: w.archivedOn });
    } catch (err) {
      if (!(err instanceof StoredRecordError)) throw err;
      onProblem({ file: w.key, kind: err.kind, message: err.message });
    }
  }
  return out;
}

/**
 * Deletes whole archive days older than `olderThanDays` (UTC days before today on the
 * server's clock minus that many). Not one transaction: each day's keys go first and the day
 * leaves the day set last, so an interrupted prune is finished by the next one.
 */
export async function pruneArchiveDays(conn: RedisConnection, keys: RedisKeys, olderThanDays: number, days: () => Promise<string[]>): Promise<PrunedDay[]> {
  if (!isRetentionDays(olderThanDays)) {
    throw new RangeError(`retention must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${String(olderThanDays)}`);
  }
  const now = await conn.serverTime();
  const cutoff = new Date(now - olderThanDays * 86_400_000).toISOString().slice(0, 10);
  const pruned: PrunedDay[] = [];
  for (const day of await days()) {
    if (day >= cutoff) continue;
    const names = (await conn.command(['SMEMBERS', keys.archiveDay(day)])) as string[];
    const doomed = names.flatMap((n) => [keys.archivedSession(day, n), keys.archivedJournal(day, n)]);
    for (let i = 0; i < doomed.length; i += 500) await conn.command(['DEL', ...doomed.slice(i, i + 500)]);
    const index = (await conn.command(['HGETALL', keys.archivedIndex])) as Record<string, string> | string[];
    const pairs = Array.isArray(index) ? index : Object.entries(index).flat();
    const stale: string[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) if (String(pairs[i + 1]).startsWith(`${day}/`)) stale.push(String(pairs[i]));
    if (stale.length > 0) await conn.command(['HDEL', keys.archivedIndex, ...stale]);
    await conn.command(['DEL', keys.archiveDay(day)]);
    await conn.command(['SREM', keys.archiveDays, day]);
    pruned.push({ day, dir: keys.archiveDay(day), files: names.length });
  }
  if (pruned.length > 0) await conn.command(['PUBLISH', keys.events, JSON.stringify({ op: 'prune', id: null })]);
  return pruned;
}
