/**
 * Cross-process exclusive lock of a file path, built on proper-lockfile's mkdir lock.
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
 */
import { lstatSync, mkdirSync, promises as fsp, rmdirSync, statSync, utimesSync, watch, type FSWatcher } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { lockTargetFor } from './lock-target';

export { lockTargetFor } from './lock-target';

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
/**
 * What proper-lockfile is told the stale threshold is: never. It would remove a stale lock with
 * stat-then-rmdir, and of several processes finding the same stale lock, one could remove the
 * fresh lock another had just made: two holders. takeOverIfStale() does it under a guard instead.
 */
const PL_NEVER_STALE = Number.MAX_SAFE_INTEGER;
/** proper-lockfile refuses refresh intervals below this. */
const MIN_UPDATE_MS = 1000;

export class LockTimeoutError extends Error {
  readonly code = 'ELOCKTIMEOUT';
  constructor(
    readonly file: string,
    /** Time since the holder last refreshed the lock directory, or null if it vanished meanwhile. */
    readonly lockAgeMs: number | null,
    readonly waitedMs: number,
    heldInProcess: boolean,
  ) {
    const holder = heldInProcess ? 'another operation in this process' : 'another process';
    const age =
      lockAgeMs === null
        ? 'the lock directory was gone when we gave up'
        : `held by ${holder}, lock ${file}.lock last refreshed ${lockAgeMs} ms ago`;
    super(`Timed out after ${waitedMs} ms waiting for the lock of ${file} (${age})`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * The lock was found lost while held. `reason` says how; `consequence` what is known of the
 * operation's effect (default: it may have overlapped with another writer). The operation that
 * knows more (an append that completed its write, a repair that saved late bytes) throws its own
 * with a precise consequence, and withLock passes that one on.
 */
export class LockCompromisedError extends Error {
  readonly code = 'ELOCKCOMPROMISED';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
    readonly consequence: string = 'the operation may have overlapped with another writer',
  ) {
    super(`The lock of ${file} was compromised while held (${reason}); ${consequence}`, options);
    this.name = 'LockCompromisedError';
  }
}

interface ResolvedLockOptions {
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

// proper-lockfile's callback API and its table of held locks. The package has no `exports` map,
// so lib/lockfile is reachable; we need the table to tell whether the directory is still ours.
interface HeldLockState {
  mtime: Date;
  mtimePrecision: 's' | 'ms';
  lastUpdate: number;
  released?: boolean;
  updateTimeout: ReturnType<typeof setTimeout> | null;
}
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
/** proper-lockfile's mtime for a refresh (rounded up to the second on second-precision file systems). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped internal module, see above
const plMtime = require('proper-lockfile/lib/mtime-precision') as { getMtime(precision: 's' | 'ms'): Date };

// proper-lockfile loads signal-exit, which catches SIGXFSZ and, when nobody else listens for it,
// re-raises it to kill the process. Node itself ignores SIGXFSZ, so that a write past the
// file-size limit fails with EFBIG instead. With a listener of our own, signal-exit leaves the
// signal alone and the write fails cleanly again.
if (process.platform !== 'win32') process.on('SIGXFSZ', () => undefined);

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Milliseconds since the lock directory was last refreshed, or null if it does not exist. */
export async function lockAgeMs(target: string): Promise<number | null> {
  try {
    const st = await fsp.stat(`${lockTargetFor(target)}.lock`);
    // proper-lockfile may set an mtime slightly in the future (second-precision probing).
    return Math.max(0, Math.round(Date.now() - st.mtimeMs));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** In-memory FIFO of operations in this process waiting for the same path. */
interface LocalWaiter {
  grant(): void;
  timer: ReturnType<typeof setTimeout> | null;
}
const localQueues = new Map<string, LocalWaiter[]>();

/** Paths whose lock directory an operation of this process holds now (not just waits for). */
const heldInProcess = new Set<string>();

/**
 * Resolves true once this caller owns the path within the process, false at the deadline; or,
 * with a hard cap (default options), at the deadline only if the operation ahead of us holds the
 * lock directory (alive, in this process), else when it does or at the hard cap: it may itself
 * be waiting for a dead holder in another process.
 */
function acquireLocal(key: string, bounds: WaitBounds): true | Promise<boolean> {
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

function releaseLocal(key: string): void {
  const queue = localQueues.get(key);
  const next = queue?.shift();
  if (!next) {
    localQueues.delete(key);
    return;
  }
  if (next.timer) clearTimeout(next.timer);
  next.grant();
}

interface Held {
  file: string;
  release: (cb: (err?: Error | null) => void) => void;
  state: HeldLockState | undefined;
  compromised: Error | null;
  controller: AbortController;
}

/** One attempt (synchronous, see SYNC_FS): the held lock, or null when someone else holds it. */
function tryLockOnce(file: string, o: ResolvedLockOptions): Held | null {
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

/**
 * Sleeps up to `ms`, waking early when the lock directory changes or goes away. Without the
 * wake-up, a holder that releases and immediately re-acquires (an append loop) wins nearly every
 * time against waiters asleep in backoff, and their waits grow long. The timer stays the
 * fallback (stale takeover, file systems without change notification).
 */
function waitForChange(lockDir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const done = (): void => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, ms);
    // On Windows an open watch handle can keep the holder from removing the directory.
    if (process.platform === 'win32') return;
    try {
      watcher = watch(lockDir, { persistent: false }, done);
      watcher.on('error', done);
    } catch (err) {
      // ENOENT: released between our attempt and now, so retry at once. Anything else (e.g. the
      // system's watch limit is reached): just sleep.
      if (errorCode(err) === 'ENOENT') done();
    }
  });
}

/** True when `dir` exists and was last refreshed more than `staleMs` ago. */
function isStale(dir: string, staleMs: number): boolean {
  try {
    return statSync(dir).mtimeMs < Date.now() - staleMs;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}

function rmdirIfPresent(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

/**
 * Removes the lock directory of `file` if it is stale (its holder died or stalled), so that the
 * next attempt can take the lock. Several processes may find the same stale lock at once; only
 * the one that creates the guard directory `file.lock.takeover` (mkdir is atomic) may remove it,
 * and it checks again under the guard, where nobody else removes locks: still stale means still
 * the abandoned one, never a fresh lock that another process made in its place. A guard left by a
 * process killed in the few syscalls it holds it is itself removed once stale. Synchronous, like
 * the lock attempts (see SYNC_FS). Returns true when it removed a stale lock.
 */
function takeOverIfStale(file: string, staleMs: number): boolean {
  const lockDir = `${file}.lock`;
  const guard = `${lockDir}.takeover`;
  if (!isStale(lockDir, staleMs)) return false;
  try {
    mkdirSync(guard);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    if (isStale(guard, staleMs)) rmdirIfPresent(guard);
    return false;
  }
  try {
    if (!isStale(lockDir, staleMs)) return false;
    rmdirIfPresent(lockDir);
    return true;
  } finally {
    rmdirIfPresent(guard);
  }
}

/**
 * The end of a wait: `deadline` (performance.now() time) is when the wait would normally end;
 * `hardCap`, when set (default options), how long it may go on past it while the holder shows
 * no sign of life (see pastDeadline).
 */
interface WaitBounds {
  startedAt: number;
  deadline: number;
  hardCap: number | null;
}

/** The lock directory as last seen past the deadline: which one, and its mtime then. */
interface Watched {
  ino: number;
  mtimeMs: number;
}

/**
 * Past the deadline of a wait with the default options: may it go on? A holder that died
 * leaves a lock that nobody refreshes, which can be taken over only staleMs after its LAST
 * refresh; that can be up to staleMs (+ mtime rounding) after the deadline, if it refreshed just
 * before dying. So the wait goes on until the lock is seen REFRESHED (the same lock directory,
 * a new mtime: a live holder, and then we give up), or can be taken over, bounded by the hard
 * cap. A new lock directory (the lock changed hands) is watched afresh. Returns the watched state
 * to go on with, or null to give up.
 */
function pastDeadline(file: string, bounds: WaitBounds, watched: Watched | null): { watched: Watched | null } | null {
  if (bounds.hardCap === null || performance.now() >= bounds.hardCap) return null;
  let st: { ino: number; mtimeMs: number };
  try {
    st = statSync(`${file}.lock`);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { watched: null }; // released: try again
    throw err;
  }
  if (watched && watched.ino === st.ino && watched.mtimeMs !== st.mtimeMs) return null; // refreshed: live
  return { watched: watched && watched.ino === st.ino ? watched : { ino: st.ino, mtimeMs: st.mtimeMs } };
}

/** Something at `X.lock` that no lock holder made: waiting for it or removing it would be wrong. */
export class ForeignLockPathError extends Error {
  readonly code = 'ELOCKFOREIGN';
  constructor(
    readonly file: string,
    readonly what: string,
  ) {
    super(`${file}.lock is ${what}, not a lock directory; remove it if nothing uses it, then try again`);
    this.name = 'ForeignLockPathError';
  }
}

/** Throws ForeignLockPathError when `file.lock` exists and is not a plain directory. */
function checkLockPath(file: string): void {
  let st;
  try {
    st = lstatSync(`${file}.lock`);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  if (st.isDirectory()) return;
  if (st.isSymbolicLink()) {
    let target = 'dangling';
    try {
      target = statSync(`${file}.lock`).isDirectory() ? 'to a directory' : 'to a file';
    } catch {
      // dangling
    }
    throw new ForeignLockPathError(file, `a symbolic link (${target})`);
  }
  throw new ForeignLockPathError(file, st.isFile() ? 'a regular file' : 'not a directory');
}

function attempt(file: string, o: ResolvedLockOptions, first: boolean): Held | null {
  let held: Held | null;
  try {
    held = tryLockOnce(file, o);
  } catch (err) {
    checkLockPath(file); // a clearer error than ENOTDIR/ELOOP from beneath
    throw err;
  }
  // Busy: the first time, make sure it is a lock at all (cheap, once per wait).
  if (!held && first) checkLockPath(file);
  return held;
}

async function acquireFileLock(file: string, o: ResolvedLockOptions, bounds: WaitBounds): Promise<Held> {
  let delay = Math.max(o.minDelayMs, 0.5);
  let watched: Watched | null = null;
  for (let first = true; ; first = false) {
    const held = attempt(file, o, first);
    if (held) return held;
    // Stale (holder gone): remove it and try again at once.
    if (takeOverIfStale(file, o.staleMs)) continue;
    const now = performance.now();
    let remaining = bounds.deadline - now;
    if (remaining <= 0) {
      const verdict = pastDeadline(file, bounds, watched);
      if (verdict === null) throw new LockTimeoutError(file, await lockAgeMs(file), Math.round(now - bounds.startedAt), false);
      watched = verdict.watched;
      remaining = (bounds.hardCap ?? now) - now;
    }
    // "Equal jitter": half fixed, half random, so contenders spread out but never spin.
    const jittered = delay / 2 + (Math.random() * delay) / 2;
    await waitForChange(`${file}.lock`, Math.min(remaining, jittered));
    delay = Math.min(o.maxDelayMs, delay * 2);
  }
}

/** Stops proper-lockfile's refresh timer without touching the directory (it is not ours any more). */
function detach(file: string, state: HeldLockState): void {
  if (state.updateTimeout) clearTimeout(state.updateTimeout);
  state.released = true;
  const locks = plLib.getLocks();
  if (locks[file] === state) delete locks[file];
}

function releaseDir(held: Held): void {
  // Synchronous with SYNC_FS. Errors (e.g. the directory is already gone) only leave a stale lock
  // behind, which the next contender takes over; the operation itself already completed.
  held.release(() => undefined);
}

const REMOVED = 'the lock directory was removed while the lock was held';
const TAKEN_OVER = 'the lock was held past its stale threshold and taken over by another process';

/**
 * Checks that the lock directory is still the one we hold, then removes it; both synchronously,
 * so nothing runs in between. Returns the reason when the lock turned out to be compromised
 * (and then leaves the directory alone).
 */
function verifyAndRelease(held: Held): string | null {
  const { state, file } = held;
  if (held.compromised) return held.compromised.message;
  if (!state) {
    releaseDir(held);
    return null;
  }
  let mtime: number;
  try {
    mtime = statSync(`${file}.lock`).mtime.getTime();
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') {
      // Cannot verify (e.g. permissions changed): release as proper-lockfile would.
      releaseDir(held);
      return null;
    }
    detach(file, state);
    return REMOVED;
  }
  // proper-lockfile refreshes synchronously too (SYNC_FS), so state.mtime is never stale here.
  if (mtime !== state.mtime.getTime()) {
    detach(file, state);
    return TAKEN_OVER;
  }
  releaseDir(held);
  return null;
}

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

/**
 * A renewal leaves at least this much of the stale threshold unused: a contender that judged the
 * lock stale a moment before our check could otherwise remove it between our stat and utimes.
 */
function renewMarginMs(staleMs: number): number {
  return Math.min(1000, staleMs / 10);
}

function loseLock(held: Held, reason: string): never {
  if (!held.compromised) {
    held.compromised = new Error(reason);
    if (held.state) detach(held.file, held.state);
    held.controller.abort(new LockCompromisedError(held.file, reason));
  }
  throw new LockCompromisedError(held.file, held.compromised.message);
}

function assertHeld(held: Held, o: ResolvedLockOptions): void {
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
  const mtime = plMtime.getMtime(state.mtimePrecision);
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
): Promise<T> {
  const o = resolveLockOptions(options);
  const file = lockTargetFor(target, { followLink: options?.followLink ?? true });
  const startedAt = performance.now();
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

  try {
    const held = await acquireFileLock(file, o, bounds);
    heldInProcess.add(file);
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
    heldInProcess.delete(file);
    const reason = verifyAndRelease(held);
    if (reason !== null) {
      // fn's own report of the loss says more about what happened to the operation.
      if (!outcome.ok && outcome.error instanceof LockCompromisedError) throw outcome.error;
      throw new LockCompromisedError(file, reason, outcome.ok ? undefined : { cause: outcome.error });
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  } finally {
    heldInProcess.delete(file);
    releaseLocal(file);
  }
}
