// Judges a session's state from its record and facts gathered elsewhere. Pure: no I/O, no clock.
import type { ProcessFacts } from './process-info';
import type { SessionRecord, SessionState } from './session-record';

export const DEFAULT_STALE_AFTER_INTERVALS = 3;
export const DEFAULT_EXPIRE_AFTER_MS = 24 * 60 * 60 * 1000;
/**
 * Start times are derived from boot time (whole seconds, and it can shift by a second between
 * reads) or from `ps` (whole seconds), so equal processes may differ by about a second.
 */
export const PROCESS_START_TOLERANCE_MS = 3000;

export interface LivenessContext {
  /** Epoch ms. */
  now: number;
  /** This host's name; only records of this host get pid checks. */
  hostname: string;
  /** Facts about `record.pid` on this host; ignored for other hosts. Undefined = not checked. */
  process?: ProcessFacts;
  /** Default: DEFAULT_STALE_AFTER_INTERVALS × record.heartbeatIntervalMs. */
  staleAfterMs?: number;
  /** Default: DEFAULT_EXPIRE_AFTER_MS. */
  expireAfterMs?: number;
  startToleranceMs?: number;
}

export interface Liveness {
  state: SessionState;
  reason: string;
  heartbeatAgeMs: number;
}

export function sameHost(a: string, b: string): boolean {
  // Host names are case-insensitive.
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether judging `record` would use process facts, so callers can skip collecting them. */
export function needsProcessCheck(record: SessionRecord, ctx: Pick<LivenessContext, 'now' | 'hostname' | 'expireAfterMs'>): boolean {
  return record.closedAt === null && sameHost(record.hostname, ctx.hostname) && heartbeatAge(record, ctx.now) <= (ctx.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS);
}

/** Age of the last heartbeat; a heartbeat from the future (clock skew) counts as age 0. */
export function heartbeatAge(record: SessionRecord, now: number): number {
  const at = Date.parse(record.heartbeatAt);
  return Number.isFinite(at) ? Math.max(0, now - at) : Number.POSITIVE_INFINITY;
}

export function judgeLiveness(record: SessionRecord, ctx: LivenessContext): Liveness {
  const age = heartbeatAge(record, ctx.now);
  const staleAfter = ctx.staleAfterMs ?? DEFAULT_STALE_AFTER_INTERVALS * record.heartbeatIntervalMs;
  const expireAfter = ctx.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS;
  const result = (state: SessionState, reason: string): Liveness => ({ state, reason, heartbeatAgeMs: age });

  if (record.closedAt !== null) {
    const closedAge = Math.max(0, ctx.now - Date.parse(record.closedAt));
    return result('closed', `closed ${formatDuration(closedAge)} ago`);
  }
  if (age > expireAfter) {
    return result('stale', `no heartbeat for ${formatDuration(age)} (expires after ${formatDuration(expireAfter)})`);
  }
  const local = sameHost(record.hostname, ctx.hostname);
  if (local && ctx.process) {
    if (!ctx.process.alive) return result('stale', `process ${record.pid} is gone`);
    const recorded = record.processStartedAt === null ? null : Date.parse(record.processStartedAt);
    const actual = ctx.process.startedAt;
    // Only claim reuse when both start times are known.
    if (recorded !== null && actual !== null && Math.abs(recorded - actual) > (ctx.startToleranceMs ?? PROCESS_START_TOLERANCE_MS)) {
      return result('stale', `pid ${record.pid} now belongs to another process`);
    }
  }
  if (age > staleAfter) {
    const where = local
      ? ctx.process
        ? 'process alive'
        : 'process not checked'
      : `on host ${record.hostname}, process not checked`;
    return result('unresponsive', `no heartbeat for ${formatDuration(age)}; ${where}`);
  }
  return result('active', `heartbeat ${formatDuration(age)} ago`);
}

/** "0 s", "45 s", "2 min", "3 h", "2 d" — coarse on purpose, for people. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'ever';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}
