/**
 * Holding a lock: the lease's check-and-renew before a commit, and the check that the lock
 * directory is still ours before it is removed. Both synchronous, so nothing runs between the
 * check and what follows it.
 */
import { statSync, utimesSync } from 'node:fs';
import { detach, errorCode, refreshMtime, releaseDir, type Held } from './lock-directory';
import { LockCompromisedError } from './lock-errors';
import { SessionKeeperError } from './errors';
import type { ResolvedLockOptions } from './lock-options';

/**
 * What `fn` holds while withLock runs it. Commits (rename, link, unlink of the locked file or its
 * companions) call assertHeld() right before the syscall, in the same synchronous turn.
 */
export interface LockLease {
  /** The canonical path whose lock is held (lockTargetFor of withLock's target). */
  readonly target: string;
  /** Fires when the lock is found compromised (by the refresher or by assertHeld). */
  readonly signal: AbortSignal;
  /**
   * Synchronously checks that this holder still holds the lock: not found compromised, the lock
   * directory present with the mtime this holder last set, and not so old that another process
   * could take it over now. Then renews it (sets a fresh mtime), so that a takeover needs a
   * whole new stale threshold. Throws LockCompromisedError otherwise (and from then on the lock
   * counts as lost: fn's signal is aborted and withLock rejects).
   *
   * What remains unprotected is the time between this call's return and the commit syscall:
   * Linux has no compare-and-rename, so a holder stopped (SIGSTOP, a suspended VM) for longer
   * than the stale threshold exactly there can still overlap with the next holder.
   */
  assertHeld(): void;
}

const REMOVED = 'the lock directory was removed while the lock was held';
const TAKEN_OVER = 'the lock was held past its stale threshold and taken over by another process';

/**
 * Checks that the lock directory is still the one we hold (present, with the mtime this holder
 * last set). Returns the reason when it is not (and detaches from it: it is not ours to refresh
 * or remove), "unknown" when it cannot be checked (e.g. permissions changed), else null.
 */
function verifyHeld(held: Held): string | null | 'unknown' {
  const { state, file } = held;
  if (held.compromised) return held.compromised.message;
  if (!state) return 'unknown';
  let mtime: number;
  try {
    mtime = statSync(`${file}.lock`).mtime.getTime();
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') return 'unknown';
    detach(file, state);
    return REMOVED;
  }
  // proper-lockfile refreshes synchronously too (SYNC_FS), so state.mtime is never stale here.
  if (mtime !== state.mtime.getTime()) {
    detach(file, state);
    return TAKEN_OVER;
  }
  return null;
}

/**
 * Checks that the lock directory is still the one we hold, then removes it; both synchronously,
 * so nothing runs in between. Returns the reason when the lock turned out to be compromised
 * (and then leaves the directory alone), else null.
 */
export function verifyAndRelease(held: Held): string | null {
  const reason = verifyHeld(held);
  // Cannot verify: release as proper-lockfile would.
  if (reason === null || reason === 'unknown') {
    releaseDir(held);
    return null;
  }
  return reason;
}

/**
 * At the end of an operation whose lock is kept for the next one (lock-keep.ts): the check
 * verifyAndRelease makes, without the release. Returns the reason when the lock was lost during
 * the operation, else null.
 */
export function verifyStillHeld(held: Held): string | null {
  const reason = verifyHeld(held);
  return reason === 'unknown' ? null : reason;
}

/**
 * A renewal leaves at least this much of the stale threshold unused: a contender that judged the
 * lock stale a moment before our check could otherwise remove it between our stat and utimes.
 */
function renewMarginMs(staleMs: number): number {
  return Math.min(1000, staleMs / 10);
}

function loseLock(held: Held, reason: string): never {
  if (!held.compromised) {
    held.compromised = new SessionKeeperError('ELOCKCOMPROMISED', reason);
    if (held.state) detach(held.file, held.state);
    held.controller.abort(new LockCompromisedError(held.file, reason));
  }
  throw new LockCompromisedError(held.file, held.compromised.message);
}

/** LockLease.assertHeld for `held` (see there). */
export function assertHeld(held: Held, o: ResolvedLockOptions): void {
  const { state, file } = held;
  if (held.compromised) throw new LockCompromisedError(file, held.compromised.message);
  if (!state || state.released) throw new LockCompromisedError(file, 'the lease was used after the lock was released');
  const lockDir = `${file}.lock`;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(lockDir).mtime.getTime();
  } catch (err) {
    if (errorCode(err) === 'ENOENT') loseLock(held, REMOVED);
    throw err;
  }
  if (mtimeMs !== state.mtime.getTime()) loseLock(held, TAKEN_OVER);
  if (Date.now() - mtimeMs > o.staleMs - renewMarginMs(o.staleMs)) {
    loseLock(held, 'the lock went stale while held (its holder was stopped or starved); another process may take it over');
  }
  const mtime = refreshMtime(state.mtimePrecision);
  try {
    utimesSync(lockDir, mtime, mtime);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') loseLock(held, REMOVED);
    // Not renewed, but still ours and not stale: the check itself passed.
    return;
  }
  state.mtime = mtime;
  state.lastUpdate = Date.now();
}
