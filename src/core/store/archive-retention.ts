// The archive's opt-in retention: deleting whole day folders older than a number of days. Off
// unless asked for (StoreOptions.archiveRetentionDays, `archive --prune-older-than`): the
// registry otherwise never deletes anything.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ARCHIVE_DIR_NAME, utcDay } from '../paths';
import type { StoreContext } from './context';
import { checkSessionsDir } from './directory-safety';
import { archiveDays } from './record-files';
import type { PrunedDay } from './types';

const DAY_MS = 86_400_000;

/** Largest retention accepted (about 1000 years): beyond it the cutoff date is meaningless. */
export const MAX_RETENTION_DAYS = 365_000;

/** True for a retention a caller may pass: a whole number of days from 1 to MAX_RETENTION_DAYS. */
export function isRetentionDays(days: unknown): days is number {
  return typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= MAX_RETENTION_DAYS;
}

/**
 * Deletes the archive day folders (records and journals archived that UTC day) older than
 * `olderThanDays` whole days before the store's today: with today 2026-03-10 and 30, every day
 * before 2026-02-08 goes, 2026-02-08 itself stays. Only real day folders are touched: a
 * symbolic link named like a day is neither followed nor removed (archiveDays lists directories
 * only). A folder that fails to go is reported to onError and the others still go. Throws
 * RangeError unless `olderThanDays` is a whole number from 1 to MAX_RETENTION_DAYS.
 */
export async function pruneArchive(ctx: StoreContext, olderThanDays: number): Promise<PrunedDay[]> {
  if (!isRetentionDays(olderThanDays)) {
    throw new RangeError(`archive retention ${String(olderThanDays)} days: expected a whole number from 1 to ${MAX_RETENTION_DAYS}`);
  }
  if (!(await checkSessionsDir(ctx.dir))) return [];
  const cutoff = utcDay(ctx.now() - olderThanDays * DAY_MS);
  const pruned: PrunedDay[] = [];
  // YYYY-MM-DD sorts as dates do.
  for (const day of (await archiveDays(ctx.dir)).filter((d) => d < cutoff)) {
    const dir = path.join(ctx.dir, ARCHIVE_DIR_NAME, day);
    try {
      const files = (await fsp.readdir(dir)).length;
      await fsp.rm(dir, { recursive: true });
      pruned.push({ day, dir, files });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.report(err, `archive retention: removing ${dir}`);
    }
  }
  return pruned;
}
