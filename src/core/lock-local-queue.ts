/**
 * Operations of this process waiting for the same lock queue here, in FIFO order in memory,
 * instead of polling the lock directory: cheaper, fair, and it keeps one process from "taking
 * over" its own lock. Keyed by the canonical path (lockTargetFor).
 */
import { performance } from 'node:perf_hooks';
import type { WaitBounds } from './lock-wait';

interface LocalWaiter {
  grant(): void;
  timer: ReturnType<typeof setTimeout> | null;
}
const localQueues = new Map<string, LocalWaiter[]>();

/** Paths whose lock directory an operation of this process holds now (not just waits for). */
const heldInProcess = new Set<string>();

/** Marks (true) or unmarks (false) `key` as held by an operation of this process. */
export function markHeldInProcess(key: string, held: boolean): void {
  if (held) heldInProcess.add(key);
  else heldInProcess.delete(key);
}

/**
 * Resolves true once this caller owns the path within the process, false at the deadline; or,
 * with a hard cap (default options), at the deadline only if the operation ahead of us holds the
 * lock directory (alive, in this process), else when it does or at the hard cap: it may itself
 * be waiting for a dead holder in another process. Returns plain true (no promise) when nobody
 * in this process is ahead. Every true must be paired with one releaseLocal(key).
 */
export function acquireLocal(key: string, bounds: WaitBounds): true | Promise<boolean> {
  const queue = localQueues.get(key);
  if (!queue) {
    localQueues.set(key, []);
    return true;
  }
  return new Promise<boolean>((resolve) => {
    const waiter: LocalWaiter = { grant: () => resolve(true), timer: null };
    const giveUp = (): void => {
      const i = queue.indexOf(waiter);
      if (i >= 0) queue.splice(i, 1);
      resolve(false);
    };
    const check = (): void => {
      const now = performance.now();
      if (bounds.hardCap === null || heldInProcess.has(key) || now >= bounds.hardCap) return giveUp();
      waiter.timer = setTimeout(check, Math.min(100, bounds.hardCap - now));
    };
    waiter.timer = setTimeout(check, Math.max(0, bounds.deadline - performance.now()));
    queue.push(waiter);
  });
}

/** Hands `key` to the next waiter of this process, if any. */
export function releaseLocal(key: string): void {
  const queue = localQueues.get(key);
  const next = queue?.shift();
  if (!next) {
    localQueues.delete(key);
    return;
  }
  if (next.timer) clearTimeout(next.timer);
  next.grant();
}
