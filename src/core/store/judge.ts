// Judging records: each record's liveness state from its heartbeat and its process, with each
// distinct pid probed once however many records name it. The rule itself is liveness.ts's.
import { judgeRecords } from '../judge-sessions';
import type { Liveness } from '../liveness';
import type { StoreContext } from './context';
import type { ReadRecord } from './record-files';
import type { SessionInfo } from './types';

/** Gathers process facts once per distinct pid (judge-sessions.ts), then judges each record at `now` (epoch ms). */
export async function judgeAll(ctx: StoreContext, items: ReadRecord[], now: number): Promise<SessionInfo[]> {
  const judged = await judgeRecords(
    items.map((item) => item.record),
    ctx.probe(),
    { now, hostname: ctx.hostname, pidSpace: ctx.pidSpace, bootTimeMs: ctx.bootTimeMs(now) },
  );
  return items.map(({ c, record }, i): SessionInfo => {
    const { state, reason, why, heartbeatAgeMs } = judged[i] as Liveness;
    // <stem>.json -> <stem>.jsonl
    return { record, state, reason, why, heartbeatAgeMs, file: c.file, journal: `${c.file}l`, archivedOn: c.archivedOn };
  });
}

/** Live before archived (a re-registered session shows its live entry first), newest first, then by id. */
export function sortNewestFirst<T extends Pick<SessionInfo, 'record' | 'archivedOn'>>(sessions: T[]): T[] {
  return sessions.sort(
    (a, b) =>
      Number(a.archivedOn !== null) - Number(b.archivedOn !== null) ||
      (a.record.createdAt < b.record.createdAt ? 1 : a.record.createdAt > b.record.createdAt ? -1 : 0) ||
      (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
  );
}
