/**
 * What a JSONL problem means, in the words a person uses ("line ends inside a string: probably
 * a torn write", "invalid UTF-8 at byte 17"), from the problem's kind and the bytes of its span.
 * The reader reports kinds with their offsets (jsonl-parser.ts); the CLI's `check` and the
 * editor's diagnostics both word them here, so a problem reads the same everywhere.
 */
import type { JsonlProblem, ProblemKind } from './jsonl-parser';
import { JsonSyntaxValidator } from './json-syntax';
import { formatCount } from './number-format';

/** Why a line that is not one JSON value is not, judged from its text (see describeProblem). */
export type InvalidJsonReason = 'open-string' | 'cut-off' | 'extra-close' | 'not-json';

/**
 * Scans a damaged line's text for the most likely cause: a string left open (the write stopped
 * inside it), brackets left open (the write stopped before the record's end), more closing than
 * opening brackets (the start of the record is missing), else plain "not JSON". A torn write
 * leaves the beginning of a JSON value, so the first two are said only of text that is one
 * (an escape sequence such as ESC [31m opens a bracket, but nothing was cut off there).
 */
export function invalidJsonReason(text: string): InvalidJsonReason {
  let inString = false;
  let depth = 0;
  let minDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) minDepth = Math.min(minDepth, --depth);
  }
  if ((inString || depth > 0) && new JsonSyntaxValidator().push(Buffer.from(text, 'utf8'))) return inString ? 'open-string' : 'cut-off';
  if (minDepth < 0) return 'extra-close';
  return 'not-json';
}

/** Index of the first byte of `bytes` that is not part of valid UTF-8, or -1 when all are. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cont = bytes[i + k];
      if (cont === undefined || (cont & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

const REASON_TEXT: Record<InvalidJsonReason, string> = {
  'open-string': 'line ends inside a string: probably a torn write',
  'cut-off': 'record stops before its closing bracket: probably a torn write',
  'extra-close': 'line starts in the middle of a record: the start of the record is missing',
  'not-json': 'not a JSON value',
};

const FIXED_TEXT: Record<Exclude<ProblemKind, 'invalid-json' | 'invalid-utf8' | 'too-long' | 'not-utf8'>, string> = {
  'nul-bytes': 'zero bytes where text should be: the residue of a crash during a write',
  'torn-tail': 'the last line stops without a line end: probably a torn write',
  'fused-values': 'several records on one line; Repair puts each on a line of its own',
  'cr-line-end': 'a line ends with a bare CR; Repair ends lines with LF',
  'utf8-bom': 'the file starts with a byte-order mark; Repair removes it',
  'blank-line': 'blank line; Repair removes it',
};

/**
 * One sentence (lower-case start, no final period) for `problem`. `span` is the problem's bytes
 * when the caller has them (the editor does, the CLI's streaming check does not): with them an
 * invalid line says why it is invalid and invalid UTF-8 says at which byte of the file.
 */
export function describeProblem(problem: JsonlProblem, span?: Uint8Array): string {
  const size = `${formatCount(problem.length)} byte${problem.length === 1 ? '' : 's'}`;
  switch (problem.kind) {
    case 'invalid-json': {
      if (!span) return `${REASON_TEXT['not-json']} (${size})`;
      const text = Buffer.from(span.buffer, span.byteOffset, span.byteLength).toString('utf8');
      return `${REASON_TEXT[invalidJsonReason(text)]} (${size})`;
    }
    case 'invalid-utf8': {
      const at = span ? firstInvalidUtf8(span) : -1;
      return at >= 0 ? `invalid UTF-8 at byte ${formatCount(problem.offset + at)}` : `invalid UTF-8 in this line (${size})`;
    }
    case 'too-long':
      return `a line of ${size}, longer than the line limit, that is not a JSON value`;
    case 'not-utf8':
      // The reader's own sentence names the encoding and the command that converts it.
      return problem.message || (problem.encoding ? `file is ${problem.encoding}, not UTF-8` : 'file is not UTF-8');
    default:
      return `${FIXED_TEXT[problem.kind]}${problem.kind === 'nul-bytes' || problem.kind === 'torn-tail' ? ` (${size})` : ''}`;
  }
}
