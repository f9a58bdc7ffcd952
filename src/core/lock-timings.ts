/**
 * Opt-in per-phase timings of withLock, to find where the time goes between one holder's
 * release and the next holder's acquire (benchmark figure 3). Off by default: then each phase
 * costs one null check. Not part of the library's API.
 *
 * Times are milliseconds. `…At` fields are wall-clock epoch milliseconds with sub-millisecond
 * precision (performance.timeOrigin + performance.now()), comparable between processes of one
 * machine, so a benchmark can pair each acquisition with the release before it.
 */
import { performance } from 'node:perf_hooks';

/** The phases of one withLock call. */
export interface LockPhaseRecord {
  /** When withLock was called (epoch ms). */
  calledAt: number;
  /** lockTargetFor: realpath of the directory, lstat of the name. */
  resolveMs: number;
  /** Waiting behind operations of this process (the in-process queue). */
  localWaitMs: number;
  /** mkdir attempts (proper-lockfile's lock(): mkdir, and on EEXIST its stat). */
  attempts: number;
  /** Retries that found the lock directory present with a stat and so did not mkdir. */
  peeks: number;
  /** Time in attempts and peeks. */
  attemptMs: number;
  /** Stale checks between attempts (stat, and a takeover when stale). */
  staleChecks: number;
  staleCheckMs: number;
  /** Asleep between attempts, and what ended each sleep. */
  sleepMs: number;
  wakesByChange: number;
  wakesByTimer: number;
  /**
   * The lock was kept from this process's previous operation (lock-keep.ts): no attempt, no wait.
   * releasedAt is then the end of the operation that kept it, not a release.
   */
  kept: boolean;
  /** When the lock directory was ours (epoch ms). */
  acquiredAt: number;
  /** Running fn. */
  holdMs: number;
  /** Verify-then-release (stat, rmdir). */
  releaseMs: number;
  /** When the lock directory was removed (epoch ms). */
  releasedAt: number;
}

let records: LockPhaseRecord[] | null = null;

/** Epoch milliseconds with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Starts recording (discarding anything recorded before). */
export function startLockTimings(): void {
  records = [];
}

/** Returns what was recorded since the last call (or start) and keeps recording. */
export function takeLockTimings(): LockPhaseRecord[] {
  const out = records ?? [];
  if (records) records = [];
  return out;
}

/** Stops recording. */
export function stopLockTimings(): void {
  records = null;
}

/** A fresh record for a withLock call starting now, or null when timings are off. */
export function newLockPhaseRecord(): LockPhaseRecord | null {
  if (!records) return null;
  return {
    calledAt: preciseNow(),
    resolveMs: 0,
    localWaitMs: 0,
    attempts: 0,
    peeks: 0,
    attemptMs: 0,
    staleChecks: 0,
    staleCheckMs: 0,
    sleepMs: 0,
    wakesByChange: 0,
    wakesByTimer: 0,
    kept: false,
    acquiredAt: 0,
    holdMs: 0,
    releaseMs: 0,
    releasedAt: 0,
  };
}

/** Keeps a completed record (if recording is still on). */
export function recordLockPhases(record: LockPhaseRecord): void {
  records?.push(record);
}
