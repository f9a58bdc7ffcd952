// The sessions directory as a Registry: SessionStore does the work; this adds the journal calls
// and the parts of the interface a directory has no use for (no connection, no push).
import { appendJsonl } from './jsonl-append';
import { readJsonl } from './jsonl-reader';
import { journalPath } from './paths';
import type { Registry } from './registry';
import type { RecordTimingUpdate, SessionRecord } from './session-record';
import {
  SessionStore,
  type ArchiveResult,
  type CleanupOptions,
  type CreateInput,
  type ListOptions,
  type ListResult,
  type PrunedDay,
  type SessionInfo,
  type SessionUpdate,
  type StoreOptions,
} from './session-store';

export class DirectoryRegistry implements Registry {
  readonly kind = 'directory' as const;
  /** The store doing the work; for callers that need directory-only operations. */
  readonly store: SessionStore;

  /** `dir`: the sessions directory (absolute or relative to the working directory). */
  constructor(dir: string | SessionStore, options: StoreOptions = {}) {
    this.store = typeof dir === 'string' ? new SessionStore(dir, options) : dir;
  }

  /** The sessions directory, absolute, as open(2) resolves it. */
  get location(): string {
    return this.store.dir;
  }

  get dir(): string {
    return this.store.dir;
  }

  get hostname(): string {
    return this.store.hostname;
  }

  create(input: CreateInput): Promise<SessionRecord> {
    return this.store.create(input);
  }

  heartbeat(id: string, update?: RecordTimingUpdate): Promise<SessionRecord> {
    return this.store.heartbeat(id, update);
  }

  update(id: string, change: SessionUpdate): Promise<SessionRecord> {
    return this.store.update(id, change);
  }

  close(id: string): Promise<void> {
    return this.store.close(id);
  }

  list(options?: ListOptions): Promise<SessionInfo[]> {
    return this.store.list(options);
  }

  listArchiveDays(): Promise<string[]> {
    return this.store.listArchiveDays();
  }

  listArchivedOn(day: string): Promise<ListResult> {
    return this.store.listArchivedOn(day);
  }

  pruneArchive(days: number): Promise<PrunedDay[]> {
    return this.store.pruneArchive(days);
  }

  archive(id: string): Promise<ArchiveResult> {
    return this.store.archive(id);
  }

  cleanup(options?: CleanupOptions): Promise<ArchiveResult[]> {
    return this.store.cleanup(options);
  }

  /** Appends under the journal's lock (`<dir>/<id>.jsonl`), creating it when missing. */
  async appendJournal(id: string, value: Record<string, unknown>): Promise<void> {
    assertJournalObject(value);
    await appendJsonl(journalPath(this.store.dir, id), value);
  }

  /** The journal's records; lines that cannot be read are skipped (`check`/`repair` show them). */
  async readJournal(id: string): Promise<unknown[]> {
    const out: unknown[] = [];
    try {
      for await (const r of readJsonl(journalPath(this.store.dir, id))) out.push(r.value);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return out;
  }

  /** A directory has no push notifications: watch its files. */
  watch(): Promise<null> {
    return Promise.resolve(null);
  }

  idle(): Promise<void> {
    return this.store.idle();
  }

  dispose(): Promise<void> {
    return this.store.idle();
  }
}

/** TypeError unless `value` is a plain object (a journal line is one JSON object). */
export function assertJournalObject(value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`a journal entry must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
}
