// The errors of the session registry (all SessionKeeperErrors with a stable code; see
// docs/library.md, "Error codes"). Re-exported by session-store.ts.
import { SessionKeeperError } from '../errors';
import { InvalidRecordError } from '../session-record';

/** No record (live, or archived where that matters) of session `id`. Code `ESESSIONNOTFOUND`. */
export class SessionNotFoundError extends SessionKeeperError {
  constructor(readonly id: string, dir: string) {
    super('ESESSIONNOTFOUND', `no session ${id} in ${dir}`);
  }
}

/** The session is closed: its owner may no longer heartbeat or update it. Code `ESESSIONCLOSED`. */
export class SessionClosedError extends SessionKeeperError {
  constructor(readonly id: string) {
    super('ESESSIONCLOSED', `session ${id} is closed`);
  }
}

/** The sessions directory is not safe to act on: others could plant records and symlinks there. Code `EUNSAFEDIR`. */
export class UnsafeDirectoryError extends SessionKeeperError {
  constructor(message: string) {
    super('EUNSAFEDIR', message);
  }
}

/** create() was given a pid that is not running on this host. Code `EPROCESSNOTRUNNING`. */
export class ProcessNotRunningError extends SessionKeeperError {
  constructor(readonly pid: number) {
    super('EPROCESSNOTRUNNING', `process ${pid} is not running on this host`);
  }
}

/** The archive day `day` is not a `YYYY-MM-DD` folder name. Code `EINVALIDDAY`. */
export class InvalidArchiveDayError extends SessionKeeperError {
  constructor(readonly day: unknown) {
    super('EINVALIDDAY', `invalid archive day ${JSON.stringify(day)}: expected YYYY-MM-DD (UTC)`);
  }
}

/** Why a record file was rejected, with the problem kind list() reports (internal). */
export class RecordLoadError extends InvalidRecordError {
  constructor(
    readonly kind: 'invalid-json' | 'invalid-record' | 'id-mismatch',
    message: string,
  ) {
    super(message);
  }
}
