// The sessions directory's safety check, run before the registry acts on it.
import type * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { UnsafeDirectoryError } from './errors';

/**
 * Refuses a sessions directory others could write (world-writable, or owned by someone else,
 * as ssh does for ~/.ssh): they could plant records, symlinks and locks for us to act on.
 * Returns false when the directory does not exist yet; throws UnsafeDirectoryError otherwise.
 */
export async function checkSessionsDir(dir: string): Promise<boolean> {
  let st: fs.Stats;
  try {
    st = await fsp.stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (!st.isDirectory()) throw new UnsafeDirectoryError(`sessions directory ${dir} is not a directory`);
  if (process.platform === 'win32') return true;
  if (st.mode & 0o002) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw new UnsafeDirectoryError(`sessions directory ${dir} is world-writable (mode ${mode}); refusing to use it. Fix: chmod 700 '${dir}'`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafeDirectoryError(`sessions directory ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}); refusing to use it`);
  }
  return true;
}
