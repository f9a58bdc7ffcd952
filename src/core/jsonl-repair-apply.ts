/**
 * Repair of a JSONL file whose new content is written by someone else: the editor, which applies
 * it to the open document as one edit and saves it, so that Undo brings the old text back like
 * any edit and the buffer never silently differs from the disk.
 *
 * Under the file's lock, in one hold: read the whole file (it is open in an editor, so it fits in
 * memory; `maxBytes` caps it), check that it is the text the caller holds (`expected`), compute
 * the repaired bytes and the quarantine bytes exactly as repairJsonl does (the same RepairSink),
 * append the quarantine and fsync it FIRST, then let `write` put the repaired bytes in place,
 * then read the file back: it must hold exactly the repaired bytes.
 *
 * Data safety, as repairJsonl's: every damaged byte is in `FILE.quarantine` (fsynced) before the
 * file changes; when `write` fails or writes something else, the original text is still in the
 * caller's hands (the editor's undo) and its damaged bytes are in the quarantine, so nothing is
 * lost (a later repair may quarantine them a second time, as after a crash of repairJsonl).
 * Unlike repairJsonl there is no temp file and no rename: the writer owns the file's identity.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { SessionKeeperError } from './errors';
import { SymlinkRefusedError } from './file-errors';
import { JsonlParser, notRegularFile, DEFAULT_MAX_PROBLEMS } from './jsonl-reader';
import { endsWithoutNewline, type RepairResult } from './jsonl-repair';
import { ByteBuffer, JsonlEncodingError, RepairSink, SHORT_NUL_RUNS_REFUSED, type FileCopy } from './repair-sink';
import { fileAsOpened } from './lock-target';
import { withLock, type LockOptions } from './lock';
import { fsyncDir } from './repair-commit';

/** Files larger than this are repaired on disk (repairJsonl), never through an editor. */
export const DEFAULT_APPLY_MAX_BYTES = 64 * 1024 * 1024;

export interface RepairApplyOptions {
  /**
   * The bytes the caller believes the file holds (an editor's saved text). When the file holds
   * anything else, nothing is written and RepairSourceMismatchError is thrown.
   */
  expected?: Uint8Array;
  /** Largest file accepted, in bytes (default 64 MiB); larger ones throw RepairTooLargeError. */
  maxBytes?: number;
  maxLineBytes?: number;
  maxProblems?: number;
  lock?: LockOptions;
  /** Cancels the repair until the quarantine is written (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The file is not the text the caller holds; nothing was written. `code` 'EREPAIRMISMATCH'. */
export class RepairSourceMismatchError extends SessionKeeperError {
  constructor(readonly file: string) {
    super('EREPAIRMISMATCH', `${file} on disk differs from the text being repaired (unsaved, re-encoded or changed line endings); nothing was changed`);
  }
}

/** The file is larger than `maxBytes`; nothing was written. `code` 'EREPAIRTOOLARGE'. */
export class RepairTooLargeError extends SessionKeeperError {
  constructor(
    readonly file: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super('EREPAIRTOOLARGE', `${file} has ${size} bytes, more than the ${maxBytes} repaired in memory`);
  }
}

/**
 * The writer left the file with other bytes than the repaired ones. `code` 'EREPAIRNOTAPPLIED'.
 * The quarantine holds the damaged bytes; the caller still has the original text.
 */
export class RepairNotAppliedError extends SessionKeeperError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('EREPAIRNOTAPPLIED', `${file} does not hold the repaired text after it was saved (${detail}); its damaged bytes are in the quarantine, and Undo brings the old text back`);
  }
}

/** Resolves the outputs' byte-range copies from the whole original `src`. */
function materialize(buf: ByteBuffer, copies: FileCopy[], src: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const c of copies) {
    parts.push(buf.buf.subarray(at, c.at), src.subarray(c.offset, c.offset + c.length));
    at = c.at;
  }
  parts.push(buf.buf.subarray(at, buf.length));
  return Buffer.concat(parts);
}

/** Appends `bytes` to the quarantine as repair-commit.ts does: no symlink, no FIFO, a file only, fsynced. */
async function appendQuarantine(quarantinePath: string, bytes: Buffer): Promise<void> {
  const existed = await fsp.lstat(quarantinePath).then(
    () => true,
    () => false,
  );
  const lead = existed && (await endsWithoutNewline(quarantinePath)) ? Buffer.from('\n') : Buffer.alloc(0);
  const fh = await fsp.open(
    quarantinePath,
    fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0),
    0o600,
  );
  try {
    if (!(await fh.stat()).isFile()) throw notRegularFile(quarantinePath);
    const all = Buffer.concat([lead, bytes]);
    for (let done = 0; done < all.length; ) done += (await fh.write(all, done, all.length - done)).bytesWritten;
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (!existed) await fsyncDir(path.dirname(quarantinePath));
}

/**
 * Repairs `file` with `write` putting the repaired bytes in place (see the module header).
 * `write` is called at most once, under the lock, after the quarantine is on disk; it is not
 * called when the file needs no repair (`changed` false). Resolves with repairJsonl's result
 * shape. Throws RepairSourceMismatchError, RepairTooLargeError, JsonlEncodingError (nothing
 * written), RepairNotAppliedError (quarantine written, file not as repaired), or whatever
 * `write` throws (quarantine written), and the lock's errors.
 */
export async function repairJsonlWith(
  file: string,
  write: (repaired: Buffer, result: RepairResult) => Promise<void>,
  options: RepairApplyOptions = {},
): Promise<RepairResult> {
  const target = fileAsOpened(file);
  const maxBytes = options.maxBytes ?? DEFAULT_APPLY_MAX_BYTES;
  options.signal?.throwIfAborted();
  return withLock(
    target,
    async (_signal, lease) => {
      // Waiting for the lock may take a while (another writer holds it): the person may have cancelled.
      options.signal?.throwIfAborted();
      const st = await fsp.lstat(file);
      if (st.isSymbolicLink()) throw new SymlinkRefusedError(target, `${target} is a symbolic link; repair the file it points to instead`);
      if (!st.isFile()) throw notRegularFile(target);
      if (st.size > maxBytes) throw new RepairTooLargeError(target, st.size, maxBytes);
      const original = await fsp.readFile(lease.target);
      if (options.expected && !Buffer.from(options.expected.buffer, options.expected.byteOffset, options.expected.byteLength).equals(original)) {
        throw new RepairSourceMismatchError(target);
      }
      const sink = new RepairSink(options.maxProblems ?? DEFAULT_MAX_PROBLEMS, target);
      const parser = new JsonlParser(sink, { maxLineBytes: options.maxLineBytes ?? undefined });
      parser.push(original);
      const before = parser.end();
      sink.finish(before.bytes);
      if (sink.kept === 0 && sink.shortNulRuns >= SHORT_NUL_RUNS_REFUSED) throw new JsonlEncodingError(target, null, sink.shortNulRuns);
      const quarantinePath = `${lease.target}.quarantine`;
      const result = sink.result(target, quarantinePath, before);
      // Strict JSON Lines is never rewritten (as repairJsonl).
      if (before.problemCount === 0 || !sink.dirty) return { ...result, crlfEndings: 0, finalNewlineAdded: false, changed: false };

      const repaired = Buffer.concat([original.subarray(0, sink.prefixLength), materialize(sink.out, sink.outCopies, original)]);
      const quarantine = materialize(sink.quarantine, sink.quarantineCopies, original);
      options.signal?.throwIfAborted();
      lease.assertHeld();
      if (quarantine.length > 0) await appendQuarantine(quarantinePath, quarantine);
      // A writer that bypassed the lock since the read: its bytes would be overwritten.
      lease.assertHeld();
      if (!(await fsp.readFile(lease.target)).equals(original)) throw new RepairSourceMismatchError(target);
      await write(repaired, result);
      const now = await fsp.readFile(lease.target);
      if (!now.equals(repaired)) {
        throw new RepairNotAppliedError(target, `${now.length} bytes on disk, ${repaired.length} expected`);
      }
      return result;
    },
    options.lock,
  );
}
