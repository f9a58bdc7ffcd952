// The cleanup's sweep of temp files left by writers that died between create and rename.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { isProcessAlive } from '../process-info';
import { isTempName } from '../write-atomic';

/** Temp files older than this have no live writer: an atomic write of a record takes milliseconds. */
const ABANDONED_TEMP_AGE_MS = 60_000;

/** The writer's pid in a temp name: `.<file>.<pid>.<hex>.tmp` (atomic write), `.<file>.repair-<pid>-<hex>.tmp` (repair). */
const TEMP_WRITER_PID_RE = /\.(?:repair-|quarantine-)?(\d+)[.-][0-9a-f]+\.tmp$/;

/**
 * Removes the temp files of atomic writes and repairs in `dir` whose writer died. They are never
 * the only copy of anything: the file they were to replace is still in place. A temp file whose
 * writer still runs on this host (its pid is in the name) is kept, however old: the writer may
 * be stalled on a slow disk and still about to rename it. `now` is epoch ms; failures other
 * than a file already gone go to `report`.
 */
export async function removeAbandonedTempFiles(dir: string, now: number, report: (err: unknown, context: string) => void): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!isTempName(name)) continue;
    const file = path.join(dir, name);
    try {
      const st = await fsp.lstat(file);
      if (!st.isFile() || now - st.mtimeMs <= ABANDONED_TEMP_AGE_MS) continue;
      const writer = TEMP_WRITER_PID_RE.exec(name)?.[1];
      if (writer !== undefined && isProcessAlive(Number(writer))) continue;
      await fsp.unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') report(err, `cleanup: removing temp file ${file}`);
    }
  }
}
