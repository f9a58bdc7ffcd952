// The archive's day names, kept between listings: the tree lists them on every refresh, and a
// readdir of a year of day folders (filtered, sorted) was the part of that refresh that grew
// with the archive. One stat of the archive directory says whether the names can have changed.
import type { BigIntStats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ARCHIVE_DIR_NAME } from '../paths';
import { archiveDays } from './record-files';

/**
 * How old (ms) the archive directory's mtime and ctime must be, at the moment they are looked
 * at, before a listing taken then is trusted until they change. Younger, a second change within
 * the file system's timestamp granularity (2 s on FAT, 1 s on some network shares) could leave
 * both unchanged: git's "racy" rule for its index. Such a listing is used once, then read again.
 */
export const ARCHIVE_LIST_RACY_MS = 2000;

/** What the archive directory was when its names were read. */
interface Listed {
  /** dev:ino:mtime:ctime (ns) of the archive directory, taken before the readdir. */
  key: string;
  days: string[];
}

/**
 * The archive's day folder names (`YYYY-MM-DD`, newest first) of one sessions directory, read
 * again only when the archive directory may have changed: when its device, inode, mtime or
 * ctime differ from the last read, or were younger than ARCHIVE_LIST_RACY_MS then. Adding or
 * removing a day folder (archiving, retention, another process, a folder replaced by a rename)
 * changes the directory's mtime and ctime; replacing the whole archive directory changes its
 * inode. A missing archive gives []. Errors other than ENOENT/ENOTDIR propagate (as readdir's).
 */
export class ArchiveDayList {
  private listed: Listed | null = null;
  /** How many times the names were read from the directory (not from memory): for tests and benchmarks. */
  reads = 0;

  /** @param clock wall-clock ms since the epoch, compared with file timestamps (not a store's test clock) */
  constructor(private readonly clock: () => number = Date.now) {}

  /** The day names under sessions directory `dir`; a new array each call. */
  async days(dir: string): Promise<string[]> {
    const archiveDir = path.join(dir, ARCHIVE_DIR_NAME);
    // Before the stat: a change after this moment gets a timestamp at least this late.
    const lookedAt = this.clock();
    let st: BigIntStats;
    try {
      st = await fsp.stat(archiveDir, { bigint: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      this.listed = null;
      return [];
    }
    const key = `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
    if (this.listed?.key === key) return [...this.listed.days];
    this.reads++;
    const days = await archiveDays(dir);
    // Only a listing of a directory that was already quiet when looked at is kept.
    this.listed = isSettled(st, lookedAt) ? { key, days } : null;
    return [...days];
  }
}

/** True when both timestamps of `st` were more than ARCHIVE_LIST_RACY_MS before `at` (ms since the epoch); a timestamp in the future is not. */
export function isSettled(st: Pick<BigIntStats, 'mtimeMs' | 'ctimeMs'>, at: number): boolean {
  return at - Number(st.mtimeMs) > ARCHIVE_LIST_RACY_MS && at - Number(st.ctimeMs) > ARCHIVE_LIST_RACY_MS;
}
