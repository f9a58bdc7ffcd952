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
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, rmdirSync, unlinkSync, utimesSync } from 'node:fs';
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
function isAbandoned(name: string, now: number): boolean {
  const [joinedText, pidText] = name.split('-');
  const joined = Number(joinedText);
  if (!Number.isFinite(joined) || Math.abs(now - joined) > ABANDONED_TICKET_MS) return true;
  const pid = Number(pidText);
  return !Number.isInteger(pid) || !isProcessAlive(pid);
}

/**
 * Joins the waiting room of `file`'s lock (creating it, mode 0700, if needed). Returns null when
 * that is not possible (a read-only folder...): the waiter then relies on its timer alone.
 */
export function joinWaitingRoom(file: string): Ticket | null {
  const dir = waitingRoomOf(file);
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

/** The tickets waiting for `file`'s lock, oldest first; [] when there is no waiting room. */
function tickets(file: string): string[] | null {
  const dir = waitingRoomOf(file);
  // No exception for the usual "nobody waits": it would cost more than the lstat.
  if (!lstatSync(dir, { throwIfNoEntry: false })) return null;
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
  const names = tickets(file);
  if (names === null) return;
  const dir = waitingRoomOf(file);
  const now = Date.now();
  for (const name of names) {
    const ticket = path.join(dir, name);
    try {
      if (isAbandoned(name, now)) {
        unlinkSync(ticket);
        continue;
      }
      const at = new Date(now);
      utimesSync(ticket, at, at);
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
