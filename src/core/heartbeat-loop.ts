// The one heartbeat loop, used by the window (src/ui/window-session.ts), the CLI's `run` and the
// library's startSession: a beat every interval, never two at once, and a stop that waits for
// the beat in flight so a close that follows is the last write.

/** What a HeartbeatLoop runs, and how. */
export interface HeartbeatLoopOptions {
  /** Time between beats in ms (the session's heartbeatIntervalMs). */
  intervalMs: number;
  /** One heartbeat. A rejection goes to `onError`; the loop keeps going. */
  beat: () => Promise<void>;
  /** Failures of `beat`; default: ignored (the caller's `beat` handles its own). */
  onError?: (err: unknown) => void;
  /** Unref the timer so it never keeps the process alive (a library inside someone else's program). */
  unref?: boolean;
}

/**
 * Runs `beat` every `intervalMs` once started. A tick that comes while the previous beat still
 * runs is skipped, so a slow disk never piles beats up (each beat writes the current time, so a
 * skipped one loses nothing). The first beat comes one interval after start(): registering wrote
 * the first heartbeat.
 */
export class HeartbeatLoop {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private intervalMs: number;

  constructor(private readonly options: HeartbeatLoopOptions) {
    this.intervalMs = options.intervalMs;
  }

  /** Whether the timer runs (started and not stopped). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts (or restarts) the timer; the first beat is one interval from now. */
  start(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.beatNow(), this.intervalMs);
    if (this.options.unref) this.timer.unref();
  }

  /** A new interval (ms) that takes effect now when running; the next beat is one new interval away. */
  setInterval(intervalMs: number): void {
    if (intervalMs === this.intervalMs) return;
    this.intervalMs = intervalMs;
    if (this.running) this.start();
  }

  /** Beats now unless a beat is in flight (then resolves when that one ends). Never rejects. */
  beatNow(): Promise<void> {
    this.inFlight ??= this.options
      .beat()
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** Stops the timer and resolves once the beat in flight, if any, has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
