/**
 * What a JSONL problem means, in the words a person uses ("line ends inside a string: probably
 * a torn write", "invalid UTF-8 at byte 17"), from the problem's kind and the bytes of its span.
 * The reader reports kinds with their offsets (jsonl-parser.ts); the CLI's `check` and the
 * editor's diagnostics both word them here, so a problem reads the same everywhere.
 */
import type { JsonlProblem } from './jsonl-parser';
import { JsonSyntaxValidator } from './json-syntax';
import { formatCount } from './number-format';
import { ENGLISH, type Words } from './words';

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

/**
 * Why a JSONL problem (or a recovered record) is one, as a code with the values its sentence
 * needs: what the core returns, so each UI words it in its own language (problemSentence).
 * `bytes` is the problem's length, `at` a byte offset in the file, `message` the reader's own
 * English sentence for a file in another encoding (kept as is: it names the conversion command).
 */
export type ProblemReason =
  | { code: 'invalid-json'; why: InvalidJsonReason; bytes: number }
  | { code: 'invalid-utf8-at'; at: number }
  | { code: 'invalid-utf8'; bytes: number }
  | { code: 'too-long'; bytes: number }
  | { code: 'not-utf8'; message: string; encoding: string | null }
  | { code: 'nul-bytes' | 'torn-tail'; bytes: number }
  | { code: 'fused-values' | 'cr-line-end' | 'utf8-bom' | 'blank-line' | 'recovered' };

/**
 * The reason code of `problem`. `span` is the problem's bytes when the caller has them (the
 * editor does, the CLI's streaming check does not): with them an invalid line says why it is
 * invalid and invalid UTF-8 says at which byte of the file.
 */
export function problemReason(problem: JsonlProblem, span?: Uint8Array): ProblemReason {
  const bytes = problem.length;
  switch (problem.kind) {
    case 'invalid-json': {
      if (!span) return { code: 'invalid-json', why: 'not-json', bytes };
      const text = Buffer.from(span.buffer, span.byteOffset, span.byteLength).toString('utf8');
      return { code: 'invalid-json', why: invalidJsonReason(text), bytes };
    }
    case 'invalid-utf8': {
      const at = span ? firstInvalidUtf8(span) : -1;
      return at >= 0 ? { code: 'invalid-utf8-at', at: problem.offset + at } : { code: 'invalid-utf8', bytes };
    }
    case 'too-long':
      return { code: 'too-long', bytes };
    case 'not-utf8':
      return { code: 'not-utf8', message: problem.message, encoding: problem.encoding ?? null };
    case 'nul-bytes':
    case 'torn-tail':
      return { code: problem.kind, bytes };
    default:
      return { code: problem.kind };
  }
}

/**
 * The sentence (lower-case start, no final period) for a problem reason, in `l10n`'s words.
 * Every message is a literal here, so l10n/bundle.l10n.json holds it (scripts/l10n-export.js).
 */
export function problemSentence(reason: ProblemReason, l10n: Words = ENGLISH): string {
  const size = (n: number): string => (n === 1 ? l10n.t('1 byte') : l10n.t('{0} bytes', formatCount(n)));
  switch (reason.code) {
    case 'invalid-json':
      switch (reason.why) {
        case 'open-string':
          return l10n.t('line ends inside a string: probably a torn write ({0})', size(reason.bytes));
        case 'cut-off':
          return l10n.t('record stops before its closing bracket: probably a torn write ({0})', size(reason.bytes));
        case 'extra-close':
          return l10n.t('line starts in the middle of a record: the start of the record is missing ({0})', size(reason.bytes));
        default:
          return l10n.t('not a JSON value ({0})', size(reason.bytes));
      }
    case 'invalid-utf8-at':
      return l10n.t('invalid UTF-8 at byte {0}', formatCount(reason.at));
    case 'invalid-utf8':
      return l10n.t('invalid UTF-8 in this line ({0})', size(reason.bytes));
    case 'too-long':
      return l10n.t('a line of {0}, longer than the line limit, that is not a JSON value', size(reason.bytes));
    case 'not-utf8':
      // The reader's own sentence names the encoding and the command that converts it.
      if (reason.message) return reason.message;
      return reason.encoding ? l10n.t('file is {0}, not UTF-8', reason.encoding) : l10n.t('file is not UTF-8');
    case 'nul-bytes':
      return l10n.t('zero bytes where text should be: the residue of a crash during a write ({0})', size(reason.bytes));
    case 'torn-tail':
      return l10n.t('the last line stops without a line end: probably a torn write ({0})', size(reason.bytes));
    case 'fused-values':
      return l10n.t('several records on one line; Repair puts each on a line of its own');
    case 'cr-line-end':
      return l10n.t('a line ends with a bare CR; Repair ends lines with LF');
    case 'utf8-bom':
      return l10n.t('the file starts with a byte-order mark; Repair removes it');
    case 'blank-line':
      return l10n.t('blank line; Repair removes it');
    case 'recovered':
      return l10n.t('record recovered from a damaged line; Repair rewrites it on a line of its own');
  }
}

/**
 * One English sentence (lower-case start, no final period) for `problem`: problemSentence of
 * problemReason. `span` as for problemReason.
 */
export function describeProblem(problem: JsonlProblem, span?: Uint8Array): string {
  return problemSentence(problemReason(problem, span));
}
