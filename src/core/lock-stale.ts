/**
 * What is found at a lock path that is not ours: how old the lock is, whether it is stale and
 * may be taken over (under the takeover guard), and whether it is a lock directory at all.
 * Synchronous, like the lock attempts (see lock-directory.ts), except lockAgeMs.
 */
import { lstatSync, mkdirSync, promises as fsp, rmdirSync, statSync } from 'node:fs';
import { errorCode } from './lock-directory';
import { ForeignLockPathError } from './lock-errors';
import { lockTargetFor } from './lock-target';

/** Milliseconds since the lock directory was last refreshed, or null if it does not exist. */
export async function lockAgeMs(target: string): Promise<number | null> {
  try {
    const st = await fsp.stat(`${lockTargetFor(target)}.lock`);
    // proper-lockfile may set an mtime slightly in the future (second-precision probing).
    return Math.max(0, Math.round(Date.now() - st.mtimeMs));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** True when `dir` exists and was last refreshed more than `staleMs` ago. */
function isStale(dir: string, staleMs: number): boolean {
  try {
    return statSync(dir).mtimeMs < Date.now() - staleMs;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}

function rmdirIfPresent(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

/**
 * Removes the lock directory of `file` if it is stale (its holder died or stalled), so that the
 * next attempt can take the lock. Several processes may find the same stale lock at once; only
 * the one that creates the guard directory `file.lock.takeover` (mkdir is atomic) may remove it,
 * and it checks again under the guard, where nobody else removes locks: still stale means still
 * the abandoned one, never a fresh lock that another process made in its place. A guard left by a
 * process killed in the few syscalls it holds it is itself removed once stale. Returns true when
 * it removed a stale lock.
 */
export function takeOverIfStale(file: string, staleMs: number): boolean {
  const lockDir = `${file}.lock`;
  const guard = `${lockDir}.takeover`;
  if (!isStale(lockDir, staleMs)) return false;
  try {
    mkdirSync(guard);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    if (isStale(guard, staleMs)) rmdirIfPresent(guard);
    return false;
  }
  try {
    if (!isStale(lockDir, staleMs)) return false;
    rmdirIfPresent(lockDir);
    return true;
  } finally {
    rmdirIfPresent(guard);
  }
}

/** Throws ForeignLockPathError when `file.lock` exists and is not a plain directory. */
export function checkLockPath(file: string): void {
  let st;
  try {
    st = lstatSync(`${file}.lock`);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  if (st.isDirectory()) return;
  if (st.isSymbolicLink()) {
    let target = 'dangling';
    try {
      target = statSync(`${file}.lock`).isDirectory() ? 'to a directory' : 'to a file';
    } catch {
      // dangling
    }
    throw new ForeignLockPathError(file, `a symbolic link (${target})`);
  }
  throw new ForeignLockPathError(file, st.isFile() ? 'a regular file' : 'not a directory');
}
