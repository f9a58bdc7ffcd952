import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type * as vscode from 'vscode';
import type { Log } from './log';

export interface RefreshTimings {
  /** Quiet time after the last file event before reloading: a heartbeat touches several files. */
  debounceMs: number;
  /**
   * The longest a change waits while events keep coming: with many sessions heartbeating, the
   * events never pause for debounceMs, and a new session would wait for the timer instead.
   */
  maxWaitMs: number;
  /** Reload period while the view is visible, so ages and liveness changes show. */
  visibleIntervalMs: number;
  /** Reload period while hidden: only the status bar needs it, and staleness has no file event. */
  hiddenIntervalMs: number;
}

export const DEFAULT_TIMINGS: RefreshTimings = { debounceMs: 300, maxWaitMs: 1000, visibleIntervalMs: 5000, hiddenIntervalMs: 15000 };

/**
 * Decides when the sessions listing is read again: file events in the watched folders (debounced;
 * only while the view is visible), a light timer, and explicit requests. A folder that does not
 * exist yet, or whose watch breaks, is watched again on a later tick; nothing here throws.
 */
export class TreeRefresher implements vscode.Disposable {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private dirs: string[] = [];
  private debounce: NodeJS.Timeout | undefined;
  /** When the first event of the pending reload came (performance.now() ms), or undefined. */
  private pendingSince: number | undefined;
  /** When the last poke came, and when the armed debounce timer fires (performance.now() ms). */
  private lastPoke = -Infinity;
  private armedFor = Infinity;
  /** When the last reload started (performance.now() ms). */
  private lastReload = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private visible = false;
  private disposed = false;

  constructor(
    private readonly reload: () => Promise<void>,
    private readonly log: Log,
    private readonly timings: RefreshTimings = DEFAULT_TIMINGS,
    /** Whether a file event in a watched folder is routine (see watch-events.ts); none is by default. */
    private readonly isRoutine: (dir: string, filename: string | null) => boolean = () => false,
  ) {}

  /** Sets the folders to watch (the sessions folder and its archive, extra folders). */
  watch(dirs: string[]): void {
    this.dirs = [...new Set(dirs)];
    for (const [dir, watcher] of this.watchers) {
      if (!this.dirs.includes(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    if (this.visible) this.attachMissing();
  }

  setVisible(visible: boolean): void {
    if (this.disposed) return;
    const becameVisible = visible && !this.visible;
    this.visible = visible;
    if (visible) this.attachMissing();
    // Hidden, file events are ignored: with many windows heartbeating they would mean constant reads.
    else this.closeWatchers();
    this.restartTimer();
    if (becameVisible) this.now();
  }

  /**
   * Reloads soon: debounceMs after the last poke, and at most maxWaitMs after the first that was
   * not `routine`. Routine pokes alone (heartbeats of a busy folder) may wait for the timer.
   */
  poke(routine = false): void {
    if (this.disposed) return;
    const t = performance.now();
    if (!routine) this.pendingSince ??= t;
    this.lastPoke = t;
    // One timer per quiet spell, not one per event (a busy folder has thousands a minute): a
    // timer set for earlier than the new due time looks again when it fires.
    const due = this.dueAt();
    if (this.debounce !== undefined && this.armedFor <= due) return;
    this.arm(due, t);
  }

  /** When the pending reload is due: debounceMs after the last poke, at most maxWaitMs after the first that was not routine. */
  private dueAt(): number {
    const quiet = this.lastPoke + this.timings.debounceMs;
    return this.pendingSince === undefined ? quiet : Math.min(quiet, this.pendingSince + this.timings.maxWaitMs);
  }

  private arm(due: number, t: number): void {
    clearTimeout(this.debounce);
    this.armedFor = due;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const now = performance.now();
      const later = this.dueAt();
      // Pokes came meanwhile: not yet quiet for debounceMs (and maxWaitMs not reached).
      if (later > now + 1) this.arm(later, now);
      else this.now();
    }, Math.max(0, due - t));
  }

  /** Reloads right away; failures are the model's to log. */
  now(): void {
    if (this.disposed) return;
    clearTimeout(this.debounce);
    this.debounce = undefined;
    this.pendingSince = undefined;
    this.lastReload = performance.now();
    this.reload().catch((err: unknown) => this.log.error(`Refresh failed: ${String(err)}`));
  }

  private restartTimer(): void {
    clearInterval(this.timer);
    const period = this.visible ? this.timings.visibleIntervalMs : this.timings.hiddenIntervalMs;
    this.timer = setInterval(() => {
      if (this.visible) this.attachMissing();
      // Events already reloaded within this period (a busy folder): the timer has nothing to add.
      if (performance.now() - this.lastReload < period / 2) return;
      this.now();
    }, period);
    // The timer must never keep a host process alive on its own.
    this.timer.unref?.();
  }

  private attachMissing(): void {
    for (const dir of this.dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, { persistent: false }, (_event, filename) => this.poke(this.isRoutine(dir, filename)));
        watcher.on('error', () => {
          // Folder deleted or renamed: drop the watch; the timer attaches a new one when it is back.
          watcher.close();
          if (this.watchers.get(dir) === watcher) this.watchers.delete(dir);
          this.poke();
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Not there yet (nothing registered) or not readable: the model reports the latter.
      }
    }
  }

  private closeWatchers(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.debounce);
    clearInterval(this.timer);
    this.closeWatchers();
  }
}
