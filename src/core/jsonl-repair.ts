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
 * bytes that reached the old file late (repair-commit.ts).
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SessionKeeperError } from './errors';
import { SymlinkRefusedError } from './file-errors';
import { withLock, type LockOptions } from './lock';
import { fileAsOpened } from './lock-target';
import { commitRepair, FileChangedError, openOriginal, type OriginalFile, type RepairCommit, type RepairPhase } from './repair-commit';
import {
  JsonlParser,
  parseFileChunks,
  notRegularFile,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_PROBLEMS,
  type JsonlProblem,
  type JsonlStats,
  type ParseSink,
  isFormatProblem,
  type NonUtf8Encoding,
} from './jsonl-reader';

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

const LF = 0x0a;
const BACKGROUND_SYNC_BYTES = 16 * 1024 * 1024;

/**
 * Repair refused because the file is not UTF-8 text; the file and its quarantine are left
 * untouched. `code` is 'EJSONLENCODING'. `encoding` is the encoding detected (UTF-16LE/BE,
 * UTF-32LE/BE), or null when none was, but the file has no record and NUL bytes interleaved
 * with its text (see SHORT_NUL_RUNS_REFUSED), as text in a wide encoding has.
 */
export class JsonlEncodingError extends SessionKeeperError {
  declare readonly code: 'EJSONLENCODING';
  constructor(
    readonly file: string,
    readonly encoding: NonUtf8Encoding | null,
    shortNulRuns = 0,
  ) {
    super(
      'EJSONLENCODING',
      encoding !== null
        ? `${file} is ${encoding}, not UTF-8; refusing to repair it (convert it first, e.g. iconv -f ${encoding} -t UTF-8)`
        : `${file} does not read as UTF-8 JSON Lines: no record, and NUL bytes interleaved with its text ` +
            `(${shortNulRuns} runs of 1 to 3 NULs, as in UTF-16 or UTF-32 text); refusing to repair it, which would ` +
            `empty it (convert it to UTF-8 first, or move it aside if it is only crash residue)`,
    );
  }
}

/**
 * Repair refuses a file from which it would keep no record when it has at least this many runs
 * of 1 to 3 NUL bytes. Text in UTF-16 or UTF-32 has such a run in (nearly) every ASCII
 * character, so an encoding detection can miss (a damaged first line) is still not emptied;
 * crash holes are runs as long as the writes they lost, and a file of nothing but holes has
 * one run (or a few, between torn lines), so ordinary crash residue is still repaired. Refusing
 * loses nothing: the file stays as it is, and check still reports every problem.
 */
export const SHORT_NUL_RUNS_REFUSED = 4;

/** A range of the original file to copy into an output at byte `at` of its buffer. */
interface FileCopy {
  at: number;
  offset: number;
  length: number;
}

/** Accumulates output between flushes; grows as needed, reused afterwards. */
class ByteBuffer {
  buf = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  append(src: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    src.copy(this.buf, this.length, start, end);
    this.length += end - start;
  }

  appendByte(byte: number): void {
    this.reserve(1);
    this.buf[this.length++] = byte;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

/** Turns parser events into repaired-file bytes and quarantine bytes. */
class RepairSink implements ParseSink {
  /** While clean: the output so far equals input bytes [0, cleanUpTo). */
  cleanUpTo = 0;
  dirty = false;
  /** Input offset up to which the output is a verbatim copy, fixed when we turned dirty. */
  prefixLength = 0;
  kept = 0;
  recovered = 0;
  quarantined = 0;
  quarantinedBytes = 0;
  reformatted = 0;
  crlfEndings = 0;
  finalNewlineAdded = false;
  /** 'nul-bytes' problems 1 to 3 bytes long (see SHORT_NUL_RUNS_REFUSED). */
  shortNulRuns = 0;
  readonly problems: JsonlProblem[] = [];
  readonly out = new ByteBuffer();
  readonly quarantine = new ByteBuffer();
  /** Oversized records and 'too-long' lines: copied from the original when flushed. */
  readonly outCopies: FileCopy[] = [];
  readonly quarantineCopies: FileCopy[] = [];

  constructor(
    private readonly maxProblems: number,
    private readonly file = '',
  ) {}

  private turnDirty(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.prefixLength = this.cleanUpTo;
  }

  record(
    _value: unknown,
    _line: number,
    offset: number,
    length: number,
    recovered: boolean,
    bytes: Buffer,
    start: number,
    lineEnd: number,
  ): void {
    this.kept++;
    if (recovered) this.recovered++;
    this.ending(offset + length, lineEnd, recovered);
    if (!this.dirty) {
      // Canonical: directly after the previous record, whole line, plain '\n' ending.
      if (!recovered && offset === this.cleanUpTo && lineEnd === offset + length) {
        this.cleanUpTo = lineEnd + 1;
        return;
      }
      this.turnDirty();
    }
    this.out.append(bytes, start, start + length);
    this.out.appendByte(LF);
  }

  oversizedRecord(_line: number, offset: number, length: number, lineEnd: number): void {
    this.kept++;
    this.ending(offset + length, lineEnd, false);
    if (!this.dirty) {
      if (offset === this.cleanUpTo && lineEnd === offset + length) {
        this.cleanUpTo = lineEnd + 1;
        return;
      }
      this.turnDirty();
    }
    this.outCopies.push({ at: this.out.length, offset, length });
    this.out.appendByte(LF);
  }

  problem(problem: JsonlProblem, bytes: Buffer | null, start: number): void {
    if (problem.kind === 'not-utf8') throw new JsonlEncodingError(this.file, problem.encoding ?? null);
    if (problem.kind === 'nul-bytes' && problem.length <= 3) this.shortNulRuns++;
    this.turnDirty();
    if (this.problems.length < this.maxProblems) this.problems.push(problem);
    if (isFormatProblem(problem.kind)) {
      this.reformatted++;
      return;
    }
    this.quarantined++;
    this.quarantinedBytes += problem.length;
    if (bytes) this.quarantine.append(bytes, start, start + problem.length);
    else this.quarantineCopies.push({ at: this.quarantine.length, offset: problem.offset, length: problem.length });
    this.quarantine.appendByte(LF);
  }

  /** Counts a record line's ending that the rewrite normalises (a recovered record's line is damaged anyway). */
  private ending(end: number, lineEnd: number, recovered: boolean): void {
    if (lineEnd < 0) this.finalNewlineAdded = true;
    else if (!recovered && lineEnd > end) this.crlfEndings++;
  }

  /** Trailing formatting (blank lines, a missing final newline...) also makes the file dirty. */
  finish(size: number): void {
    if (!this.dirty && this.cleanUpTo !== size) this.turnDirty();
  }
}

/**
 * Writes what `buf` holds to `dest`, with each copy's file range read from `src` and written at
 * its place; empties both. Returns the bytes written. FileChangedError when `file` (the source's name) shrank.
 */
async function writeWithCopies(dest: FileHandle, buf: ByteBuffer, copies: FileCopy[], src: FileHandle, file: string, chunkBytes: number): Promise<number> {
  let at = 0;
  let written = 0;
  for (const c of copies) {
    await writeAll(dest, buf.buf.subarray(at, c.at), c.at - at);
    const piece = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(c.length, 1)));
    for (let pos = c.offset; pos < c.offset + c.length; ) {
      const { bytesRead } = await src.read(piece, 0, Math.min(piece.length, c.offset + c.length - pos), pos);
      if (bytesRead === 0) throw new FileChangedError(file, `it shrank below the ${c.offset + c.length} bytes read`);
      await writeAll(dest, piece, bytesRead);
      pos += bytesRead;
    }
    written += c.at - at + c.length;
    at = c.at;
  }
  await writeAll(dest, buf.buf.subarray(at, buf.length), buf.length - at);
  written += buf.length - at;
  buf.length = 0;
  copies.length = 0;
  return written;
}

async function writeAll(fh: FileHandle, buf: Buffer, length: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(buf, done, length - done);
    done += bytesWritten;
  }
}

/** Copies bytes [0, length) of `src` to the end of `dest`. */
async function copyPrefix(src: FileHandle, file: string, dest: FileHandle, length: number, chunkBytes: number): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(length, 1)));
  let pos = 0;
  while (pos < length) {
    const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, length - pos), pos);
    if (bytesRead === 0) throw new FileChangedError(file, `it shrank below the ${length} bytes read`);
    await writeAll(dest, buf, bytesRead);
    pos += bytesRead;
  }
}

/**
 * True when `file` is a non-empty regular file whose last byte is not '\n'. False when it is
 * missing, empty, ends in '\n', or is not a regular file (the commit refuses those).
 */
async function endsWithoutNewline(file: string): Promise<boolean> {
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
      const parser = new JsonlParser(sink, { maxLineBytes: options.maxLineBytes ?? undefined });
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

        const result: RepairResult = {
          file: target,
          kept: sink.kept,
          recovered: sink.recovered,
          quarantined: sink.quarantined,
          reformatted: sink.reformatted,
          quarantinedBytes: sink.quarantinedBytes,
          quarantinePath: sink.quarantined > 0 ? quarantinePath : null,
          crlfEndings: sink.crlfEndings,
          finalNewlineAdded: sink.finalNewlineAdded,
          changed: sink.dirty,
          problems: sink.problems,
          before,
        };
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
