// Listing: the live sessions with their states, and the archive one day at a time. Never takes
// locks: records are replaced atomically, so a read sees a whole old or a whole new record.
import type * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { isArchiveDayName } from '../archive-files';
import type { ArchiveDayList } from './archive-day-list';
import { oneLine } from '../one-line';
import { ARCHIVE_DIR_NAME } from '../paths';
import type { StoreContext } from './context';
import { checkSessionsDir } from './directory-safety';
import { InvalidArchiveDayError } from './errors';
import { judgeAll, sortNewestFirst } from './judge';
import { archiveDays, candidates, candidatesOf, readCandidates, type ReadRecord } from './record-files';
import type { ListOptions, ListResult, SessionInfo, SessionProblem } from './types';

/** Archive days whose parsed records a store keeps by default (a year of days is ~365; a tree shows a few). */
export const ARCHIVE_CACHE_DAYS = 64;

/** What one archive day folder held when it was last read. */
interface ArchivedDay {
  /** The folder's mtime, inode and entry count when read; any of them changing means a re-read. */
  key: string;
  loaded: ReadRecord[];
  problems: SessionProblem[];
}

const EMPTY_DAY: ArchivedDay = { key: '', loaded: [], problems: [] };

/**
 * The parsed records of archive days, least recently used first. Archived records never change
 * (archiving only adds names, never rewrites one), so a day is read again only when its folder
 * changed; states are judged anew at every listing.
 */
export class ArchiveDayCache {
  private readonly days = new Map<string, ArchivedDay>();

  /** @param capacity days kept, least recently used dropped first; 0 keeps none. */
  constructor(private readonly capacity = ARCHIVE_CACHE_DAYS) {}

  /** Day `day` (a valid day name) of the archive under sessions directory `dir`. */
  async read(dir: string, day: string): Promise<ArchivedDay> {
    const dayDir = path.join(dir, ARCHIVE_DIR_NAME, day);
    let st: fs.Stats;
    let entries: fs.Dirent[];
    try {
      st = await fsp.lstat(dayDir);
      if (!st.isDirectory()) return EMPTY_DAY;
      entries = await fsp.readdir(dayDir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return EMPTY_DAY;
      throw err;
    }
    const key = `${st.mtimeMs}:${st.ino}:${entries.length}`;
    const hit = this.days.get(day);
    this.days.delete(day);
    if (hit?.key === key) {
      this.days.set(day, hit);
      return hit;
    }
    const problems: SessionProblem[] = [];
    const onProblem = (p: SessionProblem): void => void problems.push({ ...p, message: oneLine(p.message) });
    const loaded = await readCandidates(candidatesOf(dayDir, entries, day, onProblem), onProblem);
    const read = { key, loaded, problems };
    this.days.set(day, read);
    if (this.days.size > this.capacity) this.days.delete(this.days.keys().next().value as string);
    return read;
  }
}

/** See SessionStore.list(). */
export async function listSessions(ctx: StoreContext, options: ListOptions, cache = new ArchiveDayCache()): Promise<SessionInfo[]> {
  const report = options.onProblem;
  // Messages quote names from the directory: keep them one short, printable line.
  const onProblem = report ? (p: SessionProblem): void => report({ ...p, message: oneLine(p.message) }) : () => undefined;
  if (!(await checkSessionsDir(ctx.dir))) return [];
  const loaded = await readCandidates(await candidates(ctx.dir, null, onProblem), onProblem);
  if (options.includeArchived) {
    for (const day of await archiveDays(ctx.dir)) {
      const read = await cache.read(ctx.dir, day);
      for (const p of read.problems) onProblem(p);
      loaded.push(...read.loaded);
    }
  }
  return sortNewestFirst(await judgeAll(ctx, loaded, ctx.now()));
}

/** See SessionStore.listArchiveDays(). */
export async function listArchiveDays(ctx: StoreContext, list: ArchiveDayList): Promise<string[]> {
  if (!(await checkSessionsDir(ctx.dir))) return [];
  return list.days(ctx.dir);
}

/** See SessionStore.listArchivedOn(). */
export async function listArchivedOn(ctx: StoreContext, cache: ArchiveDayCache, day: string): Promise<ListResult> {
  if (!isArchiveDayName(day)) throw new InvalidArchiveDayError(day);
  if (!(await checkSessionsDir(ctx.dir))) return { sessions: [], problems: [] };
  const read = await cache.read(ctx.dir, day);
  const sessions = sortNewestFirst(await judgeAll(ctx, read.loaded, ctx.now()));
  return { sessions, problems: [...read.problems] };
}
