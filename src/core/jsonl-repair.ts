/**
 * Lossless JSONL repair: keeps every record, moves every damaged byte to a quarantine file.
 *
 * Under the file's lock the file is streamed through the reader's parser. Output:
 * - the repaired file, strict JSON Lines: every record (valid, recovered and oversized, in file
 *   order), each written byte-for-byte as its span appeared, followed by '\n'. Oversized records
 *   (valid lines over maxLineBytes) are copied from the original by offset, never held whole;
 * - `FILE.quarantine` (appended to, mode 0600): every damage problem's span byte-for-byte, one per
 *   line (a span never contains '\n', so the separators are unambiguous; a '\n' is added first
 *   when the existing quarantine does not end in one); 'too-long' lines are copied by offset too. Format problems (fused values, bare CRs, a BOM, blank lines)
 *   quarantine nothing; rewriting the records one per line fixes them;
 * - dropped as formatting: a UTF-8 BOM at offset 0, the '\r' of CRLF line endings, blank and
 *   whitespace-only lines, JSON whitespace between fused values and around damaged bytes, and
 *   the '\n' of lines that held no record (a newline is added after a final record that had none).
 * Hence original bytes = record spans + quarantined spans + those formatting bytes, exactly
 * (see the reader's header for the classification).
 *
 * Writing is lazy: while the output would equal the input, nothing is written. A clean file is
 * therefore never rewritten (same inode, same mtime), and neither is a strict one (no problem,
 * but CRLF endings or no final newline: what check passes), whose temp copy is discarded. Once a difference shows up, the identical
 * prefix is copied and the rest streamed to a temp file beside the original, which is fsynced,
 * the quarantine appended and fsynced, and only then the temp file renamed over the original and
 * the directory fsynced. A crash before the rename leaves the original as it was (at worst its
 * damaged bytes are quarantined twice by the next repair); after it, the new file is complete.
 * The commit re-checks the lock and the file right before it replaces anything, and carries over
 * bytes that reached the old file late (repair-commit.ts). What goes to which output, byte by
 * byte: repair-sink.ts.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SymlinkRefusedError } from './file-errors';
import { withLock, type LockOptions } from './lock';
import { fileAsOpened } from './lock-target';
import { commitRepair, openOriginal, type OriginalFile, type RepairCommit, type RepairPhase } from './repair-commit';
import {
  JsonlParser,
  parseFileChunks,
  notRegularFile,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_PROBLEMS,
  type JsonlProblem,
  type JsonlStats,
} from './jsonl-reader';
import { copyPrefix, JsonlEncodingError, LF, RepairSink, SHORT_NUL_RUNS_REFUSED, writeAll, writeWithCopies } from './repair-sink';

export interface RepairOptions {
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  lock?: LockOptions;
  /**
   * Passed to the reader: longer lines are streamed, never held; kept when valid JSON (copied by
   * offset), quarantined as 'too-long' when not.
   */
  maxLineBytes?: number;
  chunkBytes?: number;
  /** Cap of `problems` in the result. Default 1000. */
  maxProblems?: number;
  /**
   * Called synchronously at each named point of the repair (RepairPhase), for progress display
   * and for tests that stop the repair there. It may block; it must not touch the file.
   */
  onPhase?(phase: RepairPhase): void;
}

export type { RepairPhase } from './repair-commit';
export { JsonlEncodingError, SHORT_NUL_RUNS_REFUSED } from './repair-sink';

export interface RepairResult {
  file: string;
  /** Records in the repaired file (including recovered ones). */
  kept: number;
  /** Records salvaged from damaged lines. */
  recovered: number;
  /** Quarantined segments (= damage problems found). */
  quarantined: number;
  /** Format problems fixed by rewriting (fused values, bare-CR line breaks, a UTF-8 BOM, blank lines). */
  reformatted: number;
  quarantinedBytes: number;
  /** Null when nothing was quarantined by this run. */
  quarantinePath: string | null;
  /**
   * Formatting the rewrite changed besides the problems: records whose line ended in '\r\n' (or
   * more CRs) now end in '\n'; whether a '\n' was added after a last record that had none.
   * Both are 0/false when the file was left untouched.
   */
  crlfEndings: number;
  finalNewlineAdded: boolean;
  /**
   * False when the file was left untouched: it was already canonical, or it was strict JSON
   * Lines (no problem at all; CRLF endings and a missing final newline are allowed there), which
   * repair never rewrites.
   */
  changed: boolean;
  /** The problems found, up to maxProblems. */
  problems: JsonlProblem[];
  /** The reader's statistics of the file as it was before the repair. */
  before: JsonlStats;
}

const BACKGROUND_SYNC_BYTES = 16 * 1024 * 1024;


/**
 * True when `file` is a non-empty regular file whose last byte is not '\n'. False when it is
 * missing, empty, ends in '\n', or is not a regular file (the commit refuses those).
 */
export async function endsWithoutNewline(file: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    // As the commit opens it: no symlink followed, no blocking on a FIFO.
    fh = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0));
  } catch {
    return false;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size === 0) return false;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, st.size - 1);
    return last[0] !== LF;
  } finally {
    await fh.close();
  }
}

function tempName(file: string, what: string): string {
  const dir = path.dirname(file);
  return path.join(dir, `.${path.basename(file)}.${what}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Repairs `file` in place (see the module header). Rejects with the signal's reason when aborted
 * before the rename, leaving the original untouched and no temp files behind. Every path to the
 * same file shares one lock (lockTargetFor); the file itself is worked on under that canonical
 * path, and replaced only after the checks of repair-commit.ts (LockCompromisedError when the
 * lock was lost, FileChangedError when the file was replaced or truncated meanwhile).
 */
export async function repairJsonl(file: string, options: RepairOptions = {}): Promise<RepairResult> {
  // As open(2) reaches it (`..` after a symlinked directory goes where the link points).
  const target = fileAsOpened(file);
  const { signal } = options;
  signal?.throwIfAborted();
  return withLock(
    target,
    async (lockSignal, lease) => {
      // The path as given (not lexically resolved): `..` after a symlinked directory goes where
      // open(2) goes, as lease.target does.
      const st = await fsp.lstat(file);
      if (st.isSymbolicLink()) {
        throw new SymlinkRefusedError(target, `${target} is a symbolic link; repair the file it points to instead`);
      }
      if (!st.isFile()) throw notRegularFile(target);
      const phase = options.onPhase ?? ((): void => undefined);
      phase('locked');
      // Open from before the read to after the rename (see repair-commit.ts).
      const original: OriginalFile = await openOriginal(lease.target, st);
      try {
        phase('opened');
      } catch (err) {
        // A hook may stop the repair here (the MCP server's folder guard does): close what we opened.
        await original.handle.close();
        throw err;
      }

      const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
      const sink = new RepairSink(options.maxProblems ?? DEFAULT_MAX_PROBLEMS, target);
      const parser = new JsonlParser(sink, { maxLineBytes: options.maxLineBytes ?? undefined, values: false });
      const quarantinePath = `${lease.target}.quarantine`;
      const tmpPath = tempName(lease.target, 'repair');
      const qTmpPath = tempName(lease.target, 'quarantine');
      let tmp: FileHandle | undefined;
      let qTmp: FileHandle | undefined;
      let commit: RepairCommit | undefined;
      let unsynced = 0;
      let backgroundSync: Promise<void> | undefined;

      const flush = async (): Promise<void> => {
        if (!sink.dirty) return;
        if (!tmp) {
          tmp = await fsp.open(tmpPath, 'wx', 0o600);
          await copyPrefix(original.handle, target, tmp, sink.prefixLength, chunkBytes);
        }
        if (sink.out.length > 0) {
          unsynced += await writeWithCopies(tmp, sink.out, sink.outCopies, original.handle, target, chunkBytes);
          // Flush to disk in the background while parsing goes on, so the final fsync does not
          // have the whole file to write at once (the disk and the CPU then work in parallel).
          if (unsynced >= BACKGROUND_SYNC_BYTES) {
            if (backgroundSync) await backgroundSync;
            backgroundSync = tmp.datasync();
            unsynced = 0;
          }
        }
        if (sink.quarantine.length > 0) {
          if (!qTmp) {
            qTmp = await fsp.open(qTmpPath, 'wx', 0o600);
            // Each quarantined span starts a line, also after a quarantine someone left unterminated.
            if (await endsWithoutNewline(quarantinePath)) await writeAll(qTmp, Buffer.from([LF]), 1);
          }
          await writeWithCopies(qTmp, sink.quarantine, sink.quarantineCopies, original.handle, target, chunkBytes);
        }
      };

      try {
        const chunks = parseFileChunks(lease.target, parser, {
          chunkBytes,
          ...(signal ? { signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        let step = await chunks.next();
        while (!step.done) {
          await flush();
          if (lockSignal.aborted) throw lockSignal.reason;
          phase('chunk');
          step = await chunks.next();
        }
        const before = step.value;
        sink.finish(before.bytes);
        if (sink.kept === 0 && sink.shortNulRuns >= SHORT_NUL_RUNS_REFUSED) {
          throw new JsonlEncodingError(target, null, sink.shortNulRuns);
        }
        await flush();
        phase('parsed');

        const result = sink.result(target, quarantinePath, before);
        // Strict JSON Lines (what check passes) is never rewritten: only its CRLF endings or
        // missing final newline would change. The temp copy is discarded below.
        if (before.problemCount === 0) {
          return { ...result, crlfEndings: 0, finalNewlineAdded: false, changed: false };
        }
        if (!tmp) return result;

        await backgroundSync;
        backgroundSync = undefined;
        if (lockSignal.aborted) throw lockSignal.reason;
        const quarantineTmpPath = qTmp ? qTmpPath : null;
        if (qTmp) {
          await qTmp.close();
          qTmp = undefined;
        }
        commit = {
          file: lease.target,
          original,
          bytesRead: before.bytes,
          mode: st.mode,
          tmp,
          tmpPath,
          quarantineTmpPath,
          quarantinePath,
          chunkBytes,
          lease,
          signal,
          onPhase: phase,
          committed: false,
        };
        await commitRepair(commit);
        return result;
      } finally {
        await backgroundSync?.catch(() => undefined);
        await original.handle.close();
        await tmp?.close();
        await qTmp?.close();
        if (!commit?.committed) await fsp.rm(tmpPath, { force: true });
        await fsp.rm(qTmpPath, { force: true });
      }
    },
    options.lock,
  );
}
