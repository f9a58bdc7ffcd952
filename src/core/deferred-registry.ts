// A registry usable at once while it is still being opened (a Redis connection, a password read
// from the editor's secret storage): every call waits for the open, and fails with its error if
// the open failed. For callers that must hand out a registry synchronously (the extension).
import type { Registry, RegistryChange, RegistryKind } from './registry';
import type { RecordTimingUpdate, SessionRecord } from './session-record';
import type { ArchiveResult, CleanupOptions, CreateInput, ListOptions, ListResult, PrunedDay, SessionInfo, SessionUpdate } from './session-store';

export class DeferredRegistry implements Registry {
  private readonly opening: Promise<Registry>;

  /**
   * `kind`, `location` and `hostname` are known before the open finishes; `open` is called once,
   * now. A failed open is not retried: build a new DeferredRegistry (settings changed).
   */
  constructor(
    readonly kind: RegistryKind,
    readonly location: string,
    readonly hostname: string,
    open: () => Promise<Registry>,
  ) {
    this.opening = open();
    // Callers see the failure at their next call; it must not be an unhandled rejection now.
    this.opening.catch(() => undefined);
  }

  /** The open registry (rejects with the open's error). */
  ready(): Promise<Registry> {
    return this.opening;
  }

  async create(input: CreateInput): Promise<SessionRecord> {
    return (await this.opening).create(input);
  }

  async heartbeat(id: string, update?: RecordTimingUpdate): Promise<SessionRecord> {
    return (await this.opening).heartbeat(id, update);
  }

  async update(id: string, change: SessionUpdate): Promise<SessionRecord> {
    return (await this.opening).update(id, change);
  }

  async close(id: string): Promise<void> {
    return (await this.opening).close(id);
  }

  async list(options?: ListOptions): Promise<SessionInfo[]> {
    return (await this.opening).list(options);
  }

  async listArchiveDays(): Promise<string[]> {
    return (await this.opening).listArchiveDays();
  }

  async listArchivedOn(day: string): Promise<ListResult> {
    return (await this.opening).listArchivedOn(day);
  }

  async pruneArchive(days: number): Promise<PrunedDay[]> {
    return (await this.opening).pruneArchive(days);
  }

  async archive(id: string): Promise<ArchiveResult> {
    return (await this.opening).archive(id);
  }

  async cleanup(options?: CleanupOptions): Promise<ArchiveResult[]> {
    return (await this.opening).cleanup(options);
  }

  async appendJournal(id: string, value: Record<string, unknown>): Promise<void> {
    return (await this.opening).appendJournal(id, value);
  }

  async readJournal(id: string): Promise<unknown[]> {
    return (await this.opening).readJournal(id);
  }

  async watch(onChange: (change: RegistryChange | null) => void): Promise<(() => Promise<void>) | null> {
    return (await this.opening).watch(onChange);
  }

  async idle(): Promise<void> {
    try {
      await (await this.opening).idle();
    } catch {
      // Never opened: no background work.
    }
  }

  async dispose(): Promise<void> {
    try {
      await (await this.opening).dispose();
    } catch {
      // Never opened: nothing to release.
    }
  }
}
