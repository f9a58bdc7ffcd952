/**
 * What is found at a lock path that is not ours: how old the lock is, whether it is stale and
 * may be taken over (under the takeover guard), and whether it is a lock directory at all.
 * Synchronous, like the lock attempts (see lock-directory.ts), except lockAgeMs.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, promises as fsp, rmdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
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
  let guard = `${lockDir}.takeover`;
  if (!isStale(lockDir, staleMs)) return false;
  let made: boolean;
  try {
    made = makeGuard(guard, staleMs);
  } catch (err) {
    if (errorCode(err) !== 'ENAMETOOLONG') throw err;
    // X's name is within 14 bytes of the file system's limit: X.lock fits, X.lock.takeover does
    // not, and without a guard a stale lock was never taken over (every writer failed at once).
    // Every process meets the same limit, so all of them agree on the short name.
    guard = shortGuardOf(lockDir);
    made = makeGuard(guard, staleMs);
  }
  if (!made) return false;
  try {
    if (!isStale(lockDir, staleMs)) return false;
    rmdirIfPresent(lockDir);
    return true;
  } finally {
    rmdirIfPresent(guard);
  }
}

/**
 * The takeover guard used where `X.lock.takeover` is too long a name: `.<32 hex digits>.takeover`
 * beside it, the digits the start of the SHA-256 of `X.lock`'s name (UTF-8), so that it names one
 * lock (docs/format.md).
 */
export function shortGuardOf(lockDir: string): string {
  const digest = createHash('sha256').update(path.basename(lockDir), 'utf8').digest('hex');
  return path.join(path.dirname(lockDir), `.${digest.slice(0, 32)}.takeover`);
}

/**
 * Creates the guard directory `guard`: true when created (ours), false when another process holds
 * it (and then removes it if stale: its holder was killed while holding it). Throws other errors.
 */
function makeGuard(guard: string, staleMs: number): boolean {
  try {
    mkdirSync(guard);
    return true;
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    if (isStale(guard, staleMs)) rmdirIfPresent(guard);
    return false;
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
