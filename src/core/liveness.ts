// Judges a session's state from its record and facts gathered elsewhere. Pure: no I/O, no clock.
import type { PidSpace, ProcessFacts } from './process-info';
import type { SessionRecord, SessionState } from './session-record';
import { livenessSentence, scopeSentence, type Beat, type LivenessReason, type ScopeReason } from './liveness-text';
import { wordedDuration } from './words';

/** A record without unresponsiveAfterMs is unresponsive after this many heartbeat intervals without a heartbeat. */
export const DEFAULT_UNRESPONSIVE_AFTER_INTERVALS = 3;
export const DEFAULT_EXPIRE_AFTER_MS = 24 * 60 * 60 * 1000;
/** How long automatic cleanup leaves a stale session visible after it was first seen stale, so crashes get noticed. */
export const DEFAULT_STALE_GRACE_MS = 10 * 60 * 1000;
/**
 * The grace (ms) a cleanup runs with: the one asked for, else the store's default, else
 * DEFAULT_STALE_GRACE_MS. Throws RangeError when it is negative (or NaN).
 */
export function staleGraceMs(requested: number | undefined, storeDefault: number | undefined): number {
  const grace = requested ?? storeDefault ?? DEFAULT_STALE_GRACE_MS;
  if (!(grace >= 0)) throw new RangeError(`stale grace ${grace} ms is negative`);
  return grace;
}
/**
 * Wall-clock start times are derived from boot time (whole seconds, and it can shift by a second
 * between reads) or from `ps` (whole seconds), so equal processes may differ by about a second.
 * Used only where start ticks cannot be compared: a wall-clock step moves these start times by
 * the size of the step.
 */
export const PROCESS_START_TOLERANCE_MS = 3000;

/**
 * A reader's boot time may be computed from uptime and the wall clock at slightly different
 * moments; a last heartbeat this close before it still might be from this boot.
 */
export const BOOT_TIME_TOLERANCE_MS = 5000;

export interface LivenessContext {
  /** Epoch ms. */
  now: number;
  /** This host's name; only records of this host get pid checks. */
  hostname: string;
  /**
   * The reader's boot id and PID space (null where unknown). A record whose own values differ,
   * or that has a PID space where the reader has none (or the reverse), was written in another
   * PID space: its pid means nothing here and is not checked. See pidCheckScope.
   */
  pidSpace?: Partial<PidSpace>;
  /** Epoch ms when the reader's machine booted (now − uptime); enables the previous-boot rule. */
  bootTimeMs?: number | null;
  /** Facts about `record.pid` on this host; ignored when not checkable. Undefined = not checked. */
  process?: ProcessFacts;
  /** For records without ticks (or another boot id): wall-clock start difference still counted as equal. */
  startToleranceMs?: number;
}

export interface Liveness {
  state: SessionState;
  /** Why, in English (livenessSentence of `why`): what the CLI, logs and journals show. */
  reason: string;
  /** Why, as a code with its values: a UI words it in its own language (liveness-text.ts). */
  why: LivenessReason;
  /** Age of the last heartbeat in ms; 0 for a heartbeat stamped in the future. */
  heartbeatAgeMs: number;
}

/** The thresholds that decide a session's state, all from its own record (ms). */
export interface Thresholds {
  /**
   * No heartbeat for longer than this: unresponsive. The record's unresponsiveAfterMs (else
   * 3 × heartbeatIntervalMs), raised to heartbeatIntervalMs if below it.
   */
  unresponsiveAfterMs: number;
  /** No heartbeat for longer than this: stale. The record's expireAfterMs (else 24 h), raised to unresponsiveAfterMs if below it. */
  expireAfterMs: number;
}

export function sameHost(a: string, b: string): boolean {
  // Host names are case-insensitive.
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * A record's thresholds. Readers' settings never enter here, so every reader gives the same
 * answer. Contradictory values are clamped so that interval ≤ unresponsive ≤ expire: a writer
 * that promised a heartbeat every 10 s cannot be stale after 1 s of silence.
 */
export function thresholdsOf(record: SessionRecord): Thresholds {
  const unresponsiveAfterMs = Math.max(record.unresponsiveAfterMs ?? DEFAULT_UNRESPONSIVE_AFTER_INTERVALS * record.heartbeatIntervalMs, record.heartbeatIntervalMs);
  return { unresponsiveAfterMs, expireAfterMs: Math.max(record.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS, unresponsiveAfterMs) };
}

/**
 * Whether the record's pid can be checked by this reader: same host name and the same PID space.
 * Records with neither bootId nor pidNamespace (older writers) are checked on the host name
 * alone, as before. Otherwise the reader must know its own PID space, boot ids must match where
 * both sides have one, and the PID namespaces must be equal; one side without a namespace is
 * another space. Else the words saying
 * why not, as they appear in reasons ("on host x", "other PID namespace", …).
 */
export function pidCheckScope(
  record: SessionRecord,
  ctx: Pick<LivenessContext, 'hostname' | 'pidSpace'>,
): { checkable: true } | { checkable: false; why: string; scope: ScopeReason } {
  const not = (scope: ScopeReason): { checkable: false; why: string; scope: ScopeReason } => ({ checkable: false, why: scopeSentence(scope), scope });
  if (!sameHost(record.hostname, ctx.hostname)) return not({ code: 'other-host', host: record.hostname });
  if (!record.bootId && !record.pidNamespace) return { checkable: true }; // an older writer: judged as before
  const bootId = ctx.pidSpace?.bootId;
  if (!bootId && !ctx.pidSpace?.pidNamespace) return not({ code: 'no-pid-space-here' });
  if (record.bootId && bootId && record.bootId !== bootId) return not({ code: 'other-boot' });
  const ns = ctx.pidSpace?.pidNamespace ?? null;
  const recordNs = record.pidNamespace ?? null;
  if (recordNs !== ns) {
    if (recordNs === null || ns === null) return not({ code: 'other-pid-space', recorded: recordNs, here: ns });
    return not({ code: 'other-pid-namespace' });
  }
  return { checkable: true };
}

/** Whether judging `record` would use process facts, so callers can skip collecting them. */
export function needsProcessCheck(record: SessionRecord, ctx: Pick<LivenessContext, 'now' | 'hostname' | 'pidSpace'>): boolean {
  // Not limited by heartbeat age: a live process outlasts any expiry (a sleeping laptop).
  return record.closedAt === null && pidCheckScope(record, ctx).checkable;
}

/** Age of the last heartbeat; a heartbeat from the future counts as age 0 (see heartbeatSkew). */
export function heartbeatAge(record: SessionRecord, now: number): number {
  const at = Date.parse(record.heartbeatAt);
  return Number.isFinite(at) ? Math.max(0, now - at) : Number.POSITIVE_INFINITY;
}

/** How far (ms) the last heartbeat lies in the future of `now`; 0 when it does not. */
export function heartbeatSkew(record: SessionRecord, now: number): number {
  const at = Date.parse(record.heartbeatAt);
  return Number.isFinite(at) ? Math.max(0, at - now) : 0;
}

/**
 * A session's state (docs/format.md, "Liveness"). Thresholds come from the record only
 * (thresholdsOf); process facts count only where the pid is checkable (pidCheckScope). Pid
 * reuse is told by start ticks when the record and the process share a boot id (a wall-clock
 * step cannot move them), else by the wall-clock start time within `startToleranceMs`. A process
 * proven alive and the same keeps its session at worst unresponsive: expiry, clock skew and age
 * decide only where the process cannot be checked.
 */
export function judgeLiveness(record: SessionRecord, ctx: LivenessContext): Liveness {
  const age = heartbeatAge(record, ctx.now);
  const skew = heartbeatSkew(record, ctx.now);
  const { unresponsiveAfterMs, expireAfterMs } = thresholdsOf(record);
  const result = (state: SessionState, why: LivenessReason): Liveness => ({ state, reason: livenessSentence(why), why, heartbeatAgeMs: age });

  if (record.closedAt !== null) {
    const closedAge = Math.max(0, ctx.now - Date.parse(record.closedAt));
    return result('closed', { code: 'closed', agoMs: closedAge });
  }
  const scope = pidCheckScope(record, ctx);
  const facts = scope.checkable ? ctx.process : undefined;
  let provenAlive = false;
  if (facts) {
    if (facts.zombie) return result('stale', { code: 'zombie', pid: record.pid });
    if (!facts.alive) return result('stale', { code: 'gone', pid: record.pid });
    const identity = processIdentity(record, facts, ctx);
    if (identity === 'other') return result('stale', { code: 'pid-reused', pid: record.pid });
    provenAlive = identity === 'same';
  }
  const beat: Beat = skew > 0 ? { future: true, ms: skew } : { future: false, ms: age };
  if (provenAlive) {
    if (age > unresponsiveAfterMs || skew > unresponsiveAfterMs) return result('unresponsive', { code: 'late-process-alive', beat });
    return result('active', skew > 0 ? { code: 'skew-process-alive', beat } : { code: 'fresh', ageMs: age });
  }
  if (age > expireAfterMs) return result('stale', { code: 'expired', ageMs: age, expireAfterMs });
  if (skew > expireAfterMs) return result('stale', { code: 'clock-wrong', beat, expireAfterMs });
  if (isFromPreviousBoot(record, ctx)) return result('stale', { code: 'previous-boot' });
  // Same host name but another PID space: say so, or people wonder why a dead pid looks fine.
  const foreignSpace = !scope.checkable && sameHost(record.hostname, ctx.hostname) ? { scope: scope.scope } : {};
  if (age > unresponsiveAfterMs || skew > unresponsiveAfterMs) {
    const where = scope.checkable ? {} : { scope: scope.scope };
    return result('unresponsive', { code: 'late', beat, process: facts ? 'alive' : 'not-checked', ...where });
  }
  return result('active', skew > 0 ? { code: 'skew', beat, ...foreignSpace } : { code: 'fresh', ageMs: age, ...foreignSpace });
}

/**
 * A record of this host name whose boot id differs from the reader's and whose last heartbeat
 * is older than the reader's boot: written before this machine booted, so its process is gone.
 * Another machine of the same name that heartbeats after our boot is not caught by this.
 */
function isFromPreviousBoot(record: SessionRecord, ctx: LivenessContext): boolean {
  const bootId = ctx.pidSpace?.bootId;
  if (!record.bootId || !bootId || record.bootId === bootId || !sameHost(record.hostname, ctx.hostname)) return false;
  if (typeof ctx.bootTimeMs !== 'number') return false;
  const at = Date.parse(record.heartbeatAt);
  return Number.isFinite(at) && at < ctx.bootTimeMs - BOOT_TIME_TOLERANCE_MS;
}

/**
 * Whether the live process holding `record.pid` is the record's ('same'), another one ('other'),
 * or cannot be told ('unknown': no start times to compare). Unknowns never claim reuse.
 */
export function processIdentity(record: SessionRecord, facts: ProcessFacts, ctx: Pick<LivenessContext, 'pidSpace' | 'startToleranceMs'>): 'same' | 'other' | 'unknown' {
  const sameBoot = !!record.bootId && record.bootId === ctx.pidSpace?.bootId;
  const recordedTicks = record.processStartTicks;
  if (sameBoot && typeof recordedTicks === 'number' && typeof facts.startTicks === 'number') {
    return recordedTicks === facts.startTicks ? 'same' : 'other';
  }
  const recorded = record.processStartedAt === null ? null : Date.parse(record.processStartedAt);
  const actual = facts.startedAt;
  if (recorded === null || actual === null || !Number.isFinite(recorded)) return 'unknown';
  return Math.abs(recorded - actual) > (ctx.startToleranceMs ?? PROCESS_START_TOLERANCE_MS) ? 'other' : 'same';
}

/**
 * Whether cleanup archives a session in `state`: closed ones always (they ended in order), stale
 * ones once `graceMs` has passed since a cleanup first saw them stale (record.staleSince, written
 * by markStale in the store). A stale record without staleSince is due only when graceMs is 0.
 */
export function dueForCleanup(state: SessionState, record: SessionRecord, now: number, graceMs: number): boolean {
  if (state === 'closed') return true;
  if (state !== 'stale') return false;
  if (graceMs <= 0) return true;
  const since = record.staleSince ? Date.parse(record.staleSince) : NaN;
  return Number.isFinite(since) && now - since > graceMs;
}

/** Whether cleanup should stamp `staleSince` on a stale record: none yet, or one in the future (a wrong clock). */
export function needsStaleMark(state: SessionState, record: SessionRecord, now: number): boolean {
  if (state !== 'stale') return false;
  const since = record.staleSince ? Date.parse(record.staleSince) : NaN;
  return !Number.isFinite(since) || since > now;
}

/** "0 s", "45 s", "2 min", "3 h", "2 d" in English: wordedDuration (words.ts) for the CLI and logs. */
export function formatDuration(ms: number): string {
  return wordedDuration(ms);
}
