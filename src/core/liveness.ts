// Judges a session's state from its record and facts gathered elsewhere. Pure: no I/O, no clock.
import type { PidSpace, ProcessFacts } from './process-info';
import type { SessionRecord, SessionState } from './session-record';

export const DEFAULT_STALE_AFTER_INTERVALS = 3;
export const DEFAULT_EXPIRE_AFTER_MS = 24 * 60 * 60 * 1000;
/** How long cleanup leaves a stale session visible after its last heartbeat, so crashes get noticed. */
export const DEFAULT_STALE_GRACE_MS = 10 * 60 * 1000;
/**
 * Wall-clock start times are derived from boot time (whole seconds, and it can shift by a second
 * between reads) or from `ps` (whole seconds), so equal processes may differ by about a second.
 * Used only where start ticks cannot be compared: a wall-clock step moves these start times by
 * the size of the step.
 */
export const PROCESS_START_TOLERANCE_MS = 3000;

export interface LivenessContext {
  /** Epoch ms. */
  now: number;
  /** This host's name; only records of this host get pid checks. */
  hostname: string;
  /**
   * The reader's boot id and PID namespace (null where unknown). A record whose own values differ
   * was written in another PID space: its pid means nothing here and is not checked.
   */
  pidSpace?: Partial<PidSpace>;
  /** Facts about `record.pid` on this host; ignored when not checkable. Undefined = not checked. */
  process?: ProcessFacts;
  /** For records without ticks (or another boot id): wall-clock start difference still counted as equal. */
  startToleranceMs?: number;
}

export interface Liveness {
  state: SessionState;
  reason: string;
  heartbeatAgeMs: number;
}

/** The thresholds that decide a session's state, all from its own record (ms). */
export interface Thresholds {
  /** No heartbeat for longer than this: unresponsive. Record's unresponsiveAfterMs, else 3 × heartbeatIntervalMs. */
  unresponsiveAfterMs: number;
  /** No heartbeat for longer than this: stale. Record's expireAfterMs, else 24 h. */
  expireAfterMs: number;
}

export function sameHost(a: string, b: string): boolean {
  // Host names are case-insensitive.
  return a.toLowerCase() === b.toLowerCase();
}

/** A record's thresholds. Readers' settings never enter here, so every reader gives the same answer. */
export function thresholdsOf(record: SessionRecord): Thresholds {
  return {
    unresponsiveAfterMs: record.unresponsiveAfterMs ?? DEFAULT_STALE_AFTER_INTERVALS * record.heartbeatIntervalMs,
    expireAfterMs: record.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS,
  };
}

/**
 * Whether the record's pid can be checked by this reader: same host name and, where both sides
 * know them, the same boot id and PID namespace. Otherwise the words saying why not, as they
 * appear in reasons ("on host x", "other PID namespace", "other boot of this host name").
 */
export function pidCheckScope(record: SessionRecord, ctx: Pick<LivenessContext, 'hostname' | 'pidSpace'>): { checkable: true } | { checkable: false; why: string } {
  if (!sameHost(record.hostname, ctx.hostname)) return { checkable: false, why: `on host ${record.hostname}` };
  const bootId = ctx.pidSpace?.bootId;
  if (record.bootId && bootId && record.bootId !== bootId) return { checkable: false, why: 'other boot of this host name (boot id differs)' };
  const ns = ctx.pidSpace?.pidNamespace;
  if (record.pidNamespace && ns && record.pidNamespace !== ns) return { checkable: false, why: 'other PID namespace' };
  return { checkable: true };
}

/** Whether judging `record` would use process facts, so callers can skip collecting them. */
export function needsProcessCheck(record: SessionRecord, ctx: Pick<LivenessContext, 'now' | 'hostname' | 'pidSpace'>): boolean {
  return record.closedAt === null && pidCheckScope(record, ctx).checkable && heartbeatAge(record, ctx.now) <= thresholdsOf(record).expireAfterMs;
}

/** Age of the last heartbeat; a heartbeat from the future (clock skew) counts as age 0. */
export function heartbeatAge(record: SessionRecord, now: number): number {
  const at = Date.parse(record.heartbeatAt);
  return Number.isFinite(at) ? Math.max(0, now - at) : Number.POSITIVE_INFINITY;
}

/**
 * A session's state (docs/format.md, "Liveness"). Thresholds come from the record only; process
 * facts count only where the pid is checkable (pidCheckScope). Pid reuse is told by start ticks
 * when the record and the process share a boot id (a wall-clock step cannot move them), else
 * by the wall-clock start time within `startToleranceMs`.
 */
export function judgeLiveness(record: SessionRecord, ctx: LivenessContext): Liveness {
  const age = heartbeatAge(record, ctx.now);
  const { unresponsiveAfterMs, expireAfterMs } = thresholdsOf(record);
  const result = (state: SessionState, reason: string): Liveness => ({ state, reason, heartbeatAgeMs: age });

  if (record.closedAt !== null) {
    const closedAge = Math.max(0, ctx.now - Date.parse(record.closedAt));
    return result('closed', `closed ${formatDuration(closedAge)} ago`);
  }
  if (age > expireAfterMs) {
    return result('stale', `no heartbeat for ${formatDuration(age)} (expires after ${formatDuration(expireAfterMs)})`);
  }
  const scope = pidCheckScope(record, ctx);
  const facts = scope.checkable ? ctx.process : undefined;
  if (facts) {
    if (facts.zombie) return result('stale', `process ${record.pid} is a zombie (exited, not yet reaped by its parent)`);
    if (!facts.alive) return result('stale', `process ${record.pid} is gone`);
    if (isReused(record, facts, ctx)) return result('stale', `pid ${record.pid} now belongs to another process`);
  }
  // Same host name but another PID space: say so, or people wonder why a dead pid looks fine.
  const foreignSpace = !scope.checkable && sameHost(record.hostname, ctx.hostname) ? `; ${scope.why}, process not checked` : '';
  if (age > unresponsiveAfterMs) {
    const where = scope.checkable ? (facts ? 'process alive' : 'process not checked') : `${scope.why}, process not checked`;
    return result('unresponsive', `no heartbeat for ${formatDuration(age)}; ${where}`);
  }
  return result('active', `heartbeat ${formatDuration(age)} ago${foreignSpace}`);
}

/** Whether the live process holding `record.pid` is another one than the record's. Unknowns never claim reuse. */
function isReused(record: SessionRecord, facts: ProcessFacts, ctx: LivenessContext): boolean {
  const sameBoot = !!record.bootId && record.bootId === ctx.pidSpace?.bootId;
  const recordedTicks = record.processStartTicks;
  if (sameBoot && typeof recordedTicks === 'number' && typeof facts.startTicks === 'number') {
    return recordedTicks !== facts.startTicks;
  }
  const recorded = record.processStartedAt === null ? null : Date.parse(record.processStartedAt);
  const actual = facts.startedAt;
  return recorded !== null && actual !== null && Math.abs(recorded - actual) > (ctx.startToleranceMs ?? PROCESS_START_TOLERANCE_MS);
}

/**
 * Whether cleanup archives a session in `state`: closed ones always (they ended in order), stale
 * ones once their last heartbeat is more than `graceMs` from `now` — in either direction, since a
 * heartbeat stamped far in the future by a wrong clock is no recent sign of life either.
 */
export function dueForCleanup(state: SessionState, record: SessionRecord, now: number, graceMs: number): boolean {
  if (state === 'closed') return true;
  if (state !== 'stale') return false;
  const at = Date.parse(record.heartbeatAt);
  return !Number.isFinite(at) || Math.abs(now - at) > graceMs;
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
