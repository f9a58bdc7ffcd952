/**
 * The lock's options: their defaults, the clamping proper-lockfile applies, and the waits that
 * follow from them. Pure arithmetic; no file system.
 */

export interface LockOptions {
  /** A lock not refreshed for this long is stale and may be taken over. Min 2000 (proper-lockfile). */
  staleMs?: number;
  /** How often the holder refreshes its lock's mtime. Clamped to [1000, staleMs / 2]. */
  updateMs?: number;
  /** First retry delay when the lock is busy. */
  minDelayMs?: number;
  /** Cap of one retry delay. */
  maxDelayMs?: number;
  /**
   * Total time to wait for the lock before LockTimeoutError. 0 means one attempt. Default:
   * `staleMs + MTIME_ROUNDING_MS + TAKEOVER_MARGIN_MS` (15 000 for the default 10 s stale), so
   * that a holder that dies never makes a waiter give up before its lock can be taken over.
   */
  maxWaitMs?: number;
  /**
   * Whether the lock of a symlink is the lock of the file it points to (default true, as open(2)
   * follows it). False for operations on the name itself that never follow a link there; see
   * lockTargetFor.
   */
  followLink?: boolean;
}

export const LOCK_DEFAULTS = {
  staleMs: 10_000,
  minDelayMs: 1,
  maxDelayMs: 50,
} as const;

/**
 * How far into the future a fresh lock's mtime can be: proper-lockfile probes the file system's
 * mtime precision by setting it to the next whole second (+5 ms), so a lock taken at t is stale
 * only from up to t + 1.005 s + staleMs.
 */
export const MTIME_ROUNDING_MS = 1000;
/**
 * Extra wait beyond the earliest takeover of a dead holder's lock: covers a holder that dies a
 * few seconds into its hold (or just after a refresh), the waiters' backoff and a loaded machine.
 */
export const TAKEOVER_MARGIN_MS = 4000;

/** The default total wait for a given stale threshold (see LockOptions.maxWaitMs). */
export function defaultMaxWaitMs(staleMs: number): number {
  return staleMs + MTIME_ROUNDING_MS + TAKEOVER_MARGIN_MS;
}

/**
 * How long past its deadline a wait with the default options may go on while the holder shows
 * no sign of life: a holder that refreshed right at the deadline and died can be taken over
 * staleMs (+ mtime rounding) later; the margin covers the contention after the takeover.
 */
export function deadHolderExtraMs(o: { staleMs: number }): number {
  return o.staleMs + MTIME_ROUNDING_MS + TAKEOVER_MARGIN_MS;
}

/** proper-lockfile refuses stale thresholds below this. */
const MIN_STALE_MS = 2000;
/** proper-lockfile refuses refresh intervals below this. */
const MIN_UPDATE_MS = 1000;

/** LockOptions with every default filled in and clamped (all in ms). */
export interface ResolvedLockOptions {
  staleMs: number;
  updateMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  maxWaitMs: number;
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`Lock option ${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
}

/**
 * Fills in defaults and applies proper-lockfile's own clamping, so our checks use the real values.
 * Throws RangeError for a negative or non-finite option.
 */
export function resolveLockOptions(options: LockOptions = {}): ResolvedLockOptions {
  checkNumber('staleMs', options.staleMs, 0);
  checkNumber('updateMs', options.updateMs, 0);
  checkNumber('minDelayMs', options.minDelayMs, 0);
  checkNumber('maxDelayMs', options.maxDelayMs, 0);
  checkNumber('maxWaitMs', options.maxWaitMs, 0);
  const staleMs = Math.max(options.staleMs ?? LOCK_DEFAULTS.staleMs, MIN_STALE_MS);
  const updateMs = Math.max(Math.min(options.updateMs ?? staleMs / 2, staleMs / 2), MIN_UPDATE_MS);
  const minDelayMs = options.minDelayMs ?? LOCK_DEFAULTS.minDelayMs;
  const maxDelayMs = Math.max(options.maxDelayMs ?? LOCK_DEFAULTS.maxDelayMs, minDelayMs);
  const maxWaitMs = options.maxWaitMs ?? defaultMaxWaitMs(staleMs);
  return { staleMs, updateMs, minDelayMs, maxDelayMs, maxWaitMs };
}
