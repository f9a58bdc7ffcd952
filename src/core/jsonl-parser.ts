/**
 * The JSONL push parser behind the streaming, self-healing reader (jsonl-reader.ts), the
 * parallel scan (jsonl-parallel.ts), repair and the editor's diagnostics.
 *
 * Memory stays bounded whatever the file size: bytes arrive in chunks, and a line is only ever
 * buffered up to `maxLineBytes`; a longer line is streamed through a syntax validator
 * (json-syntax.ts) without being held: valid, it is an oversized record (counted, value not
 * read), else 'too-long'.
 *
 * The fast path per line is: find '\n' (memchr), then either decode the slice and JSON.parse it
 * (when values are wanted; jsonl-decode.ts picks the faster decoder per block of lines), or, with `values: false`, check its syntax on the bytes
 * (json-bytes.ts), which neither decodes nor allocates. UTF-8 is checked once per block of lines
 * (vectorised); per line only when the block has invalid bytes somewhere. A line that fails goes
 * to the classification of damaged lines (jsonl-damage.ts).
 *
 * What the reader accepts and how it classifies bytes (repair relies on this exactly):
 * - A file in UTF-16 or UTF-32 (by its byte-order mark, or by its JSON structure without one:
 *   see text-encoding.ts) is not read at all: one 'not-utf8' problem, naming the encoding,
 *   spans it.
 * - A line is the bytes up to a '\n' (excluded), or the bytes after the last '\n' (the tail).
 * - '\r' bytes directly before the '\n' (or at the end of the tail) are the line ending, not
 *   content (CRLF; any more CRs there are JSON whitespace, and keeping them in a record's span
 *   would make repair's output read back differently).
 * - A UTF-8 byte-order mark (EF BB BF) at offset 0 is skipped, and reported as 'utf8-bom'.
 * - A line that is empty or only JSON whitespace is blank: not corrupt, reported 'blank-line'.
 * - A line that JSON.parse accepts and that is valid UTF-8 is one record; its span is the whole
 *   line content (including any JSON whitespace around the value).
 * - Otherwise the line is damaged, and jsonl-damage.ts classifies its bytes (records kept from
 *   it, format problems, damage).
 * - A line longer than `maxLineBytes` (counting any '\r') is an oversized record or 'too-long'.
 * So every byte of the file is exactly one of: inside a record's span (oversized included),
 * inside a damage problem's span, or formatting (the BOM, '\n', the '\r' of a line ending,
 * JSON whitespace outside spans). Format problems (FORMAT_PROBLEM_KINDS) own no bytes.
 *
 * Statistics: `corrupted` counts lines with at least one damage problem; the ratio divides it
 * by the non-blank lines, and `warn` is ratio > 0.10. Format problems (fused values, bare-CR
 * line breaks, a BOM, blank lines) lose nothing, so they count in `problemCount` and
 * `problemsByKind` but never in `corrupted`: a file is strict JSON Lines iff problemCount is 0.
 * A UTF-16/32 file counts all its lines (line feeds as code units) as corrupted.
 *
 * Why one file of about 470 lines: the push loop, the streaming of over-long lines and the
 * encoding sniff share the carry-over state of the unfinished line; the vocabulary
 * (jsonl-problems.ts) and the classification of damaged lines (jsonl-damage.ts) are apart.
 *
 * Lines depend on nothing before them but their start: so a file can be parsed in byte ranges
 * split after a '\n' (`startOffset`, `utf8Known`), and the ranges' results merged in order are
 * the whole file's (jsonl-parallel.ts relies on this).
 */
import { isUtf8 } from 'node:buffer';
import { firstNewline, searchMemory } from './byte-search';
import { isJsonTextOfValidUtf8 } from './json-bytes';
import { JsonSyntaxValidator } from './json-syntax';
import { classifyDamagedLine, type DamageOutput } from './jsonl-damage';
import { decodeUtf8, decodeValidUtf8, looksMostlyMultibyte } from './jsonl-decode';
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  MESSAGES,
  WARN_RATIO,
  emptyStats,
  type JsonlProblem,
  type JsonlStats,
  type ProblemKind,
} from './jsonl-problems';
import { CodeUnitLineCounter, bomLength, detectEncoding, type NonUtf8Encoding } from './text-encoding';

export { detectEncoding, type NonUtf8Encoding } from './text-encoding';
export * from './jsonl-problems';

/** Lines are UTF-8-validated in blocks of about this size (see push()). */
const UTF8_BLOCK_BYTES = 64 * 1024;
/** The first bytes are held until the encoding is known (see text-encoding.ts). */
const SNIFF_BYTES = 128;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const LF = 0x0a;
const CR = 0x0d;

/**
 * Receives what the parser finds, in file order, with the raw bytes (valid only during the call).
 * `lineEnd` is the file offset of the line's '\n', or -1 for a tail without one.
 */
export interface ParseSink {
  record(
    value: unknown,
    line: number,
    offset: number,
    length: number,
    recovered: boolean,
    bytes: Buffer,
    start: number,
    lineEnd: number,
  ): void;
  /**
   * `bytes[start, start + problem.length)` are the problem's bytes; null for 'too-long' and
   * 'not-utf8', whose bytes are never held (read them from the file by offset), and 'blank-line'.
   */
  problem(problem: JsonlProblem, bytes: Buffer | null, start: number): void;
  /** A valid record longer than maxLineBytes; its bytes were never held (see ReadOptions). */
  oversizedRecord?(line: number, offset: number, length: number, lineEnd: number): void;
}

/** Options of JsonlParser. */
export interface ParserOptions {
  /** Lines longer than this many bytes are validated by streaming, never held. Default 16 MiB. */
  maxLineBytes?: number;
  /**
   * False: do not build record values: valid lines are checked on their bytes (json-bytes.ts),
   * and every record reaches the sink with `value` undefined (the same records, problems and
   * offsets, at a fraction of the cost). Default true.
   */
  values?: boolean;
  /**
   * File offset of the first byte that will be pushed, when parsing a byte range that starts
   * right after a '\n' (line numbers then count from the range's first line as 1). Default 0.
   */
  startOffset?: number;
  /**
   * True when the file is already known to be UTF-8 (its start was sniffed by the caller, see
   * text-encoding.ts): no bytes are held to detect the encoding. Implied when startOffset > 0.
   */
  utf8Known?: boolean;
}

/**
 * Push parser: feed it the file's bytes in order with push(), then call end().
 * Synchronous; the async readers drive it from file reads.
 */
export class JsonlParser implements DamageOutput {
  private readonly maxLineBytes: number;
  /** File offset of the next byte push() will receive (bytes held while sniffing included). */
  private base = 0;
  private lineNo = 0;
  // The first bytes, held until detectEncoding() can decide; null once decided.
  private sniff: Buffer | null = Buffer.alloc(SNIFF_BYTES);
  private sniffLen = 0;
  // Set when the file is UTF-16 or UTF-32: nothing is parsed, lines are counted.
  private encoding: NonUtf8Encoding | null = null;
  private encodingBom = 0;
  private unitLines: CodeUnitLineCounter | null = null;
  // The unfinished line carried over between chunks.
  private pending: Buffer = Buffer.alloc(0);
  private pendingLen = 0;
  private pendingOffset = 0;
  // An over-long line being streamed through the validator.
  private skipping = false;
  private skipOffset = 0;
  private skipLine = 0;
  private skipLen = 0;
  /** BOM bytes matched so far at the start of an over-long first line, or -1. */
  private skipHead = -1;
  private skipBom = false;
  private skipTrailingCr = 0;
  private readonly validator = new JsonSyntaxValidator();
  private readonly values: boolean;
  private readonly startOffset: number;

  readonly stats: JsonlStats = emptyStats();

  constructor(
    private readonly sink: ParseSink,
    options: ParserOptions = {},
  ) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
    this.maxLineBytes = max;
    this.values = options.values ?? true;
    const start = options.startOffset ?? 0;
    if (!Number.isInteger(start) || start < 0) throw new RangeError(`startOffset must be a non-negative integer, got ${start}`);
    this.base = start;
    this.startOffset = start;
    if (start > 0 || options.utf8Known === true) this.sniff = null;
  }

  /** Feeds the next bytes of the file. The buffer may be reused by the caller once this returns. */
  push(chunk: Buffer): void {
    const sniff = this.sniff;
    if (sniff !== null) {
      const take = Math.min(chunk.length, SNIFF_BYTES - this.sniffLen);
      chunk.copy(sniff, this.sniffLen, 0, take);
      this.sniffLen += take;
      if (this.sniffLen < SNIFF_BYTES) return;
      this.endSniff();
      if (take < chunk.length) this.pushBytes(chunk.subarray(take));
      return;
    }
    this.pushBytes(chunk);
  }

  /** Decides the encoding from the held first bytes, then parses them. */
  private endSniff(): void {
    const head = this.sniff as Buffer;
    this.sniff = null;
    this.encoding = detectEncoding(head, this.sniffLen);
    if (this.encoding !== null) {
      this.encodingBom = bomLength(this.encoding, head, this.sniffLen);
      this.unitLines = new CodeUnitLineCounter(this.encoding);
    }
    if (this.sniffLen > 0) this.pushBytes(head.subarray(0, this.sniffLen));
  }

  private pushBytes(chunk: Buffer): void {
    const n = chunk.length;
    if (this.unitLines !== null) {
      this.unitLines.push(chunk);
      this.base += n;
      return;
    }
    let p = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.skipBytes(chunk, 0, n);
        this.base += n;
        return;
      }
      this.skipBytes(chunk, 0, nl);
      this.endSkip(this.base + nl);
      p = nl + 1;
    } else if (this.pendingLen > 0) {
      const nl = chunk.indexOf(LF);
      const upTo = nl < 0 ? n : nl;
      if (this.pendingLen + upTo > this.maxLineBytes) {
        // Hand over what was buffered, then stream the rest of the line.
        this.startSkip(this.pending, 0, this.pendingLen, this.pendingOffset);
        this.pendingLen = 0;
        this.skipBytes(chunk, 0, upTo);
        if (nl < 0) {
          this.base += n;
          return;
        }
        this.endSkip(this.base + nl);
      } else {
        this.appendPending(chunk, 0, upTo);
        if (nl < 0) {
          this.base += n;
          return;
        }
        const len = this.pendingLen;
        this.pendingLen = 0;
        this.line(this.pending, 0, len, this.pendingOffset, this.base + nl, false, this.values && looksMostlyMultibyte(this.pending, 0, len));
        // Do not keep a buffer grown for one huge line for the rest of the file.
        if (this.pending.length > 4 * DEFAULT_CHUNK_BYTES) this.pending = Buffer.alloc(0);
      }
      p = nl + 1;
    }

    const last = chunk.lastIndexOf(LF);
    const base = this.base;
    const inSearchMemory = searchMemory !== null && chunk.buffer === searchMemory;
    while (p <= last) {
      // One vectorised UTF-8 check per block of lines spares the per-line check in the common
      // case; blocks keep one bad byte from sending a whole chunk down the per-line path.
      // A '\n' never occurs inside a multi-byte sequence, so lines split cleanly.
      let blockEnd = last;
      if (last - p > UTF8_BLOCK_BYTES) {
        blockEnd = chunk.lastIndexOf(LF, p + UTF8_BLOCK_BYTES);
        if (blockEnd < p) blockEnd = chunk.indexOf(LF, p + UTF8_BLOCK_BYTES);
      }
      const utf8Ok = isUtf8(chunk.subarray(p, blockEnd));
      // Mostly multi-byte text decodes faster in one pass of our own (see jsonl-decode.ts).
      const ownDecode = this.values && looksMostlyMultibyte(chunk, p, blockEnd);
      if (inSearchMemory) {
        // The WebAssembly search (byte-search.ts): no call into C++ per line.
        const at = chunk.byteOffset;
        while (p <= blockEnd) {
          const nl = firstNewline(at + p, at + blockEnd + 1) - at;
          this.line(chunk, p, nl, base + p, base + nl, utf8Ok, ownDecode);
          p = nl + 1;
        }
      } else {
        while (p <= blockEnd) {
          const nl = chunk.indexOf(LF, p);
          this.line(chunk, p, nl, base + p, base + nl, utf8Ok, ownDecode);
          p = nl + 1;
        }
      }
    }
    if (p < n) {
      if (n - p > this.maxLineBytes) {
        this.startSkip(chunk, p, n, this.base + p);
      } else {
        this.pendingOffset = this.base + p;
        this.appendPending(chunk, p, n);
      }
    }
    this.base += n;
  }

  /** Finishes the last line (a tail without '\n') and returns the final statistics. */
  end(): JsonlStats {
    if (this.sniff !== null) this.endSniff();
    const s = this.stats;
    if (this.encoding !== null) {
      this.endNotUtf8(this.encoding);
    } else if (this.skipping) {
      this.endSkip(-1);
    } else if (this.pendingLen > 0) {
      const len = this.pendingLen;
      this.pendingLen = 0;
      this.line(this.pending, 0, len, this.pendingOffset, -1, false, this.values && looksMostlyMultibyte(this.pending, 0, len));
    }
    s.bytes = this.base - this.startOffset;
    const nonBlank = s.lines - s.blank;
    s.corruptionRatio = nonBlank > 0 ? s.corrupted / nonBlank : 0;
    s.warn = s.corruptionRatio > WARN_RATIO;
    return s;
  }

  /** A UTF-16/32 file: one problem spanning the file; every line counts as corrupted. */
  private endNotUtf8(encoding: NonUtf8Encoding): void {
    const s = this.stats;
    s.lines = (this.unitLines as CodeUnitLineCounter).end();
    s.corrupted = s.lines;
    s.problemCount++;
    s.problemsByKind['not-utf8']++;
    // With a BOM, iconv's plain UTF-16/UTF-32 reads the byte order from it and drops it.
    const from = this.encodingBom > 0 ? encoding.slice(0, 6) : encoding;
    const bom = this.encodingBom > 0 ? ' with byte-order mark' : '';
    const message = `file is ${encoding}${bom}, not UTF-8 (${this.base} bytes; convert it, e.g. iconv -f ${from} -t UTF-8)`;
    this.sink.problem({ kind: 'not-utf8', line: 1, offset: 0, length: this.base, message, encoding }, null, 0);
  }

  private appendPending(buf: Buffer, s: number, e: number): void {
    const need = this.pendingLen + (e - s);
    if (need > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(need, this.pending.length * 2, 64 * 1024), this.maxLineBytes));
      this.pending.copy(grown, 0, 0, this.pendingLen);
      this.pending = grown;
    }
    buf.copy(this.pending, this.pendingLen, s, e);
    this.pendingLen = need;
  }

  private startSkip(buf: Buffer, s: number, e: number, offset: number): void {
    this.beginSkip(++this.lineNo, offset);
    this.stats.lines++;
    this.skipBytes(buf, s, e);
    // The carry buffer may have grown to maxLineBytes; do not keep it alive for the rest of the file.
    if (this.pending.length > DEFAULT_CHUNK_BYTES) this.pending = Buffer.alloc(0);
  }

  private beginSkip(lineNo: number, offset: number): void {
    this.skipping = true;
    this.skipOffset = offset;
    this.skipLine = lineNo;
    this.skipLen = 0;
    this.skipHead = offset === 0 ? 0 : -1;
    this.skipBom = false;
    this.skipTrailingCr = 0;
    this.validator.reset();
  }

  /** Streams bytes of an over-long line through the validator, never holding them. */
  private skipBytes(buf: Buffer, s: number, e: number): void {
    this.skipLen += e - s;
    // A BOM at offset 0 is not part of the line's content (see line()).
    while (this.skipHead >= 0 && s < e) {
      if (buf[s] === BOM[this.skipHead]) {
        s++;
        if (++this.skipHead === 3) {
          this.skipHead = -1;
          this.skipBom = true;
          this.report('utf8-bom', this.skipLine, 0, 3, BOM, 0);
        }
      } else {
        this.validator.push(BOM, 0, this.skipHead);
        this.skipHead = -1;
      }
    }
    if (s >= e) return;
    let k = e;
    while (k > s && buf[k - 1] === CR) k--;
    this.skipTrailingCr = k === s ? this.skipTrailingCr + (e - s) : e - k;
    if (this.validator.ok) this.validator.push(buf, s, e);
  }

  /** Ends an over-long line: a valid one is an oversized record, anything else 'too-long'. */
  private endSkip(lineEnd: number): void {
    this.skipping = false;
    if (this.skipHead > 0) this.validator.push(BOM, 0, this.skipHead);
    this.skipHead = -1;
    const bom = this.skipBom ? 3 : 0;
    const content = this.validator.onlyWhitespace ? 0 : this.skipLen - bom - this.skipTrailingCr;
    if (content > 0 && this.validator.end()) {
      this.stats.records++;
      this.stats.oversized++;
      this.sink.oversizedRecord?.(this.skipLine, this.skipOffset + bom, content, lineEnd);
    } else if (content <= 0) {
      const from = this.skipOffset + bom;
      this.blankLine(this.skipLine, from, lineEnd >= 0 ? lineEnd + 1 : this.skipOffset + this.skipLen);
    } else {
      this.stats.corrupted++;
      this.report('too-long', this.skipLine, this.skipOffset + bom, this.skipLen - bom, null, 0);
    }
  }

  /**
   * DamageOutput: an empty or whitespace-only line, file bytes [from, to) with its ending. `to` can equal `from`
   * only for a BOM-only last line, which the utf8-bom problem already covers.
   */
  blankLine(lineNo: number, from: number, to: number): void {
    this.stats.blank++;
    if (to > from) this.report('blank-line', lineNo, from, to - from, null, 0);
  }

  /** DamageOutput: counts a problem and hands it to the sink. */
  report(kind: ProblemKind, line: number, offset: number, length: number, bytes: Buffer | null, start: number): void {
    this.stats.problemCount++;
    this.stats.problemsByKind[kind]++;
    const message =
      kind === 'too-long'
        ? `${length} byte line exceeds maxLineBytes (${this.maxLineBytes}) and is not valid JSON`
        : `${MESSAGES[kind]} (${length} bytes)`;
    this.sink.problem({ kind, line, offset, length, message }, bytes, start);
  }

  /**
   * One complete line: bytes [s, e) of buf (no '\n'), starting at file offset `off`. `utf8Ok`:
   * the line is known to be valid UTF-8 (else it is checked here); `ownDecode`: decode it with
   * decodeValidUtf8 once it is known to be valid.
   */
  private line(buf: Buffer, s: number, e: number, off: number, lineEnd: number, utf8Ok: boolean, ownDecode: boolean): void {
    const lineNo = ++this.lineNo;
    this.stats.lines++;
    if (e - s > this.maxLineBytes) {
      // Only reachable when maxLineBytes is smaller than a chunk; handled like a streamed one.
      this.beginSkip(lineNo, off);
      this.skipBytes(buf, s, e);
      this.endSkip(lineEnd);
      return;
    }
    const rawEnd = e;
    while (e > s && buf[e - 1] === CR) e--;
    if (off === 0 && e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) {
      this.report('utf8-bom', lineNo, 0, 3, buf, s);
      s += 3;
      off += 3;
    }
    if (e === s) {
      this.blankLine(lineNo, off, lineEnd >= 0 ? lineEnd + 1 : off + (rawEnd - s));
      return;
    }
    if (!this.values) {
      // isUtf8 first: the byte validator trusts every byte >= 0x80 to be valid UTF-8.
      if ((utf8Ok || isUtf8(buf.subarray(s, e))) && isJsonTextOfValidUtf8(buf, s, e)) {
        this.stats.records++;
        this.sink.record(undefined, lineNo, off, e - s, false, buf, s, lineEnd);
      } else {
        this.damagedLine(buf, s, e, off, lineNo, lineEnd);
      }
      return;
    }
    // UTF-8 before parsing: decoding would turn invalid bytes into U+FFFD, which JSON.parse
    // accepts; and the one-pass decoder needs valid input.
    if (!utf8Ok && !isUtf8(buf.subarray(s, e))) {
      this.damagedLine(buf, s, e, off, lineNo, lineEnd);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(ownDecode ? decodeValidUtf8(buf, s, e) : decodeUtf8(buf, s, e));
    } catch {
      this.damagedLine(buf, s, e, off, lineNo, lineEnd);
      return;
    }
    this.stats.records++;
    this.sink.record(value, lineNo, off, e - s, false, buf, s, lineEnd);
  }

  /** A non-empty line that is not exactly one valid record: see jsonl-damage.ts. */
  private damagedLine(buf: Buffer, s: number, e: number, off: number, lineNo: number, lineEnd: number): void {
    if (classifyDamagedLine(this, decodeUtf8, buf, s, e, off, lineNo, lineEnd)) this.stats.corrupted++;
  }

  /** DamageOutput: a value kept from a damaged line. */
  recovered(value: unknown, line: number, offset: number, length: number, bytes: Buffer, start: number, lineEnd: number): void {
    this.stats.records++;
    this.stats.recovered++;
    this.sink.record(this.values ? value : undefined, line, offset, length, true, bytes, start, lineEnd);
  }
}
