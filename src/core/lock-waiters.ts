/**
 * The lock's waiting room: a waiter leaves a ticket in `X.lock-waiters/`, and whoever releases
 * the lock touches the oldest ticket, which wakes that one waiter (it watches its ticket). Without
 * it every release woke every waiter (they watched the lock directory), and on two cores those
 * wake-ups were most of the cost of contention (docs/benchmarks.md, figure 3).
 *
 * Only a hint, never the arbiter: mkdir of the lock directory still decides who holds the lock,
 * and every waiter keeps its own timer, so a lost touch (a writer that does not know the waiting
 * room, a ticket removed by hand, a network file system without change notification) costs a
 * retry delay, not correctness (a waiter whose ticket was removed joins again, lock-wait.ts).
 * Tickets of waiters that are gone are removed by the next release that comes across them.
 *
 * A ticket's name is `<epoch ms, 15 digits>-<pid>-<random>`: name order is arrival order.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, rmdirSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { errorCode } from './lock-directory';
import { isProcessAlive } from './process-info';

/** The waiting room of the lock of `file` (a canonical lock target). */
export function waitingRoomOf(file: string): string {
  return `${file}.lock-waiters`;
}

/** A waiter's ticket: the path it watches. */
export interface Ticket {
  readonly path: string;
}

/**
 * A waiter's watch on its ticket, for its whole wait: one watch per wait rather than one per
 * sleep (each costs a watch and an unwatch on the ticket), and a touch that lands between two
 * sleeps (while the waiter is trying the lock) is remembered, not lost.
 */
export class TicketWatch {
  private watcher: FSWatcher | null;
  private touched = false;
  private wake: (() => void) | null = null;

  /** Watches `ticket`. `watching` is false when that was not possible (then sleeps end by timer). */
  constructor(readonly ticket: Ticket) {
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(ticket.path, { persistent: false }, () => this.fire());
      // An error (the ticket removed, the watch lost) ends the current sleep: the waiter looks
      // again, and joins again if its ticket is gone. A watch that failed is no watch: the rest
      // of the wait watches the lock directory, as a waiter without a ticket does, instead of
      // waiting for events that will not come (libuv reports such errors on macOS, not Linux).
      watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
        this.fire();
      });
    } catch {
      // ENOENT (removed already: the waiter joins again), or the system's watch limit: timer only.
    }
    this.watcher = watcher;
  }

  get watching(): boolean {
    return this.watcher !== null;
  }

  private fire(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = null;
      wake();
    } else {
      this.touched = true;
    }
  }

  /** Sleeps up to `ms`, or less if the ticket is touched (or was since the last sleep). */
  sleep(ms: number): Promise<'change' | 'timer'> {
    if (this.touched) {
      this.touched = false;
      return Promise.resolve('change');
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve('timer');
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve('change');
      };
    });
  }

  close(): void {
    this.wake = null;
    this.watcher?.close();
  }
}

/**
 * Tickets older than this belong to waiters that died (no wait lasts this long with the default
 * options: 15 s); they are removed when a release comes across them. So are tickets dated this
 * far in the future (planted, or from a clock far off), which would otherwise never age.
 */
const ABANDONED_TICKET_MS = 10 * 60_000;

/**
 * Whether the ticket `name` was left by a waiter that is gone: unreadable, dated more than
 * ABANDONED_TICKET_MS away from `now`, or naming a process that no longer exists. The pid check
 * matters most: a waiter ended by a signal or process.exit (or SIGKILL) never removes its ticket,
 * and until it aged, every release woke that dead ticket instead of a live waiter, who then waited
 * for its timer. A pid from another pid namespace (a container sharing the folder) may look gone
 * here: removing its ticket wakes it (its watch fires) and it joins again, so nothing is lost.
 */
function isAbandoned(joined: number, pid: number, now: number): boolean {
  return Math.abs(now - joined) > ABANDONED_TICKET_MS || !isProcessAlive(pid);
}

/**
 * A ticket's name: `<epoch ms, 15 digits>-<pid>-<random>` (writers in other languages choose their
 * own random part). Anything else is not a ticket.
 */
const TICKET_NAME = /^(\d{15})-(\d{1,10})-./;

/**
 * The waiting room of `file`'s lock if it is a directory, else null. lstat, not stat: a symlink
 * planted at the room's name must not lead a waiter to write, or a release to remove and touch
 * files, in the directory it points to (a release used to delete every file there).
 */
function roomDir(file: string): string | null {
  const dir = waitingRoomOf(file);
  try {
    // No exception for the usual "nobody waits": it would cost more than the lstat.
    const st = lstatSync(dir, { throwIfNoEntry: false });
    return st?.isDirectory() ? dir : null;
  } catch {
    // ENAMETOOLONG (the room's name is 8 bytes longer than the lock's, so a file name near the
    // limit has a lock but no room), EACCES...: no room. Why not throw: a release calls this
    // after the lock is gone, so a throw reported a written record as failed, or crashed the
    // process from a kept lock's release check (lock-keep.ts).
    return null;
  }
}

/**
 * Joins the waiting room of `file`'s lock (creating it, mode 0700, if needed). Returns null when
 * that is not possible (a read-only folder...): the waiter then relies on its timer alone.
 */
export function joinWaitingRoom(file: string): Ticket | null {
  const dir = waitingRoomOf(file);
  // Something else than a directory at the room's name (a symlink, a file): do not go through it.
  // No room at all (its name too long, roomDir): the waiter relies on its timer, as documented.
  try {
    if (lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) return null;
  } catch {
    return null;
  }
  const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const ticket = path.join(dir, name);
  try {
    try {
      closeSync(openSync(ticket, 'wx', 0o600));
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      // Only when missing: a mkdir takes the parent directory's lock even when the name exists.
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (mkdirErr) {
        if (errorCode(mkdirErr) !== 'EEXIST') throw mkdirErr;
      }
      closeSync(openSync(ticket, 'wx', 0o600));
    }
    return { path: ticket };
  } catch {
    return null;
  }
}

/** Leaves the waiting room (the lock was had, or the wait given up). */
export function leaveWaitingRoom(ticket: Ticket | null): void {
  if (!ticket) return;
  try {
    unlinkSync(ticket.path);
  } catch {
    // Already removed (as abandoned, or by hand): nothing to do.
  }
}

/** The names in `dir` (a waiting room), in name order (oldest ticket first); null when unreadable. */
function tickets(dir: string): string[] | null {
  try {
    return readdirSync(dir).sort();
  } catch {
    return null;
  }
}

/**
 * After releasing `file`'s lock: wakes the longest waiter by touching its ticket, removing
 * abandoned tickets on the way, and removes the waiting room when nobody is left in it.
 * Best effort: a failure here only leaves waiters to their timers.
 */
export function wakeNextWaiter(file: string): void {
  const dir = roomDir(file);
  const names = dir === null ? null : tickets(dir);
  if (dir === null || names === null) return;
  const now = Date.now();
  for (const name of names) {
    // What is not a ticket was not put there by a waiter: neither touched nor removed.
    const parts = TICKET_NAME.exec(name);
    if (!parts) continue;
    const ticket = path.join(dir, name);
    try {
      if (isAbandoned(Number(parts[1]), Number(parts[2]), now)) {
        unlinkSync(ticket);
        continue;
      }
      const at = new Date(now);
      // lutimes: a symlink planted as a ticket is touched itself, not the file it points to.
      lutimesSync(ticket, at, at);
      return;
    } catch {
      // Left meanwhile (it got the lock or gave up): try the next one.
    }
  }
  try {
    // Not recursive: fails, harmlessly, when a waiter joined meanwhile.
    rmdirSync(dir);
  } catch {
    // ENOTEMPTY or gone already.
  }
}
