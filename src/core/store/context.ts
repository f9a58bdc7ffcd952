// What every part of the registry shares about one sessions directory: where it is, whose clock
// and host it judges by, the records this process owns, and how it reports and journals.
import * as os from 'node:os';
import type { LockOptions } from '../lock';
import { dirAsOpened } from '../lock-target';
import { journalPath } from '../paths';
import { currentPidSpace, ProcessProbe, type PidSpace } from '../process-info';
import { appendSessionEvent, sessionEvent, type SessionEventName } from '../session-journal';
import type { SessionRecord } from '../session-record';
import type { StoreOptions } from './types';

export class StoreContext {
  readonly dir: string;
  readonly hostname: string;
  readonly now: () => number;
  readonly pidSpace: PidSpace;
  /** Records this store created or heartbeated: what to re-register from if the file vanishes. */
  readonly known = new Map<string, SessionRecord>();

  constructor(
    dir: string,
    readonly options: StoreOptions,
  ) {
    // Once, as open(2) resolves it: `link/../sessions` is where the link's parent is, the same
    // directory an append to `link/../sessions/ID.jsonl` reaches.
    this.dir = dirAsOpened(dir);
    this.hostname = options.hostname ?? (process.env.SESSION_KEEPER_HOSTNAME || os.hostname());
    this.now = options.now ?? Date.now;
    this.pidSpace = options.pidSpace ?? currentPidSpace();
  }

  /** Lock options for a record or journal: never through a symlink planted in the directory. */
  get lock(): LockOptions & { followLink: false } {
    return { ...this.options.lock, followLink: false };
  }

  /** Passes a failure of background or per-session work to onError; never throws. */
  report(err: unknown, context: string): void {
    try {
      this.options.onError?.(err, context);
    } catch {
      // A failing error callback must not turn background work into an unhandled rejection.
    }
  }

  /**
   * Appends a lifecycle event. The record is the source of truth and the journal a history, so
   * a failed append is reported through onError and never fails the operation.
   */
  async journal(id: string, event: SessionEventName, at: number, reason?: string, onlyIfExists = false): Promise<void> {
    try {
      await appendSessionEvent(journalPath(this.dir, id), sessionEvent(event, id, at, this.hostname, reason), {
        lock: this.options.lock,
        onlyIfExists,
      });
    } catch (err) {
      this.report(err, `journal of session ${id}: '${event}' event`);
    }
  }

  probe(): ProcessProbe {
    return new ProcessProbe(this.options.startTimeMethod ? { method: this.options.startTimeMethod } : {});
  }

  /** This machine's boot time (epoch ms) on the store's clock: now − uptime (uptime counts suspend on Linux). */
  bootTimeMs(now: number): number | null {
    if (this.options.bootTimeMs !== undefined) return this.options.bootTimeMs;
    const uptime = os.uptime();
    return Number.isFinite(uptime) && uptime > 0 ? now - uptime * 1000 : null;
  }
}
