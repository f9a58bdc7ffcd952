/**
 * Keeping a lock for this process's next operation on the same file: a burst of appends takes
 * the lock directory once, not once per record.
 *
 * Why: taking and releasing the lock directory (mkdir, rmdir: each takes the parent directory's
 * lock) and waking the next waiter cost more than a 1 KB append itself, so a process appending in
 * a loop spent most of its time on the lock, and under contention most of the machine's time went
 * to handoffs (docs/benchmarks.md, figure 3).
 *
 * The rules that keep it safe and fair:
 * - Only a burst keeps it: an operation that began within BURST_GAP_MS of the end of this
 *   process's previous one on the same file. A lone append (a heartbeat's journal event)
 *   releases at once, as before, whatever the process does next.
 * - A kept lock is released as soon as this process's event loop gets a turn (setImmediate): it
 *   is kept only through an uninterrupted chain of operations, never while the process waits.
 * - A lock is held for at most KEEP_QUANTUM_MS at a time: then it is released (waking the longest
 *   waiter, lock-waiters.ts), and this process lets YIELD_MS pass before it tries again, so that
 *   a waiter gets it. Also when the waiting room is empty: a waiter may hold no ticket (a writer
 *   in another language that only retries mkdir, a room it could not join), and a chain that kept
 *   the lock while it saw no ticket starved such a waiter for as long as the chain went on. A
 *   lock held for one quantum at most never needs renewing either.
 * - The operations that keep it are all-synchronous critical sections (appendJsonl): nothing runs
 *   between an operation's end and the decision to keep the lock, and each ends with the check a
 *   release makes (the lock directory is still ours), so a takeover is reported as before.
 */
import { performance } from 'node:perf_hooks';
import type { Held } from './lock-directory';
import { verifyAndRelease } from './lock-lease';
import { wakeNextWaiter } from './lock-waiters';

/** The longest a lock is held at a time for a chain of operations (ms). */
export const KEEP_QUANTUM_MS = 10;
/** How long a process whose quantum ended stays away from the lock it released (ms). */
export const YIELD_MS = 1;
/** An operation that begins at most this long after the previous one on the file ended is a burst (ms). */
export const BURST_GAP_MS = 1;

/** When this process's last keepable operation on each file ended (performance.now()). */
const lastEnded = new Map<string, number>();
/** A process that appends to many files once each must not grow the map without end. */
const MAX_REMEMBERED = 256;

/**
 * At the end of a keepable operation on `file` that began at `startedAt`: whether it is part of a
 * burst (and so may keep the lock). Remembers its end for the next operation.
 */
export function inBurst(file: string, startedAt: number): boolean {
  const previous = lastEnded.get(file);
  if (lastEnded.size >= MAX_REMEMBERED && previous === undefined) lastEnded.clear();
  lastEnded.set(file, performance.now());
  return previous !== undefined && startedAt - previous <= BURST_GAP_MS;
}

/** A lock held for a chain of operations, and when its quantum began. */
export interface Kept {
  held: Held;
  /** performance.now() at the start of the current quantum. */
  since: number;
  /**
   * Date.now() then: the monotonic clock stops while the machine sleeps, the wall clock does not,
   * so a chain resumed after a suspend sees its quantum is over (another process may have taken
   * the lock over meanwhile) instead of writing before it notices.
   */
  sinceWall: number;
}

const kept = new Map<string, Kept>();
const yieldUntil = new Map<string, number>();

/**
 * Releases `held` (verify-then-release, lock-lease.ts) and wakes the longest waiter. Returns the
 * reason when the lock turned out to be compromised, else null.
 */
export function releaseLock(held: Held): string | null {
  const reason = verifyAndRelease(held);
  if (reason === null) wakeNextWaiter(held.file);
  return reason;
}

/** A lock just taken: its quantum begins now. */
export function freshlyTaken(held: Held): Kept {
  return { held, since: performance.now(), sinceWall: Date.now() };
}

/** Files whose kept lock has a release check queued for the next turn of the event loop. */
const releaseQueued = new Set<string>();

/**
 * Keeps `held` (the lock of `file`, with its quantum as it began) for this process's next
 * operation on `file`, until the event loop gets a turn.
 */
export function keepLock(file: string, quantum: Kept): void {
  kept.set(file, quantum);
  // One check per turn, not one per operation: a chain keeps the lock hundreds of times in a
  // quantum without the loop turning, and the check only has to run once it does.
  if (releaseQueued.has(file)) return;
  releaseQueued.add(file);
  setImmediate(() => {
    releaseQueued.delete(file);
    const entry = kept.get(file);
    // Gone: taken by an operation still running (it keeps or releases it when it ends).
    if (!entry) return;
    kept.delete(file);
    releaseLock(entry.held);
  });
}

/**
 * The lock of `file` if this process kept it and may go on holding it, with the start of its
 * quantum; else null (its quantum is over and it was released, or it was lost).
 */
export function takeKeptLock(file: string): Kept | null {
  const entry = kept.get(file);
  if (!entry) return null;
  kept.delete(file);
  const { held } = entry;
  if (held.compromised) {
    releaseLock(held);
    return null;
  }
  const now = performance.now();
  if (now - entry.since <= KEEP_QUANTUM_MS && Date.now() - entry.sinceWall <= KEEP_QUANTUM_MS) return entry;
  // Verified as at any release: a lock taken over meanwhile (this process was stopped) is left alone.
  releaseLock(held);
  yieldUntil.set(file, now + YIELD_MS);
  return null;
}

/**
 * Releases every lock this process keeps, now. For code that is about to block this process
 * synchronously on another process that may need one of these locks (start-session.ts closes a
 * session at exit in a child process with spawnSync): a kept lock is otherwise released only when
 * the event loop turns, which a blocked process never reaches, so the other process would wait
 * for it to go stale.
 */
export function releaseKeptLocks(): void {
  for (const [file, entry] of kept) {
    kept.delete(file);
    releaseLock(entry.held);
  }
}

/** Waits out this process's yield of `file`'s lock to a waiter, if one is on. */
export async function yieldTurn(file: string): Promise<void> {
  const until = yieldUntil.get(file);
  if (until === undefined) return;
  yieldUntil.delete(file);
  const ms = until - performance.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}
