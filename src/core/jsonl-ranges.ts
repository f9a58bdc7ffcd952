/**
 * Parsing a JSONL file in byte ranges that start and end at line boundaries, and merging the
 * ranges' results in order into exactly what one pass over the whole file gives (the parser's
 * lines depend on nothing before them: see jsonl-parser.ts). Used by the parallel scan
 * (jsonl-parallel.ts, one range per thread) and by the property test that checks the merge.
 *
 * Positional reads only (pread): every range reads the same open file, so they can share one
 * descriptor across worker threads and the file cannot be swapped under them.
 */
import { readSync } from 'node:fs';
import { JsonlParser, type ParseSink } from './jsonl-parser';
import { releaseScanBuffer, scanBuffer } from './byte-search';
import { emptyKinds, emptyStats, WARN_RATIO, type JsonlProblem, type JsonlStats, type ProblemKind } from './jsonl-problems';

/** One range's findings; line numbers count from the range's first line as 1. */
export interface RangeResult {
  stats: JsonlStats;
  /** The range's first problems (up to the cap it was parsed with), in file order. */
  problems: JsonlProblem[];
}

/** A range of a file: bytes [start, end), start at 0 or right after a '\n', end likewise or at EOF. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Splits [0, size) into at most `parts` ranges whose boundaries are just after a '\n', found by
 * reading from `fd` near each even cut. A line longer than the distance to the next cut merges
 * ranges (fewer ranges, never a split line).
 */
export function splitAtLines(fd: number, size: number, parts: number): ByteRange[] {
  const bounds = [0];
  const window = Buffer.allocUnsafe(64 * 1024);
  for (let k = 1; k < parts; k++) {
    let pos = Math.max(Math.floor((size * k) / parts), bounds[bounds.length - 1] as number);
    let cut = size;
    while (pos < size) {
      const got = readSync(fd, window, 0, Math.min(window.length, size - pos), pos);
      if (got <= 0) break;
      const nl = window.subarray(0, got).indexOf(0x0a);
      if (nl >= 0) {
        cut = pos + nl + 1;
        break;
      }
      pos += got;
    }
    if (cut >= size) break;
    if (cut > (bounds[bounds.length - 1] as number)) bounds.push(cut);
  }
  bounds.push(size);
  const ranges: ByteRange[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) ranges.push({ start: bounds[i] as number, end: bounds[i + 1] as number });
  return ranges;
}

/** A parser for one range whose problems are collected (up to `maxProblems`); values are not built. */
export function rangeParser(range: ByteRange, maxLineBytes: number | undefined, maxProblems: number): { parser: JsonlParser; problems: JsonlProblem[] } {
  const problems: JsonlProblem[] = [];
  const sink: ParseSink = {
    record() {},
    problem(p) {
      if (problems.length < maxProblems) problems.push(p);
    },
  };
  const parser = new JsonlParser(sink, {
    values: false,
    startOffset: range.start,
    utf8Known: true,
    ...(maxLineBytes !== undefined ? { maxLineBytes } : {}),
  });
  return { parser, problems };
}

/**
 * Parses `range` of the open file `fd` synchronously (what a worker thread runs). The file's
 * start must already be known to be UTF-8 (see text-encoding.ts); `onChunk` gets the bytes done;
 * `buffer`, when given, is the read buffer to use (its length is the read size; see scanBuffer).
 */
export function parseRangeSync(
  fd: number,
  range: ByteRange,
  options: { maxLineBytes?: number; maxProblems: number; chunkBytes: number; buffer?: Buffer; onChunk?: (bytesDone: number) => void },
): RangeResult {
  const { parser, problems } = rangeParser(range, options.maxLineBytes, options.maxProblems);
  // The parser copies what it keeps of a chunk, so one read buffer serves piece after piece.
  const buf = options.buffer ?? scanBuffer(options.chunkBytes);
  try {
    let pos = range.start;
    while (pos < range.end) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, range.end - pos), pos);
      if (got <= 0) break; // the file shrank meanwhile: what is there is all there is
      parser.push(got === buf.length ? buf : buf.subarray(0, got));
      pos += got;
      options.onChunk?.(pos - range.start);
    }
    return { stats: parser.end(), problems };
  } finally {
    if (!options.buffer) releaseScanBuffer(buf);
  }
}

/**
 * Merges the ranges' results, in file order, into the whole file's: counts add up, line numbers
 * shift by the lines of the ranges before, the problem list keeps the first `maxProblems`.
 */
export function mergeRanges(parts: readonly RangeResult[], maxProblems: number): JsonlStats & { problems: JsonlProblem[] } {
  const stats = emptyStats();
  const byKind = emptyKinds();
  const problems: JsonlProblem[] = [];
  let lineBase = 0;
  for (const part of parts) {
    const s = part.stats;
    for (const p of part.problems) {
      if (problems.length >= maxProblems) break;
      problems.push({ ...p, line: p.line + lineBase });
    }
    stats.bytes += s.bytes;
    stats.lines += s.lines;
    stats.blank += s.blank;
    stats.records += s.records;
    stats.recovered += s.recovered;
    stats.oversized += s.oversized;
    stats.corrupted += s.corrupted;
    stats.problemCount += s.problemCount;
    for (const k of Object.keys(byKind) as ProblemKind[]) byKind[k] += s.problemsByKind[k];
    lineBase += s.lines;
  }
  stats.problemsByKind = byKind;
  const nonBlank = stats.lines - stats.blank;
  stats.corruptionRatio = nonBlank > 0 ? stats.corrupted / nonBlank : 0;
  stats.warn = stats.corruptionRatio > WARN_RATIO;
  return { ...stats, problems };
}
