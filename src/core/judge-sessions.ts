// Judges many records at once: process facts are gathered once per distinct pid, and only for
// records whose pid means something to this reader (same host and PID space).
import { judgeLiveness, needsProcessCheck, type Liveness } from './liveness';
import type { PidSpace, ProcessFacts, ProcessProbe } from './process-info';
import type { SessionRecord } from './session-record';

export interface JudgeContext {
  /** The registry's clock, epoch ms. */
  now: number;
  hostname: string;
  pidSpace: PidSpace;
  /** This machine's boot time on the same clock as `now`, or null. */
  bootTimeMs: number | null;
}

/** Each record's liveness, in input order. */
export async function judgeRecords(records: readonly SessionRecord[], probe: ProcessProbe, ctx: JudgeContext): Promise<Liveness[]> {
  // pid -> whether some record of it has a start time to compare (else the lookup is skipped).
  const pids = new Map<number, boolean>();
  const checked = records.map((record) => {
    const needs = needsProcessCheck(record, ctx);
    if (needs) pids.set(record.pid, (pids.get(record.pid) ?? false) || record.processStartedAt !== null);
    return needs;
  });
  const known = new Map<number, ProcessFacts>();
  await Promise.all([...pids].map(async ([pid, needStart]) => known.set(pid, await probe.facts(pid, needStart))));
  return records.map((record, i) => judgeLiveness(record, { ...ctx, process: checked[i] ? known.get(record.pid) : undefined }));
}
