// Judging records: each record's liveness state from its heartbeat and its process, with each
// distinct pid probed once however many records name it. The rule itself is liveness.ts's.
import { judgeLiveness, needsProcessCheck } from '../liveness';
import type { ProcessFacts } from '../process-info';
import type { StoreContext } from './context';
import type { ReadRecord } from './record-files';
import type { SessionInfo } from './types';

/** Gathers process facts once per distinct pid, then judges each record at `now` (epoch ms). */
export async function judgeAll(ctx: StoreContext, items: ReadRecord[], now: number): Promise<SessionInfo[]> {
  const probe = ctx.probe();
  const judging = { now, hostname: ctx.hostname, pidSpace: ctx.pidSpace, bootTimeMs: ctx.bootTimeMs(now) };
  // pid -> whether some record of it has a start time to compare (else the lookup is skipped).
  const pids = new Map<number, boolean>();
  const checked = items.map(({ record }) => {
    const needs = needsProcessCheck(record, judging);
    if (needs) pids.set(record.pid, (pids.get(record.pid) ?? false) || record.processStartedAt !== null);
    return needs;
  });
  const known = new Map<number, ProcessFacts>();
  await Promise.all([...pids].map(async ([pid, needStart]) => known.set(pid, await probe.facts(pid, needStart))));
  return items.map(({ c, record }, i): SessionInfo => {
    const { state, reason, why, heartbeatAgeMs } = judgeLiveness(record, { ...judging, process: checked[i] ? known.get(record.pid) : undefined });
    // <stem>.json -> <stem>.jsonl
    return { record, state, reason, why, heartbeatAgeMs, file: c.file, journal: `${c.file}l`, archivedOn: c.archivedOn };
  });
}

/** Live before archived (a re-registered session shows its live entry first), newest first, then by id. */
export function sortNewestFirst(sessions: SessionInfo[]): SessionInfo[] {
  return sessions.sort(
    (a, b) =>
      Number(a.archivedOn !== null) - Number(b.archivedOn !== null) ||
      (a.record.createdAt < b.record.createdAt ? 1 : a.record.createdAt > b.record.createdAt ? -1 : 0) ||
      (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
  );
}
