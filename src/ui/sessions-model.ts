// The latest listing of every sessions folder the view shows. No vscode import: it runs (and is
// unit-tested) under plain Node with real stores on real folders.
import * as fsp from 'node:fs/promises';
import type { SessionInfo, SessionProblem, SessionStore } from '../core/session-store';
import { oneLine } from '../core/one-line';
import { Emitter } from './events';
import { describeError, type Log } from './log';
import { registryProblemOf, type RegistryProblem } from './registry-problem';

/** What one sessions directory held at the last look. */
export interface DirSnapshot {
  dir: string;
  /** Live and closed sessions (not archived ones). */
  sessions: SessionInfo[];
  /** The archive's day folders (YYYY-MM-DD, UTC), newest first; their records are read on demand (archivedOn). */
  archiveDays: string[];
  /** Why the directory could not be read; null when it could (or simply does not exist yet). */
  error: string | null;
  /** The kind of that failure (what the welcome view explains); null when there is none. */
  problem: RegistryProblem | null;
  /** False when the folder does not exist (yet). */
  exists: boolean;
}

export interface ModelSnapshot {
  main: DirSnapshot;
  extras: DirSnapshot[];
  /** When this listing was taken (ms since the epoch, from the model's clock); 0 before the first. */
  takenAt: number;
}

export interface StoreRef {
  dir: string;
  store: Pick<SessionStore, 'list' | 'listArchiveDays' | 'listArchivedOn'>;
}

/**
 * The latest listing of every sessions directory shown. Readers (tree, status bar) take
 * `snapshot` and listen to `onDidChange`; `reload()` coalesces: callers that arrive while a
 * listing runs share the next one instead of stacking file reads.
 */
export class SessionsModel {
  private readonly changed = new Emitter<ModelSnapshot>();
  readonly onDidChange = this.changed.event;
  private readonly becameStale = new Emitter<SessionInfo[]>();
  /** Sessions seen alive that are now stale: for the optional notification. */
  readonly onDidBecomeStale = this.becameStale.event;

  private current: ModelSnapshot;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private readonly loggedErrors = new Map<string, string>();
  private readonly loggedProblems = new Set<string>();
  private disposed = false;

  /**
   * @param stores the folders to list, asked at every reload (settings may have changed them)
   * @param clock ms since the epoch; stamps each listing (`takenAt`)
   */
  constructor(
    private readonly stores: () => { main: StoreRef; extras: StoreRef[] },
    private readonly log: Log,
    private readonly clock: () => number = Date.now,
  ) {
    // Nothing is read here (not even settings): the first reload() fills this in.
    this.current = { main: { dir: '', sessions: [], archiveDays: [], error: null, problem: null, exists: false }, extras: [], takenAt: 0 };
  }

  private knownIdsOf: { snapshot: ModelSnapshot; byDir: Map<string, Set<string>> } | undefined;

  get snapshot(): ModelSnapshot {
    return this.current;
  }

  /** The ids (lower case) of the sessions the last listing found in folder `dir`. */
  knownIds(dir: string): ReadonlySet<string> {
    if (this.knownIdsOf?.snapshot !== this.current) {
      const byDir = new Map<string, Set<string>>();
      for (const d of [this.current.main, ...this.current.extras]) byDir.set(d.dir, new Set(d.sessions.map((s) => s.record.id.toLowerCase())));
      this.knownIdsOf = { snapshot: this.current, byDir };
    }
    return this.knownIdsOf.byDir.get(dir) ?? new Set();
  }

  /** True once a listing finished; before that the tree shows nothing rather than "no sessions". */
  get loaded(): boolean {
    return this.current.takenAt > 0;
  }

  reload(): Promise<void> {
    if (!this.running) {
      this.running = this.load().finally(() => (this.running = null));
      return this.running;
    }
    // One listing runs; at most one more is queued behind it, shared by every later caller.
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.reload();
    });
    return this.queued;
  }

  /**
   * The sessions archived on `day` (YYYY-MM-DD) in the shown folder `dir`, read when the tree
   * expands that day (the store caches a day's records: they do not change). Never throws: a
   * failure is logged and gives an empty day.
   */
  async archivedOn(dir: string, day: string): Promise<SessionInfo[]> {
    const { main, extras } = this.stores();
    const ref = [main, ...extras].find((r) => r.dir === dir);
    if (!ref) return [];
    try {
      const { sessions, problems } = await ref.store.listArchivedOn(day);
      for (const p of problems) this.skipped(p);
      return sessions;
    } catch (err) {
      this.log.error(`Cannot read archive day ${day} of ${dir}: ${describeError(err)}`);
      return [];
    }
  }

  private async load(): Promise<void> {
    const { main, extras } = this.stores();
    const [mainSnap, ...extraSnaps] = await Promise.all([main, ...extras].map((ref) => this.list(ref)));
    if (this.disposed || !mainSnap) return;
    const previous = this.current;
    this.current = { main: mainSnap, extras: extraSnaps, takenAt: this.clock() };
    if (previous.takenAt > 0 && previous.main.dir === mainSnap.dir) {
      const wasAlive = new Set(previous.main.sessions.filter((s) => s.state === 'active' || s.state === 'unresponsive').map((s) => s.record.id));
      const nowStale = mainSnap.sessions.filter((s) => s.state === 'stale' && wasAlive.has(s.record.id));
      if (nowStale.length > 0) this.becameStale.fire(nowStale);
    }
    this.changed.fire(this.current);
  }

  private async list(ref: StoreRef): Promise<DirSnapshot> {
    try {
      // The live refresh reads live records only: the archive's cost must not grow with its
      // history. Its day folders are listed by name; a day's records are read when expanded.
      const [sessions, archiveDays] = await Promise.all([ref.store.list({ onProblem: (p) => this.skipped(p) }), ref.store.listArchiveDays()]);
      if (this.loggedErrors.delete(ref.dir)) this.log.info(`Sessions folder readable again: ${ref.dir}`);
      // An empty listing may mean "no folder": the tree hides extra folders that are not there.
      const exists = sessions.length > 0 || archiveDays.length > 0 || (await isDirectory(ref.dir));
      return { dir: ref.dir, sessions, archiveDays, error: null, problem: null, exists };
    } catch (err) {
      // A folder that does not exist yet is normal: nothing has registered there.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir: ref.dir, sessions: [], archiveDays: [], error: null, problem: null, exists: false };
      const message = describeError(err);
      // Polling would repeat the same failure every few seconds; log each new one once.
      if (this.loggedErrors.get(ref.dir) !== message) {
        this.loggedErrors.set(ref.dir, message);
        this.log.error(`Cannot read sessions folder ${ref.dir}: ${message}`);
      }
      return { dir: ref.dir, sessions: [], archiveDays: [], error: message, problem: registryProblemOf(err), exists: true };
    }
  }

  /** Logs each skipped file once, not on every poll. */
  private skipped(problem: SessionProblem): void {
    const key = `${problem.file}\0${problem.kind}`;
    if (this.loggedProblems.has(key)) return;
    // Bounded: a folder full of junk must not grow this set without limit.
    if (this.loggedProblems.size > 1000) this.loggedProblems.clear();
    this.loggedProblems.add(key);
    // The file name comes from the directory, which anyone may fill: escape it like the message,
    // so a newline in a name cannot forge a log line (nor ESC/bidi characters restyle it).
    this.log.warn(`Skipped ${oneLine(problem.file)} (${problem.kind}): ${problem.message}`);
  }

  dispose(): void {
    this.disposed = true;
    this.changed.dispose();
    this.becameStale.dispose();
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fsp.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
