/**
 * Waiting for a lock directory another process holds: attempts with exponential backoff and
 * jitter, woken early when the lock directory changes, stale takeover between attempts, and the
 * end of the wait (the deadline, and past it with the default options, the hard cap while the
 * holder shows no sign of life).
 */
import { existsSync, lstatSync, statSync, watch, type FSWatcher } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { errorCode, tryLockOnce, type Held } from './lock-directory';
import { LockTimeoutError } from './lock-errors';
import type { ResolvedLockOptions } from './lock-options';
import { checkLockPath, lockAgeMs, takeOverIfStale } from './lock-stale';
import type { LockPhaseRecord } from './lock-timings';
import { joinWaitingRoom, leaveWaitingRoom, TicketWatch, type Ticket } from './lock-waiters';

/**
 * The end of a wait, in performance.now() milliseconds: `deadline` is when the wait would
 * normally end; `hardCap`, when set (default options), how long it may go on past it while the
 * holder shows no sign of life (see pastDeadline).
 */
export interface WaitBounds {
  startedAt: number;
  deadline: number;
  hardCap: number | null;
}

/**
 * Sleeps up to `ms`, waking early when the lock directory changes or goes away: for a waiter
 * without a ticket (the room could not be joined). The timer stays the fallback (stale takeover,
 * file systems without change notification). A new watch each time: the lock directory is a new
 * one after every handoff.
 */
function waitForLockDirChange(lockDir: string, ms: number): Promise<'change' | 'timer'> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const done = (): void => {
      clearTimeout(timer);
      watcher?.close();
      resolve('change');
    };
    const timer = setTimeout(() => {
      watcher?.close();
      resolve('timer');
    }, ms);
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

/**
 * Whether the lock directory is there now, and its mtime: an lstat, a path lookup that takes no
 * directory lock. Only a hint: mkdir stays the arbiter. Throws ForeignLockPathError when what is
 * there is not a directory (waiting for it would be waiting forever).
 */
function peekLockDir(file: string): { mtimeMs: number } | null {
  const st = lstatSync(`${file}.lock`, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isDirectory()) checkLockPath(file);
  return st;
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

/**
 * Takes the lock directory of `file` (a canonical path), waiting within `bounds`. Rejects with
 * LockTimeoutError at the end of the wait, ForeignLockPathError when `file.lock` is not a lock
 * directory, and with the fs error of an attempt that failed for another reason than "busy".
 * While it waits it has a ticket in the lock's waiting room (lock-waiters.ts), removed at the end.
 */
export async function acquireFileLock(
  file: string,
  o: ResolvedLockOptions,
  bounds: WaitBounds,
  timings: LockPhaseRecord | null = null,
): Promise<Held> {
  const room: WaitingRoomPlace = { joined: false, ticket: null, watch: null };
  try {
    return await waitForLock(file, o, bounds, timings, room);
  } finally {
    room.watch?.close();
    leaveWaitingRoom(room.ticket);
  }
}

/** A waiter's place in the waiting room: joined once, at its first busy attempt. */
interface WaitingRoomPlace {
  joined: boolean;
  /** Null when not joined, or when the room could not be joined (then the timer alone wakes). */
  ticket: Ticket | null;
  /** The watch on the ticket, for the whole wait (null without a ticket, or on Windows). */
  watch: TicketWatch | null;
}

/** Joins (or joins again) the waiting room of `file` and watches the new ticket. */
function takeTicket(file: string, room: WaitingRoomPlace): void {
  room.watch?.close();
  // Not from a worker thread: Worker.terminate() ends a thread without running its finally
  // blocks, so its ticket stayed, and with its pid alive no release saw it as abandoned: each one
  // woke that ticket instead of a live waiter, for ABANDONED_TICKET_MS. Such a waiter watches the
  // lock directory instead, as one without a ticket does.
  room.ticket = isMainThread ? joinWaitingRoom(file) : null;
  // On Windows an open watch handle can keep a directory from being removed: timer only there.
  room.watch = room.ticket && process.platform !== 'win32' ? new TicketWatch(room.ticket) : null;
}

async function waitForLock(
  file: string,
  o: ResolvedLockOptions,
  bounds: WaitBounds,
  timings: LockPhaseRecord | null,
  room: WaitingRoomPlace,
): Promise<Held> {
  let delay = Math.max(o.minDelayMs, 0.5);
  let watched: Watched | null = null;
  for (let first = true; ; first = false) {
    let t = timings ? performance.now() : 0;
    // Look before the mkdir ("test and test-and-set"): mkdir takes the parent directory's lock
    // even when the name exists, so contenders that mkdir a busy lock queue there behind the
    // holder's own mkdir and rmdir. An lstat takes no such lock (and, without an exception for
    // "not there", costs less than the mkdir), and a busy lock's mtime is what the stale check
    // needs anyway.
    const seen = peekLockDir(file);
    const held = seen ? null : attempt(file, o, first);
    if (timings) {
      if (seen) timings.peeks++;
      else timings.attempts++;
      timings.attemptMs += performance.now() - t;
    }
    if (held) return held;
    if (!room.joined) {
      room.joined = true;
      // Watched from here on: a release between now and the first sleep is not missed.
      takeTicket(file, room);
      // Look again at once: a release just before the ticket existed woke nobody.
      continue;
    }
    t = timings ? performance.now() : 0;
    // Stale (holder gone): remove it and try again at once. A fresh peek says it is not.
    const tookOver = seen && seen.mtimeMs >= Date.now() - o.staleMs ? false : takeOverIfStale(file, o.staleMs);
    if (timings) {
      timings.staleChecks++;
      timings.staleCheckMs += performance.now() - t;
    }
    if (tookOver) continue;
    const now = performance.now();
    let remaining = bounds.deadline - now;
    if (remaining <= 0) {
      const verdict = pastDeadline(file, bounds, watched);
      if (verdict === null) throw new LockTimeoutError(file, await lockAgeMs(file), Math.round(now - bounds.startedAt), false);
      watched = verdict.watched;
      remaining = (bounds.hardCap ?? now) - now;
    }
    // A ticket removed meanwhile (by hand, or as abandoned): join again. Watching the missing
    // ticket would fail with ENOENT, which means "retry at once", and the waiter would spin.
    if (room.ticket && !existsSync(room.ticket.path)) takeTicket(file, room);
    // "Equal jitter": half fixed, half random, so contenders spread out but never spin.
    const jittered = delay / 2 + (Math.random() * delay) / 2;
    t = timings ? performance.now() : 0;
    const sleepMs = Math.min(remaining, jittered);
    const woken = room.watch?.watching ? await room.watch.sleep(sleepMs) : await waitForLockDirChange(`${file}.lock`, sleepMs);
    if (timings) {
      timings.sleepMs += performance.now() - t;
      if (woken === 'change') timings.wakesByChange++;
      else timings.wakesByTimer++;
    }
    delay = Math.min(o.maxDelayMs, delay * 2);
  }
}
