/**
 * The lock directory itself, through proper-lockfile: one synchronous attempt to make it, its
 * release, and detaching from proper-lockfile's refresh timer when it is no longer ours.
 *
 * This is the one module that reaches into proper-lockfile's internals (lib/lockfile's table of
 * held locks, lib/adapter's synchronous fs, lib/mtime-precision); the dependency is pinned and
 * test/unit/proper-lockfile-contract.test.ts states each internal used here.
 */
import { LockCompromisedError } from './lock-errors';
import type { ResolvedLockOptions } from './lock-options';

/** proper-lockfile's entry in its table of held locks (lib/lockfile's `locks`). */
export interface HeldLockState {
  mtime: Date;
  mtimePrecision: 's' | 'ms';
  lastUpdate: number;
  released?: boolean;
  updateTimeout: ReturnType<typeof setTimeout> | null;
}

// proper-lockfile's callback API and its table of held locks. The package has no `exports` map,
// so lib/lockfile is reachable; we need the table to tell whether the directory is still ours.
interface ProperLockfileLib {
  lock(
    file: string,
    options: {
      stale: number;
      update: number;
      realpath: boolean;
      retries: number;
      fs: object;
      onCompromised: (err: Error) => void;
    },
    callback: (err: (Error & { code?: string }) | null, release?: (cb: (err?: Error | null) => void) => void) => void,
  ): void;
  getLocks(): Record<string, HeldLockState | undefined>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped internal module, see above
const plLib = require('proper-lockfile/lib/lockfile') as ProperLockfileLib;
/**
 * proper-lockfile's own adapter that runs its fs calls synchronously (what lockSync uses).
 * Lock-directory operations are single metadata syscalls; doing them synchronously keeps each
 * acquisition attempt and the release inside one event-loop turn instead of two to four thread
 * pool round trips, which is most of the lock's hold time under contention. Created once:
 * proper-lockfile caches its mtime-precision probe on this object.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped internal module, see above
const plAdapter = require('proper-lockfile/lib/adapter') as { toSyncOptions(o: object): { fs: object } };
const SYNC_FS = plAdapter.toSyncOptions({}).fs;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped internal module, see above
const plMtime = require('proper-lockfile/lib/mtime-precision') as { getMtime(precision: 's' | 'ms'): Date };

/** proper-lockfile's mtime for a refresh (rounded up to the second on second-precision file systems). */
export function refreshMtime(precision: 's' | 'ms'): Date {
  return plMtime.getMtime(precision);
}

// proper-lockfile loads signal-exit, which catches SIGXFSZ and, when nobody else listens for it,
// re-raises it to kill the process. Node itself ignores SIGXFSZ, so that a write past the
// file-size limit fails with EFBIG instead. With a listener of our own, signal-exit leaves the
// signal alone and the write fails cleanly again.
if (process.platform !== 'win32') process.on('SIGXFSZ', () => undefined);

/**
 * What proper-lockfile is told the stale threshold is: never. It would remove a stale lock with
 * stat-then-rmdir, and of several processes finding the same stale lock, one could remove the
 * fresh lock another had just made: two holders. takeOverIfStale() does it under a guard instead.
 */
const PL_NEVER_STALE = Number.MAX_SAFE_INTEGER;

/** The `code` of an fs error (or any error carrying one), else undefined. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A lock directory this process made and holds (until released or found compromised). */
export interface Held {
  /** The canonical path locked; the directory is `${file}.lock`. */
  file: string;
  release: (cb: (err?: Error | null) => void) => void;
  /** proper-lockfile's table entry: the mtime it (or assertHeld) last set. */
  state: HeldLockState | undefined;
  /** Set once the lock is found lost; the reason is its message. */
  compromised: Error | null;
  /** Aborted (with a LockCompromisedError) when the lock is found lost. */
  controller: AbortController;
}

/** One attempt (synchronous, see SYNC_FS): the held lock, or null when someone else holds it. */
export function tryLockOnce(file: string, o: ResolvedLockOptions): Held | null {
  const controller = new AbortController();
  const held: Held = { file, release: () => undefined, state: undefined, compromised: null, controller };
  let outcome: Held | null = null;
  let failure: Error | null = null;
  plLib.lock(
    file,
    {
      stale: PL_NEVER_STALE,
      update: o.updateMs,
      realpath: false,
      retries: 0,
      fs: SYNC_FS,
      // Called from a timer: must never throw. Record it; withLock reports it after fn settles.
      onCompromised: (err) => {
        if (held.compromised) return;
        held.compromised = err;
        controller.abort(new LockCompromisedError(file, err.message, { cause: err }));
      },
    },
    (err, release) => {
      if (err) {
        if (err.code !== 'ELOCKED') failure = err;
        return;
      }
      held.release = release as Held['release'];
      held.state = plLib.getLocks()[file];
      outcome = held;
    },
  );
  if (failure) throw failure;
  return outcome;
}

/** Stops proper-lockfile's refresh timer without touching the directory (it is not ours any more). */
export function detach(file: string, state: HeldLockState): void {
  if (state.updateTimeout) clearTimeout(state.updateTimeout);
  state.released = true;
  const locks = plLib.getLocks();
  if (locks[file] === state) delete locks[file];
}

/** Removes the lock directory through proper-lockfile (synchronously, with SYNC_FS). */
export function releaseDir(held: Held): void {
  // Errors (e.g. the directory is already gone) only leave a stale lock behind, which the next
  // contender takes over; the operation itself already completed.
  held.release(() => undefined);
}
