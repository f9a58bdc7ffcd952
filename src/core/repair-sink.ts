// What a repair writes: the sink that turns the parser's events into repaired-file bytes and
// quarantine bytes (copying long spans from the original by offset instead of holding them), and
// the writes of those buffers. The repair's driver, its lock and its commit: jsonl-repair.ts.
import type { FileHandle } from 'node:fs/promises';
import { SessionKeeperError } from './errors';
import { FileChangedError } from './repair-commit';
import { isFormatProblem, type JsonlProblem, type JsonlStats, type NonUtf8Encoding, type ParseSink } from './jsonl-reader';
import type { RepairResult } from './jsonl-repair';

/** The line feed byte, JSON Lines' one separator. */
export const LF = 0x0a;

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
export interface FileCopy {
  at: number;
  offset: number;
  length: number;
}

/** Accumulates output between flushes; grows as needed, reused afterwards. */
export class ByteBuffer {
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

/**
 * Turns parser events into repaired-file bytes and quarantine bytes (also used whole-file, in
 * memory, by jsonl-repair-apply.ts).
 */
export class RepairSink implements ParseSink {
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
  /**
   * What a repair of `file` made of it, from this sink's counts once parsing ended with stats
   * `before`; `quarantinePath` is named only when something was quarantined. `changed` is
   * whether the output differs from the input (a strict file is never rewritten: callers clear
   * it, and the CRLF and final-newline counts, when `before` has no problem).
   */
  result(file: string, quarantinePath: string, before: JsonlStats): RepairResult {
    return {
      file,
      kept: this.kept,
      recovered: this.recovered,
      quarantined: this.quarantined,
      reformatted: this.reformatted,
      quarantinedBytes: this.quarantinedBytes,
      quarantinePath: this.quarantined > 0 ? quarantinePath : null,
      crlfEndings: this.crlfEndings,
      finalNewlineAdded: this.finalNewlineAdded,
      changed: this.dirty,
      problems: this.problems,
      before,
    };
  }

}

/**
 * Writes what `buf` holds to `dest`, with each copy's file range read from `src` and written at
 * its place; empties both. Returns the bytes written. FileChangedError when `file` (the source's name) shrank.
 */
export async function writeWithCopies(dest: FileHandle, buf: ByteBuffer, copies: FileCopy[], src: FileHandle, file: string, chunkBytes: number): Promise<number> {
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

export async function writeAll(fh: FileHandle, buf: Buffer, length: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(buf, done, length - done);
    done += bytesWritten;
  }
}

/** Copies bytes [0, length) of `src` to the end of `dest`. */
export async function copyPrefix(src: FileHandle, file: string, dest: FileHandle, length: number, chunkBytes: number): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(length, 1)));
  let pos = 0;
  while (pos < length) {
    const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, length - pos), pos);
    if (bytesRead === 0) throw new FileChangedError(file, `it shrank below the ${length} bytes read`);
    await writeAll(dest, buf, bytesRead);
    pos += bytesRead;
  }
}
