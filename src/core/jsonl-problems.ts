/**
 * The JSONL reader's vocabulary: the kinds of problem, what a record, a problem and the
 * statistics are, and the default limits. Shared by the push parser (jsonl-parser.ts), the
 * classification of damaged lines (jsonl-damage.ts), the file readers and repair; the public
 * shapes are re-exported by jsonl-reader.ts and the library.
 */
import type { NonUtf8Encoding } from './text-encoding';

/**
 * Damage kinds (bytes repair moves to the quarantine): 'invalid-json', 'invalid-utf8',
 * 'nul-bytes', 'too-long', 'torn-tail'; 'not-utf8' (the whole file is UTF-16 or UTF-32, named
 * in the problem's `encoding`; repair refuses it).
 * Format kinds (see FORMAT_PROBLEM_KINDS: nothing is lost, repair rewrites the line in strict
 * form): 'fused-values', 'cr-line-end', 'utf8-bom', 'blank-line'.
 */
export type ProblemKind =
  | 'invalid-json'
  | 'invalid-utf8'
  | 'nul-bytes'
  | 'too-long'
  | 'torn-tail'
  | 'not-utf8'
  | 'fused-values'
  | 'cr-line-end'
  | 'utf8-bom'
  | 'blank-line';

/**
 * Kinds that break strict JSON Lines (exactly one value on every line, '\n' or '\r\n' endings,
 * no BOM: what a reader that JSON-parses each line accepts) without damaging data. Their spans
 * mark where (a fused line's values; the bare CRs; the BOM; a blank line with its ending), may
 * overlap record spans, hold no quarantined bytes, and do not count as corrupted lines.
 */
export const FORMAT_PROBLEM_KINDS: ReadonlySet<ProblemKind> = new Set<ProblemKind>([
  'fused-values',
  'cr-line-end',
  'utf8-bom',
  'blank-line',
]);

/** True for the format kinds (see FORMAT_PROBLEM_KINDS), false for damage. */
export function isFormatProblem(kind: ProblemKind): boolean {
  return FORMAT_PROBLEM_KINDS.has(kind);
}

export interface JsonlRecord {
  value: unknown;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the record's first byte from the start of the file. */
  offset: number;
  /** Length in bytes of the record's text. */
  length: number;
  /** True when the record came from a line that was not exactly one value (see jsonl-salvage.ts). */
  recovered: boolean;
}

export interface JsonlProblem {
  kind: ProblemKind;
  line: number;
  offset: number;
  length: number;
  message: string;
  /** Only on 'not-utf8': the encoding the file is in. */
  encoding?: NonUtf8Encoding;
}

export interface JsonlStats {
  bytes: number;
  lines: number;
  blank: number;
  /** All records, recovered and oversized ones included. */
  records: number;
  recovered: number;
  /**
   * Valid records longer than maxLineBytes: validated by streaming, their values never read.
   * Counted in `records`; readJsonl does not yield them, scanJsonl reports them through
   * onOversizedRecord.
   */
  oversized: number;
  /** Lines with at least one damage problem (format problems do not count). */
  corrupted: number;
  /** corrupted / non-blank lines (0 when there are none). */
  corruptionRatio: number;
  /** corruptionRatio > 0.10 */
  warn: boolean;
  /** Exact number of problems, format problems included (the collected list may be capped). */
  problemCount: number;
  problemsByKind: Record<ProblemKind, number>;
}

export const WARN_RATIO = 0.1;
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
export const DEFAULT_MAX_PROBLEMS = 1000;

/** A zero count for every kind. */
export function emptyKinds(): Record<ProblemKind, number> {
  return {
    'invalid-json': 0,
    'invalid-utf8': 0,
    'nul-bytes': 0,
    'too-long': 0,
    'torn-tail': 0,
    'not-utf8': 0,
    'fused-values': 0,
    'cr-line-end': 0,
    'utf8-bom': 0,
    'blank-line': 0,
  };
}

/** Statistics of nothing read yet (also what an early-stopped read reports). */
export function emptyStats(): JsonlStats {
  return {
    bytes: 0,
    lines: 0,
    blank: 0,
    records: 0,
    recovered: 0,
    oversized: 0,
    corrupted: 0,
    corruptionRatio: 0,
    warn: false,
    problemCount: 0,
    problemsByKind: emptyKinds(),
  };
}

/** The fixed part of each problem's message (the parser appends the byte count). */
export const MESSAGES: Record<ProblemKind, string> = {
  'invalid-json': 'not valid JSON, or not a whole record (a fragment of a damaged line)',
  'invalid-utf8': 'bytes that are not valid UTF-8',
  'nul-bytes': 'run of NUL bytes (typical residue of a crash during a write)',
  'too-long': 'line longer than the maximum line length that is not valid JSON',
  'torn-tail': 'incomplete last line without a newline (torn write)',
  'not-utf8': 'file is not UTF-8',
  'fused-values': 'several JSON values on one line; repair puts each on a line of its own',
  'cr-line-end': 'bare CR used as a line break (CR-only line endings); repair ends lines with LF',
  'utf8-bom': 'UTF-8 byte-order mark at the start of the file; repair removes it',
  'blank-line': 'blank line (strict JSON Lines has one value on every line); repair removes it',
};

