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
 * - bytes that reached the original past what was read (a writer that bypasses the lock, or
 *   kept the file open) are carried over into the temp file BEFORE the rename, until a look finds
 *   none, and what arrived since is copied in the rename's own synchronous turn;
 * - after the rename, bytes that still reach the old inode are appended (O_APPEND, never at a
 *   fixed offset) to the new file, with the lease checked right before every write. Once the
 *   lease is lost nothing more is written into the live file: the bytes not yet copied are
 *   saved to `FILE.late-<ms>-<pid>` (mode 0600) and the repair fails with LockCompromisedError
 *   naming that file;
 * - a cheap check for a writer that bypasses the lock and truncates and rewrites the file: the
 *   first and the last 4 KiB read must read the same right before the commit.
 * What remains: a holder stopped for longer than the stale threshold exactly between a check and
 * the syscall after it (rename(2), or one write of late bytes); a writer that bypasses the lock
 * and rewrites the middle of the file in place; late bytes of such a writer when repair is
 * SIGKILLed after the rename and before it copied them (they are in the unlinked old inode).
 */
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, openSync, readSync, renameSync, statSync, writeSync, type Stats } from 'node:fs';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { SessionKeeperError } from './errors';
import { notRegularFile } from './jsonl-reader';
import { LockCompromisedError, type LockLease } from './lock';

/**
 * Named points of a repair, in order, each right before an await (or a commit syscall):
 * `locked` (lock held, file checked), `opened` (original open), `chunk` (after each parsed and
 * flushed chunk), `parsed`, then the commit: `temp-written`, `temp-synced`, `quarantine-opened`,
 * `quarantine-written`, `quarantine-synced`, `carry-over` (late bytes found before the rename,
 * their size read, before copying them), `before-rename`, `renamed`, `carry-over-renamed` (the
 * same after the rename), `tail-copied`, `committed`. Clean files stop after `parsed`;
 * `quarantine-*` only when something was quarantined, `carry-over*` only when bytes came late.
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
  | 'carry-over'
  | 'before-rename'
  | 'renamed'
  | 'carry-over-renamed'
  | 'tail-copied'
  | 'committed';

/** The file being repaired, held open from before it is read until after it is replaced. */
export interface OriginalFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  /** Its first bytes (up to SAMPLE_BYTES) as opened: they must read the same at the commit. */
  head: Buffer;
}

/** How many bytes at each end of what was read are compared again right before the commit. */
const SAMPLE_BYTES = 4096;

function readAtSync(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Thrown when the file is replaced, truncated or moved by someone else during a repair. */
export class FileChangedError extends SessionKeeperError {
  declare readonly code: 'EFILECHANGED';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super('EFILECHANGED', `${file} changed while being repaired (${reason}); nothing was replaced, run the repair again`);
  }
}

/**
 * Thrown when the file to repair has more than one name (hard links, nlink > 1). Repair replaces
 * the file by rename, which would give only this name the repaired copy: the other names would
 * keep the old file, and appends through them (locked under their own name) would go there.
 */
export class HardLinkedFileError extends SessionKeeperError {
  declare readonly code: 'EHARDLINKED';
  constructor(
    readonly file: string,
    readonly links: number,
  ) {
    super(
      'EHARDLINKED',
      `${file} has ${links} hard links; repair would split them into two files (it replaces the file by rename), ` +
        'so it refuses. Remove the other names (keep one, or use symbolic links) and repair again; nothing was changed',
    );
  }
}

/**
 * Opens `file` (the lock's canonical path) for reading without blocking on a FIFO, and checks it
 * is the regular file `expected` (lstat of the path the caller named). Throws FileChangedError
 * when it is another one, HardLinkedFileError when it has more than one name.
 */
export async function openOriginal(file: string, expected: Stats): Promise<OriginalFile> {
  const handle = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== expected.dev || st.ino !== expected.ino) {
      throw new FileChangedError(file, 'another file took its place before it was opened');
    }
    if (st.nlink > 1) throw new HardLinkedFileError(file, st.nlink);
    const head = Buffer.alloc(Math.min(SAMPLE_BYTES, st.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { handle, dev: st.dev, ino: st.ino, head: head.subarray(0, bytesRead) };
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
  /** Bytes of the original accounted for so far: bytesRead, then late bytes carried over. */
  copiedUpTo?: number;
  /** The last bytes read (up to SAMPLE_BYTES, ending at bytesRead), taken as the commit starts. */
  tail?: Buffer;
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

/** Copies bytes [from, to) of `src` to `dest` at `destPos` (null: its position); returns the bytes copied. */
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
  if (now.nlink > 1) throw new HardLinkedFileError(c.file, now.nlink);
  const accounted = c.copiedUpTo ?? c.bytesRead;
  if (now.size < accounted) throw new FileChangedError(c.file, `it shrank from ${accounted} to ${now.size} bytes`);
  // Truncated and written again by a writer that bypasses the lock: the size alone may not show.
  const fd = c.original.handle.fd;
  if (!readAtSync(fd, c.original.head.length, 0).equals(c.original.head)) {
    throw new FileChangedError(c.file, 'its first bytes were rewritten');
  }
  if (c.tail && !readAtSync(fd, c.tail.length, c.bytesRead - c.tail.length).equals(c.tail)) {
    throw new FileChangedError(c.file, 'the last bytes read were rewritten');
  }
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
 * Before the rename, into the temp file (ours alone, so no lease is needed to write it): what
 * reached the original past what is accounted for, until a look finds nothing new.
 */
async function carryOverBeforeRename(c: RepairCommit): Promise<void> {
  for (;;) {
    const from = c.copiedUpTo ?? c.bytesRead;
    const size = fstatSync(c.original.handle.fd).size;
    if (size <= from) return;
    c.onPhase('carry-over');
    // The temp file's position is at its end: it was only ever written sequentially.
    const n = await copyRange(c.original.handle, from, size, c.tmp, null, c.chunkBytes);
    if (n === 0) return;
    c.copiedUpTo = from + n;
  }
}

function writeAllSync(fd: number, buf: Buffer, length: number): void {
  let done = 0;
  while (done < length) done += writeSync(fd, buf, done, length - done);
}

/**
 * Synchronously copies what reached the original past what is accounted for to `destFd`, until
 * a look finds nothing new; `beforeWrite` runs right before every write (in the same turn).
 */
function copyLateSync(c: RepairCommit, destFd: number, beforeWrite: () => void, onFound: () => void): void {
  const buf = Buffer.allocUnsafe(Math.max(1, c.chunkBytes));
  const srcFd = c.original.handle.fd;
  for (;;) {
    const size = fstatSync(srcFd).size;
    let from = c.copiedUpTo ?? c.bytesRead;
    if (size <= from) return;
    onFound();
    while (from < size) {
      beforeWrite();
      const n = readSync(srcFd, buf, 0, Math.min(buf.length, size - from), from);
      if (n === 0) return;
      writeAllSync(destFd, buf, n);
      from += n;
      c.copiedUpTo = from;
    }
  }
}

/**
 * The lease was lost after the rename: the late bytes not yet copied must not go into the live
 * file (another holder may be writing it), nor be lost with the old inode. Saves them to a new
 * `FILE.late-<ms>-<pid>` (mode 0600, fsynced) and returns its path.
 */
function saveLateBytes(c: RepairCommit): string {
  const rescue = `${c.file}.late-${Date.now()}-${process.pid}`;
  const fd = openSync(
    rescue,
    fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0),
    0o600,
  );
  try {
    copyLateSync(c, fd, () => undefined, () => undefined);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return rescue;
}

/**
 * After the rename: appends what still reaches the old inode to the new (now live) file, through
 * `appendFd` (O_APPEND: at its end, whatever else was appended meanwhile), checking the lease
 * right before every write. When the lease is lost, saves the rest (saveLateBytes) and throws
 * LockCompromisedError saying where.
 */
function carryOverAfterRename(c: RepairCommit, appendFd: number): void {
  try {
    copyLateSync(c, appendFd, () => c.lease.assertHeld(), () => c.onPhase('carry-over-renamed'));
  } catch (err) {
    if (!(err instanceof LockCompromisedError)) throw err;
    const from = c.copiedUpTo ?? c.bytesRead;
    if (fstatSync(c.original.handle.fd).size <= from) throw err;
    const rescue = saveLateBytes(c);
    throw new LockCompromisedError(
      c.file,
      err.reason,
      { cause: err },
      `the file was replaced by its repaired copy, but bytes ${from} to ${c.copiedUpTo ?? from} that reached ` +
        `the old file after the rename were not copied into it; they are saved in ${rescue}`,
    );
  }
  if (c.copiedUpTo !== undefined && c.copiedUpTo > c.bytesRead) fsyncSync(appendFd);
}

/**
 * Replaces `c.file` by the temp file (see the module header). Throws LockCompromisedError when
 * the lock was lost before the rename (nothing replaced, the quarantine possibly appended, which
 * at worst quarantines the same bytes twice) or after it (replaced, late bytes carried over);
 * FileChangedError when the original was replaced, truncated or moved; the signal's reason when
 * aborted before the rename.
 */
export async function commitRepair(c: RepairCommit): Promise<void> {
  const tailLength = Math.min(SAMPLE_BYTES, c.bytesRead);
  const tail = Buffer.alloc(tailLength);
  const { bytesRead: tailRead } = await c.original.handle.read(tail, 0, tailLength, c.bytesRead - tailLength);
  if (tailRead !== tailLength) throw new FileChangedError(c.file, `it shrank below the ${c.bytesRead} bytes read`);
  c.tail = tail;
  c.onPhase('temp-written');
  await c.tmp.chmod(c.mode & 0o7777);
  await c.tmp.sync();
  c.onPhase('temp-synced');
  c.signal?.throwIfAborted();
  if (c.quarantineTmpPath !== null) {
    checkBeforeCommit(c);
    await appendQuarantine(c, c.quarantineTmpPath);
  }
  await carryOverBeforeRename(c);
  await c.tmp.sync();
  // Opened before the rename, so that it is the new file's; appends never overwrite.
  const appendFd = openSync(c.tmpPath, fsConstants.O_WRONLY | fsConstants.O_APPEND);
  try {
    c.onPhase('before-rename');
    // Last moment to back out with the original untouched. From here to renameSync: no await.
    c.signal?.throwIfAborted();
    checkBeforeCommit(c);
    // What came since the last look, into the temp file (still ours alone), in this same turn.
    copyLateSync(c, appendFd, () => undefined, () => undefined);
    renameSync(c.tmpPath, c.file);
    c.committed = true;
    c.onPhase('renamed');
    carryOverAfterRename(c, appendFd);
  } finally {
    closeSync(appendFd);
  }
  c.onPhase('tail-copied');
  c.lease.assertHeld();
  await fsyncDir(path.dirname(c.file));
  c.onPhase('committed');
}
