// Replaces a file atomically: readers see the old or the new content, never a mix, and a crash
// leaves at most a temp file behind. Temp file in the same directory (rename must not cross
// file systems), fsync before rename (so the new name never points at unwritten data).
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { LockLease } from './lock';

export interface AtomicWriteOptions {
  /** Permission bits of the new file; set exactly, regardless of umask. Default 0o600. */
  mode?: number;
  /**
   * The lease of the lock the write is made under. Its assertHeld() runs right before the
   * rename, in the same synchronous turn, so a writer that lost its lock (stopped past the stale
   * threshold) fails with LockCompromisedError instead of replacing a newer file.
   */
  lease?: Pick<LockLease, 'assertHeld'>;
}

/** Temp names start with '.' and end in '.tmp' so directory readers can skip them. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', mode);
  try {
    try {
      // umask may have cleared bits of `mode`; the brief is exact permissions.
      if (process.platform !== 'win32') await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameWithRetry(temp, file, options.lease);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * On Windows a rename onto a file another process has open fails briefly with EPERM/EACCES/EBUSY.
 * The lease check and the rename are synchronous and adjacent: nothing else runs in between.
 */
async function renameWithRetry(from: string, to: string, lease: AtomicWriteOptions['lease']): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      lease?.assertHeld();
      renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const transient = process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES' || code === 'EBUSY');
      if (!transient || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 5 * (attempt + 1)));
    }
  }
}
