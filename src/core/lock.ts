/**
 * Cross-process exclusive lock of a file path, built on proper-lockfile's mkdir lock. This file
 * is the facade (withLock) over modules with one job each:
 *
 * - lock-options.ts: options, defaults, clamping and the waits that follow from them;
 * - lock-errors.ts: LockTimeoutError, LockCompromisedError, ForeignLockPathError;
 * - lock-target.ts: the canonical path a lock is named after;
 * - lock-local-queue.ts: the in-process FIFO of operations waiting for the same path;
 * - lock-wait.ts: attempts, backoff, wake-ups and the end of a wait;
 * - lock-stale.ts: lock age, stale takeover under a guard, foreign things at the lock path;
 * - lock-directory.ts: the lock directory through proper-lockfile (its internals live there only);
 * - lock-lease.ts: assertHeld() before a commit, and verify-then-release;
 * - lock-timings.ts: opt-in per-phase timings for the benchmark (off: one null check a phase);
 * - lock-waiters.ts: the waiting room; a release wakes the longest waiter, not every waiter;
 * - lock-keep.ts: keeping a lock through a chain of operations of this process (appendJsonl).
 *
 * The lock of `X` is the directory `X.lock`; `X` itself need not exist. The holder refreshes the
 * directory's mtime every `updateMs`; a lock not refreshed for `staleMs` is stale and the next
 * contender removes and takes it (this is how a SIGKILLed holder is recovered from).
 *
 * Differences from calling proper-lockfile directly:
 * - Our own retry loop (exponential backoff with jitter, first delay of a few ms) bounded by a
 *   total `maxWaitMs`, so contended throughput is not capped by long fixed retry delays.
 * - Waiters in the same process queue in FIFO order in memory instead of polling the directory;
 *   this also keeps one process from "taking over" its own lock.
 * - A compromised lock never throws from a timer (proper-lockfile's default `onCompromised`
 *   does, which would crash the process). The operation under it fails with
 *   LockCompromisedError instead, once `fn` has settled.
 * - Before removing the lock directory we check it is still ours (same mtime as our last
 *   refresh), so a holder that stalled past the stale threshold does not delete the lock that
 *   another process has since taken.
 * - One lock per file: the lock directory is named after the file's canonical path
 *   (lockTargetFor: symlinks, relative paths and `..` resolved), and the in-process queue is keyed
 *   on it too.
 * - `fn` gets a LockLease whose synchronous assertHeld() checks, right before a commit (a rename,
 *   a link), that the lock is still this holder's, and renews it.
 *
 * withLock is defined here, not re-exported: the benchmark wraps this module's export to time the
 * acquisition inside appendJsonl, which a re-export (a getter) would not allow.
 */
import { performance } from 'node:perf_hooks';
import { LockCompromisedError, LockTimeoutError } from './lock-errors';
import { freshlyTaken, inBurst, keepLock, releaseLock, takeKeptLock, yieldTurn } from './lock-keep';
import { assertHeld, verifyStillHeld, type LockLease } from './lock-lease';
import { acquireLocal, markHeldInProcess, releaseLocal } from './lock-local-queue';
import { deadHolderExtraMs, resolveLockOptions, type LockOptions } from './lock-options';
import { lockAgeMs } from './lock-stale';
import { lockTargetFor } from './lock-target';
import { newLockPhaseRecord, preciseNow, recordLockPhases } from './lock-timings';
import { acquireFileLock, type WaitBounds } from './lock-wait';

export { lockTargetFor } from './lock-target';
export { ForeignLockPathError, LockCompromisedError, LockTimeoutError } from './lock-errors';
export type { LockLease } from './lock-lease';
export {
  deadHolderExtraMs,
  defaultMaxWaitMs,
  LOCK_DEFAULTS,
  MTIME_ROUNDING_MS,
  resolveLockOptions,
  TAKEOVER_MARGIN_MS,
  type LockOptions,
} from './lock-options';
export { lockAgeMs } from './lock-stale';

/**
 * Runs `fn` while holding the lock of `target`: the directory `lockTargetFor(target) + '.lock'`,
 * so every path to the same file (symlinks, relative, `..`) shares one lock.
 *
 * The lock is always released, also when `fn` throws. `fn` receives an AbortSignal that fires
 * if the lock becomes compromised while it runs, so long operations can stop early, and a
 * LockLease (the canonical target, and assertHeld() for right before a commit); withLock then
 * rejects with LockCompromisedError (with `fn`'s own error, if any, as `cause`).
 * Rejects with LockTimeoutError when the lock could not be had within `maxWaitMs`, and with
 * RangeError for invalid options.
 */
export async function withLock<T>(
  target: string,
  fn: (signal: AbortSignal, lease: LockLease) => Promise<T> | T,
  options?: LockOptions,
  /**
   * Internal, for all-synchronous critical sections such as appendJsonl's: keep the lock for this
   * process's next operation on the same file instead of releasing it at once (lock-keep.ts).
   */
  keepForNext = false,
): Promise<T> {
  const o = resolveLockOptions(options);
  const timings = newLockPhaseRecord(); // null unless a benchmark turned timings on
  const file = lockTargetFor(target, { followLink: options?.followLink ?? true });
  const startedAt = performance.now();
  if (timings) timings.resolveMs = preciseNow() - timings.calledAt;
  const bounds: WaitBounds = {
    startedAt,
    deadline: startedAt + o.maxWaitMs,
    // An explicit maxWaitMs is a hard bound; the default one outlasts a dead holder.
    hardCap: options?.maxWaitMs === undefined ? startedAt + o.maxWaitMs + deadHolderExtraMs(o) : null,
  };

  const local = acquireLocal(file, bounds);
  if (local !== true && !(await local)) {
    throw new LockTimeoutError(file, await lockAgeMs(file), Math.round(performance.now() - startedAt), true);
  }
  if (timings) timings.localWaitMs = performance.now() - startedAt;

  try {
    let kept = takeKeptLock(file);
    if (kept && timings) timings.kept = true;
    if (!kept) {
      await yieldTurn(file);
      kept = freshlyTaken(await acquireFileLock(file, o, bounds, timings));
    }
    const held = kept.held;
    markHeldInProcess(file, true);
    if (timings) timings.acquiredAt = preciseNow();
    const lease: LockLease = {
      target: file,
      signal: held.controller.signal,
      assertHeld: () => assertHeld(held, o),
    };
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await fn(held.controller.signal, lease) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    markHeldInProcess(file, false);
    const releasing = timings ? preciseNow() : 0;
    let reason: string | null;
    if (keepForNext && outcome.ok && inBurst(file, startedAt)) {
      // Checked as at a release, so an operation that overlapped a takeover is reported alike.
      reason = verifyStillHeld(held);
      if (reason === null) keepLock(file, kept);
    } else {
      reason = releaseLock(held);
    }
    if (timings) {
      timings.releasedAt = preciseNow();
      timings.holdMs = releasing - timings.acquiredAt;
      timings.releaseMs = timings.releasedAt - releasing;
      recordLockPhases(timings);
    }
    if (reason !== null) {
      // fn's own report of the loss says more about what happened to the operation.
      if (!outcome.ok && outcome.error instanceof LockCompromisedError) throw outcome.error;
      throw new LockCompromisedError(file, reason, outcome.ok ? undefined : { cause: outcome.error });
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  } finally {
    markHeldInProcess(file, false);
    releaseLocal(file);
  }
}
