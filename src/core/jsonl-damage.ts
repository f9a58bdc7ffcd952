/**
 * How a damaged JSONL line is classified: the one place that decides, for a line that is not
 * exactly one valid record, which of its bytes are kept as records and which are which problem.
 * The push parser (jsonl-parser.ts) calls classifyDamagedLine() for such lines; repair
 * quarantines exactly the bytes this marks as damage.
 *
 * - A line that is only JSON whitespace is blank ('blank-line'), not damage.
 * - Bare CRs inside the line split it into segments ('cr-line-end': CR-only line endings; a raw
 *   CR is never inside a JSON string, so it is whitespace or a line break).
 * - Each segment keeps only what the rule in jsonl-salvage.ts allows (fused objects/arrays
 *   spanning it, or a whole object after a torn record start), as records marked `recovered`;
 *   several values kept from one segment are also a 'fused-values' problem.
 * - The rest of the segment is damage: runs of NUL bytes are 'nul-bytes'; each piece between
 *   them, less surrounding whitespace, is 'torn-tail' if it runs to the end of a tail without
 *   '\n', else 'invalid-utf8' if it is not valid UTF-8, else 'invalid-json'.
 */
import { isUtf8 } from 'node:buffer';
import { salvageSegment } from './jsonl-salvage';
import type { Utf8Slicer } from './jsonl-decode';
import type { ProblemKind } from './jsonl-problems';

const CR = 0x0d;

/** What classification reports to (the parser, which counts and forwards to its sink). */
export interface DamageOutput {
  /** A problem over `bytes[start, start + length)`, at file offset `offset`. */
  report(kind: ProblemKind, line: number, offset: number, length: number, bytes: Buffer | null, start: number): void;
  /** A blank line: file bytes [from, to) with its ending. */
  blankLine(line: number, from: number, to: number): void;
  /** A value kept from the line: `bytes[start, start + length)`, at file offset `offset`. */
  recovered(value: unknown, line: number, offset: number, length: number, bytes: Buffer, start: number, lineEnd: number): void;
}


function isJsonWhitespace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === CR || c === 0x0a;
}

/** Where one damaged line is: its content bytes [s, e) of buf (line ending excluded). */
interface LineAt {
  buf: Buffer;
  /** Index in buf of the line content's first byte. */
  s: number;
  /** File offset of buf[s]. */
  off: number;
  lineNo: number;
  /** File offset of the line's '\n', or -1 for a tail without one. */
  lineEnd: number;
  /** Index in buf where the line's content ends, less trailing whitespace. */
  contentEnd: number;
}

/**
 * Classifies the non-empty line content `buf[s, e)` (no '\n', trailing line-ending CRs already
 * cut) at file offset `off` that was not exactly one valid record. Returns true when the line
 * holds damage (it then counts as corrupted), false when it holds only format problems or is blank.
 */
export function classifyDamagedLine(
  out: DamageOutput,
  decode: Utf8Slicer,
  buf: Buffer,
  s: number,
  e: number,
  off: number,
  lineNo: number,
  lineEnd: number,
): boolean {
  let i = s;
  while (i < e && isJsonWhitespace(buf[i])) i++;
  if (i === e) {
    // Trailing CRs were cut off before; the span reaches the line's end either way.
    out.blankLine(lineNo, off, lineEnd >= 0 ? lineEnd + 1 : off + (e - s));
    return false;
  }
  let last = e;
  while (last > i && isJsonWhitespace(buf[last - 1])) last--;
  const at: LineAt = { buf, s, off, lineNo, lineEnd, contentEnd: last };
  let damaged = false;
  const view = buf.subarray(s, last);
  let segStart = i;
  for (;;) {
    const crRel = view.indexOf(CR, segStart - s);
    const cr = crRel < 0 ? last : s + crRel;
    if (segment(out, decode, at, segStart, cr)) damaged = true;
    if (cr >= last) break;
    let q = cr;
    while (q < last && buf[q] === CR) q++;
    out.report('cr-line-end', lineNo, off + (cr - s), q - cr, buf, cr);
    segStart = q;
  }
  return damaged;
}

/** One CR-free segment [a, b) of a damaged line. Returns true when it holds damage. */
function segment(out: DamageOutput, decode: Utf8Slicer, at: LineAt, a: number, b: number): boolean {
  const { buf, s, off, lineNo, lineEnd } = at;
  const { keepFrom, values } = salvageSegment(buf, a, b, decode);
  const damaged = damage(out, at, a, keepFrom < 0 ? b : keepFrom);
  const first = values[0];
  const lastValue = values[values.length - 1];
  if (first && lastValue && values.length > 1) {
    out.report('fused-values', lineNo, off + (first.start - s), lastValue.end - first.start, buf, first.start);
  }
  for (const v of values) out.recovered(v.value, lineNo, off + (v.start - s), v.end - v.start, buf, v.start, lineEnd);
  return damaged;
}

/** Reports damaged bytes [a, b): NUL runs, and the pieces between them less surrounding whitespace. */
function damage(out: DamageOutput, at: LineAt, a: number, b: number): boolean {
  const { buf, s, off, lineNo, lineEnd, contentEnd } = at;
  let damaged = false;
  let p = a;
  while (p < b) {
    // memchr: the pieces between NUL runs can be a whole 20 KB record. Bounded to [p, b): a
    // search to the end of the buffer crossed the rest of the 1 MiB chunk for every damaged line.
    const rel = buf.subarray(p, b).indexOf(0);
    let q = rel < 0 ? b : p + rel;
    let gs = p;
    let ge = q;
    while (gs < ge && isJsonWhitespace(buf[gs])) gs++;
    while (ge > gs && isJsonWhitespace(buf[ge - 1])) ge--;
    if (ge > gs) {
      let kind: ProblemKind;
      if (lineEnd < 0 && ge === contentEnd) kind = 'torn-tail';
      else if (!isUtf8(buf.subarray(gs, ge))) kind = 'invalid-utf8';
      else kind = 'invalid-json';
      damaged = true;
      out.report(kind, lineNo, off + (gs - s), ge - gs, buf, gs);
    }
    if (q >= b) break;
    p = q;
    while (q < b && buf[q] === 0) q++;
    damaged = true;
    out.report('nul-bytes', lineNo, off + (p - s), q - p, buf, p);
    p = q;
  }
  return damaged;
}
