// Reading a registry on Redis in bulk (records by batch script, archive days) and the opt-in
// retention of archive days: the parts of RedisRegistry that work on many keys at once.
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-layout';
import { recordFromEntries, recordFromReply, splitBatch, StoredRecordError } from './redis-records';
import { LIST_BATCH } from './redis-scripts';
import { isSessionId, type SessionRecord } from './session-record';
import { isRetentionDays, MAX_RETENTION_DAYS, type PrunedDay, type SessionProblem } from './session-store';

/** Records read by one list-batch script: few replies to decode, without holding the server long. */
const LIST_BATCH_SIZE = 1000;

/** A record to read: its id, its keys, and its archive day (null when live). */
export interface Wanted {
  id: string;
  key: string;
  journal: string;
  archivedOn: string | null;
}

/** A record read from Redis with its raw field values and where it lives. */
export interface Stored {
  record: SessionRecord;
  raw: Record<string, string>;
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

/** Reads the records `wanted` names in batches; unreadable ones are problems, vanished ones skipped. */
export async function loadRecords(conn: RedisConnection, wanted: Wanted[], onProblem: (p: SessionProblem) => void): Promise<Stored[]> {
  const out: Stored[] = [];
  for (let i = 0; i < wanted.length; i += LIST_BATCH_SIZE) {
    const batch = wanted.slice(i, i + LIST_BATCH_SIZE);
    const items = splitBatch(await conn.script(LIST_BATCH, batch.map((w) => w.key)), batch.length);
    // Records holding separator characters (never valid JSON) are read whole, to report them.
    const reread = await Promise.all(
      items.map((item, j) => (item.kind === 'reread' ? conn.command(['HGETALL', batch[j]?.key ?? '']) : null)),
    );
    batch.forEach((w, j) => {
      const item = items[j];
      try {
        const loaded =
          item?.kind === 'entries' ? recordFromEntries(item.entries, w.key, w.id) : item?.kind === 'reread' ? recordFromReply(reread[j], w.key, w.id) : null;
        // Gone since SMEMBERS (archived meanwhile): not a problem.
        if (loaded) out.push({ ...loaded, key: w.key, journal: w.journal, archivedOn: w.archivedOn });
      } catch (err) {
        if (!(err instanceof StoredRecordError)) throw err;
        onProblem({ file: w.key, kind: err.kind, message: err.message });
      }
    });
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
