/**
 * The lock's errors. Each carries a stable `code` (as proper-lockfile's do); recognise them by
 * `code` or `instanceof`.
 */
import { SessionKeeperError } from './errors';

/** The lock could not be had within the wait (LockOptions.maxWaitMs). code ELOCKTIMEOUT. */
export class LockTimeoutError extends SessionKeeperError {
  declare readonly code: 'ELOCKTIMEOUT';
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
    super('ELOCKTIMEOUT', `Timed out after ${waitedMs} ms waiting for the lock of ${file} (${age})`);
  }
}

/**
 * The lock was found lost while held (code ELOCKCOMPROMISED). `reason` says how; `consequence`
 * what is known of the operation's effect (default: it may have overlapped with another writer).
 * The operation that knows more (an append that completed its write, a repair that saved late
 * bytes) throws its own with a precise consequence, and withLock passes that one on.
 */
export class LockCompromisedError extends SessionKeeperError {
  declare readonly code: 'ELOCKCOMPROMISED';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
    readonly consequence: string = 'the operation may have overlapped with another writer',
  ) {
    super('ELOCKCOMPROMISED', `The lock of ${file} was compromised while held (${reason}); ${consequence}`, options);
  }
}

/**
 * Something at `X.lock` that no lock holder made (code ELOCKFOREIGN): waiting for it or
 * removing it would be wrong.
 */
export class ForeignLockPathError extends SessionKeeperError {
  declare readonly code: 'ELOCKFOREIGN';
  constructor(
    readonly file: string,
    readonly what: string,
  ) {
    super('ELOCKFOREIGN', `${file}.lock is ${what}, not a lock directory; remove it if nothing uses it, then try again`);
  }
}
