// This window as a session in the registry. No vscode import (the window's identity is read by
// window-identity.ts and passed in): unit-tested under Node with a real store.
import type { RecordTimingUpdate, SessionStore } from '../core/session-store';
import { SessionClosedError, SessionNotFoundError } from '../core/session-store';
import { HeartbeatLoop } from '../core/heartbeat-loop';
import { oneLine } from '../core/one-line';
import { describeError, type Log } from './log';
import type { WindowIdentity } from './window-identity';

type Store = Pick<SessionStore, 'create' | 'heartbeat' | 'close'>;

/**
 * This window as a session: registers it, heartbeats on an interval, closes it. Nothing here
 * throws into VS Code: failures go to the log (once per streak, not once per heartbeat) and
 * the next heartbeat tries again — the store re-registers a record that went missing.
 */
export class WindowSession {
  private id: string | undefined;
  private registering: Promise<void> | null = null;
  private readonly heartbeats: HeartbeatLoop;
  private beating = false;
  private failing = false;
  private stopped = false;

  constructor(
    private store: Store,
    private dir: string,
    private intervalMs: number,
    private readonly identity: () => WindowIdentity,
    private readonly log: Log,
    private readonly onChange: () => void,
    /** This window's thresholds from the settings, written into its record at every heartbeat so a change applies at once. */
    private readonly thresholds: () => Pick<RecordTimingUpdate, 'unresponsiveAfterMs' | 'expireAfterMs'> = () => ({}),
  ) {
    this.heartbeats = new HeartbeatLoop({ intervalMs, beat: () => this.beat() });
  }

  get sessionId(): string | undefined {
    return this.id;
  }

  /** Registers (once) and starts heartbeating. Resolves when registration finished or failed. */
  start(): Promise<void> {
    this.stopped = false;
    this.registering ??= this.register();
    return this.registering;
  }

  private async register(): Promise<void> {
    const who = this.identity();
    try {
      const record = await this.store.create(who);
      this.id = record.id;
      this.log.info(`Registered this window as session ${record.id} ("${oneLine(who.label)}", pid ${who.pid}) in ${this.dir}`);
      this.onChange();
    } catch (err) {
      this.log.error(`Could not register this window in ${this.dir}: ${describeError(err)}; will retry with the next heartbeat`);
    }
    if (!this.stopped) this.heartbeats.start();
  }

  /** One heartbeat; skipped while the previous one still runs (a slow disk must not pile them up). */
  async beat(): Promise<void> {
    if (this.beating || this.stopped) return;
    this.beating = true;
    try {
      if (!this.id) {
        const record = await this.store.create(this.identity());
        this.id = record.id;
        this.log.info(`Registered this window as session ${record.id} in ${this.dir}`);
        this.onChange();
      } else {
        try {
          await this.store.heartbeat(this.id, { heartbeatIntervalMs: this.intervalMs, ...this.thresholds() });
        } catch (err) {
          // Someone closed our record (a CLI `close`, a clean-up that raced us) or it vanished
          // without an archived copy: this window is still open, so it registers again.
          if (!(err instanceof SessionClosedError || err instanceof SessionNotFoundError)) throw err;
          const old = this.id;
          const record = await this.store.create(this.identity());
          this.id = record.id;
          this.log.warn(`Session ${old} was closed or removed by someone else; registered again as ${record.id}`);
          this.onChange();
        }
      }
      if (this.failing) this.log.info(`Heartbeat of session ${this.id} works again`);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn(`Heartbeat of session ${this.id ?? '(unregistered)'} failed: ${describeError(err)}; retrying every ${this.intervalMs / 1000} s`);
      this.failing = true;
    } finally {
      this.beating = false;
    }
  }

  /** Same folder, new store options (settings changed). */
  setStore(store: Store): void {
    this.store = store;
  }

  /** A new interval takes effect now, without re-registering. */
  setInterval(intervalMs: number): void {
    if (intervalMs === this.intervalMs) return;
    this.intervalMs = intervalMs;
    this.heartbeats.setInterval(intervalMs);
  }

  /** Stops heartbeating and marks the session closed. The returned promise is what deactivate waits for. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.heartbeats.stop();
    await this.registering;
    const id = this.id;
    if (!id) return;
    try {
      await this.store.close(id);
      this.log.info(`Closed session ${id}`);
    } catch (err) {
      this.log.error(`Could not close session ${id}: ${describeError(err)}`);
    }
  }

  /** Moves this window to another sessions folder: closes the old record, registers anew. */
  async moveTo(store: Store, dir: string): Promise<void> {
    await this.stop();
    this.store = store;
    this.dir = dir;
    this.id = undefined;
    this.registering = null;
    this.failing = false;
    await this.start();
  }
}
