/**
 * The commit phase of JSONL repair: from a complete temp file to the file replaced by it.
 *
 * Repair holds the file's lock, but a lock can be lost while held (the holder stopped or starved
 * past the stale threshold, another process took it over). Linux has no compare-and-rename, so
 * the window is closed as far as it can be:
 * - the original file stays open from before parsing (OriginalFile) to after the rename;
 * - right before the quarantine append and again right before the rename, synchronously and in
 *   the same turn as the rename: the lock is still ours (LockLease.assertHeld), the original is
 *   the same file (device, inode) and not shorter than what was read, and its path still names it;
 * - after the rename, still under the lock, bytes that reached the old inode past what was read
 *   (a writer that kept the old file open) are copied to the end of the new file, until a look
 *   finds none; then the lease is checked once more.
 * What remains: a holder stopped for longer than the stale threshold exactly between the last
 * check and rename(2), whose successor writes to the old inode after the tail copy's last look.
 */
import { constants as fsConstants, fstatSync, renameSync, statSync, type Stats } from 'node:fs';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { notRegularFile } from './jsonl-reader';
import type { LockLease } from './lock';

/**
 * Named points of a repair, in order, each right before an await (or a commit syscall):
 * `locked` (lock held, file checked), `opened` (original open), `chunk` (after each parsed and
 * flushed chunk), `parsed`, then the commit: `temp-written`, `temp-synced`, `quarantine-opened`,
 * `quarantine-written`, `quarantine-synced`, `before-rename`, `renamed`, `tail-copied`,
 * `committed`. Clean files stop after `parsed`; `quarantine-*` only when something was
 * quarantined.
 */
export type RepairPhase =
  | 'locked'
  | 'opened'
  | 'chunk'
  | 'parsed'
  | 'temp-written'
  | 'temp-synced'
  | 'quarantine-opened'
  | 'quarantine-written'
  | 'quarantine-synced'
  | 'before-rename'
  | 'renamed'
  | 'tail-copied'
  | 'committed';

/** The file being repaired, held open from before it is read until after it is replaced. */
export interface OriginalFile {
  handle: FileHandle;
  dev: number;
  ino: number;
}

/** Thrown when the file is replaced, truncated or moved by someone else during a repair. */
export class FileChangedError extends Error {
  readonly code = 'EFILECHANGED';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file} changed while being repaired (${reason}); nothing was replaced, run the repair again`);
    this.name = 'FileChangedError';
  }
}

/**
 * Opens `file` (the lock's canonical path) for reading without blocking on a FIFO, and checks it
 * is the regular file `expected` (lstat of the path the caller named). Throws FileChangedError
 * when it is another one.
 */
export async function openOriginal(file: string, expected: Stats): Promise<OriginalFile> {
  const handle = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== expected.dev || st.ino !== expected.ino) {
      throw new FileChangedError(file, 'another file took its place before it was opened');
    }
    return { handle, dev: st.dev, ino: st.ino };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

export interface RepairCommit {
  /** The canonical path of the file being replaced. */
  file: string;
  original: OriginalFile;
  /** Bytes of the original that were read (and are accounted for in tmp and the quarantine). */
  bytesRead: number;
  /** Permission bits for the new file (those of the original). */
  mode: number;
  /** The complete repaired content, open for writing; left open for the caller to close. */
  tmp: FileHandle;
  tmpPath: string;
  /** Bytes to append to the quarantine, if any: a complete temp file, closed. */
  quarantineTmpPath: string | null;
  quarantinePath: string;
  chunkBytes: number;
  lease: LockLease;
  /** The caller's cancellation: honoured up to the rename. */
  signal: AbortSignal | undefined;
  onPhase: (phase: RepairPhase) => void;
  /** Set once the rename is done (the temp name is gone from then on). */
  committed: boolean;
}

/** Copies bytes [from, to) of `src` to `dest` at `destPos`; returns the bytes copied. */
async function copyRange(src: FileHandle, from: number, to: number, dest: FileHandle, destPos: number | null, chunkBytes: number): Promise<number> {
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, to - from)));
  let pos = from;
  while (pos < to) {
    const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, to - pos), pos);
    if (bytesRead === 0) break;
    let done = 0;
    while (done < bytesRead) {
      const at = destPos === null ? null : destPos + (pos - from) + done;
      done += (await dest.write(buf, done, bytesRead - done, at)).bytesWritten;
    }
    pos += bytesRead;
  }
  return pos - from;
}

/** fsyncs a directory, so a rename or a created name in it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(dir, fsConstants.O_RDONLY);
    await fh.sync();
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw err;
  } finally {
    await fh?.close();
  }
}

/**
 * Synchronous, so that it and the commit syscall after it run in one turn: the lock is still
 * ours (and renewed), the original is the file that was read, not shorter, and still at its path.
 */
function checkBeforeCommit(c: RepairCommit): void {
  c.lease.assertHeld();
  const now = fstatSync(c.original.handle.fd);
  if (now.dev !== c.original.dev || now.ino !== c.original.ino) throw new FileChangedError(c.file, 'the open file is another one');
  if (now.size < c.bytesRead) throw new FileChangedError(c.file, `it shrank from ${c.bytesRead} to ${now.size} bytes`);
  let atPath: Stats;
  try {
    atPath = statSync(c.file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FileChangedError(c.file, 'it was removed or renamed');
    throw err;
  }
  if (atPath.dev !== c.original.dev || atPath.ino !== c.original.ino) {
    throw new FileChangedError(c.file, 'another file was put in its place');
  }
}

/** Appends the quarantine temp file to FILE.quarantine and fsyncs it. */
async function appendQuarantine(c: RepairCommit, qTmpPath: string): Promise<void> {
  const created = !(await fsp.lstat(c.quarantinePath).then(
    () => true,
    () => false,
  ));
  c.onPhase('quarantine-opened');
  // The quarantine is our own output: never follow a symlink planted in its place (ELOOP), never
  // block on a FIFO (ENXIO), never write into anything but a file.
  const dest = await fsp.open(
    c.quarantinePath,
    fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0),
    0o600,
  );
  try {
    if (!(await dest.stat()).isFile()) throw notRegularFile(c.quarantinePath);
    const qSrc = await fsp.open(qTmpPath, 'r');
    try {
      await copyRange(qSrc, 0, (await qSrc.stat()).size, dest, null, c.chunkBytes);
    } finally {
      await qSrc.close();
    }
    c.onPhase('quarantine-written');
    await dest.sync();
  } finally {
    await dest.close();
  }
  if (created) await fsyncDir(path.dirname(c.file));
  c.onPhase('quarantine-synced');
}

/**
 * After the rename: copies what reached the old inode past `bytesRead` to the end of the new
 * file, until a look finds nothing new. Returns the bytes carried over.
 */
async function carryOverTail(c: RepairCommit): Promise<number> {
  let copiedUpTo = c.bytesRead;
  let newSize = (await c.tmp.stat()).size;
  for (;;) {
    const size = fstatSync(c.original.handle.fd).size;
    if (size <= copiedUpTo) break;
    const n = await copyRange(c.original.handle, copiedUpTo, size, c.tmp, newSize, c.chunkBytes);
    if (n === 0) break;
    copiedUpTo += n;
    newSize += n;
  }
  if (copiedUpTo > c.bytesRead) await c.tmp.sync();
  return copiedUpTo - c.bytesRead;
}

/**
 * Replaces `c.file` by the temp file (see the module header). Throws LockCompromisedError when
 * the lock was lost before the rename (nothing replaced, the quarantine possibly appended, which
 * at worst quarantines the same bytes twice) or after it (replaced, late bytes carried over);
 * FileChangedError when the original was replaced, truncated or moved; the signal's reason when
 * aborted before the rename.
 */
export async function commitRepair(c: RepairCommit): Promise<void> {
  c.onPhase('temp-written');
  await c.tmp.chmod(c.mode & 0o7777);
  await c.tmp.sync();
  c.onPhase('temp-synced');
  c.signal?.throwIfAborted();
  if (c.quarantineTmpPath !== null) {
    checkBeforeCommit(c);
    await appendQuarantine(c, c.quarantineTmpPath);
  }
  c.onPhase('before-rename');
  // Last moment to back out with the original untouched. From here to renameSync: no await.
  c.signal?.throwIfAborted();
  checkBeforeCommit(c);
  renameSync(c.tmpPath, c.file);
  c.committed = true;
  c.onPhase('renamed');
  await carryOverTail(c);
  c.onPhase('tail-copied');
  c.lease.assertHeld();
  await fsyncDir(path.dirname(c.file));
  c.onPhase('committed');
}
