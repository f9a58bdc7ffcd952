/**
 * Which encoding a JSONL file is in, told from its structure rather than from its text.
 *
 * JSON Lines is UTF-8 (RFC 8259 section 8.1). Files in UTF-16 or UTF-32 (PowerShell's
 * `Out-File`, some Windows editors) must not be parsed as UTF-8: their NUL bytes and split
 * characters would be reported as damage, and repair would quarantine the whole file in pieces.
 *
 * A file is in one of these encodings when its first bytes are
 * - a byte-order mark: FF FE 00 00 (UTF-32LE, tested before UTF-16LE, whose BOM it starts
 *   with; it stays UTF-16LE when the units after it are not UTF-32, a U+0000 after the UTF-16LE
 *   mark, as damage can leave), 00 00 FE FF (UTF-32BE), FF FE (UTF-16LE),
 *   FE FF (UTF-16BE). None of these is valid UTF-8 at the start of a file; or
 * - without one, JSON text in that encoding: decoded as it, the first non-blank line starts
 *   with a JSON value after optional whitespace (`{` encoded as 7B 00, 00 7B, 7B 00 00 00 or
 *   00 00 00 7B, and so on), the rest of the held bytes keep reading as the start of that value
 *   (checked with the byte-level validator), and at least two of the code units are ASCII (a
 *   value start plus one more character of JSON's structure, a digit or a line break: text in
 *   any script has them, a NUL-damaged UTF-8 file read as UTF-16 hardly ever).
 * Valid UTF-8 JSON text never matches the BOM-less form (its second byte, or its first, would
 * have to be NUL), and neither do NUL holes left by crashes (a NUL code unit is not JSON). The
 * language of the text plays no part: non-Latin strings change only the bytes inside strings.
 */
import { JsonSyntaxValidator } from './json-syntax';

/** An encoding the reader recognises but does not read (JSON Lines must be UTF-8). */
export type NonUtf8Encoding = 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE';

interface Layout {
  /** Bytes per code unit. */
  unit: 2 | 4;
  littleEndian: boolean;
}

const LAYOUTS: Record<NonUtf8Encoding, Layout> = {
  'UTF-32LE': { unit: 4, littleEndian: true },
  'UTF-32BE': { unit: 4, littleEndian: false },
  'UTF-16LE': { unit: 2, littleEndian: true },
  'UTF-16BE': { unit: 2, littleEndian: false },
};

/** UTF-32 first: its little-endian BOM begins with the UTF-16LE one. */
const ORDER: NonUtf8Encoding[] = ['UTF-32LE', 'UTF-32BE', 'UTF-16LE', 'UTF-16BE'];

/** Bytes of each encoding's byte-order mark. */
const BOMS: Record<NonUtf8Encoding, number[]> = {
  'UTF-32LE': [0xff, 0xfe, 0x00, 0x00],
  'UTF-32BE': [0x00, 0x00, 0xfe, 0xff],
  'UTF-16LE': [0xff, 0xfe],
  'UTF-16BE': [0xfe, 0xff],
};

const LF = 0x0a;

function unitAt(head: Uint8Array, i: number, { unit, littleEndian }: Layout): number {
  let v = 0;
  for (let k = 0; k < unit; k++) v = v * 256 + (head[littleEndian ? i + unit - 1 - k : i + k] as number);
  return v;
}

function startsWith(head: Uint8Array, length: number, bytes: number[]): boolean {
  return length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

/** The length of the byte-order mark of `encoding` at the start of `head`, or 0. */
export function bomLength(encoding: NonUtf8Encoding, head: Uint8Array, length = head.length): number {
  const bom = BOMS[encoding];
  return startsWith(head, length, bom) ? bom.length : 0;
}

/** True when every whole code unit of `head[0, length)` is a Unicode scalar value in `layout` (UTF-32). */
function allUtf32(head: Uint8Array, length: number, layout: Layout): boolean {
  for (let i = 0; i + layout.unit <= length; i += layout.unit) {
    const u = unitAt(head, i, layout);
    if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) return false;
  }
  return true;
}

/**
 * True when `head[0, length)` decoded as `layout` is JSON text: the first non-blank line reads
 * as the start (or the whole) of a JSON value, with at least two code units decoded.
 */
function readsAsJson(head: Uint8Array, length: number, layout: Layout): boolean {
  const units = Math.floor(length / layout.unit);
  if (units < 2) return false;
  const chars: number[] = [];
  let ascii = 0;
  for (let k = 0; k < units; k++) {
    const u = unitAt(head, k * layout.unit, layout);
    if (layout.unit === 4 && (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))) return false;
    if (u > 0 && u < 0x80) ascii++;
    chars.push(u);
  }
  // JSON's structure is ASCII: a value start and at least one more structural character, digit or
  // line break. Damaged UTF-8 read as UTF-16 is mostly other characters (a string that never ends).
  if (ascii < 2) return false;
  // UTF-16 surrogate pairs become one character; a lone or cut one becomes U+FFFD, which can
  // only be inside a string, as any non-ASCII character.
  const text = layout.unit === 2 ? String.fromCharCode(...chars) : String.fromCodePoint(...chars);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    const complete = i < lines.length - 1;
    if (complete) line = line.replace(/\r+$/, '');
    if (line.trim() === '') continue;
    const v = new JsonSyntaxValidator();
    const ok = v.push(Buffer.from(line, 'utf8'));
    return complete ? ok && v.end() : ok;
  }
  return false;
}

/**
 * The encoding `head` (a file's first bytes) is in, by the rules in the module header, or null
 * for UTF-8 (or anything else: damage is the UTF-8 reader's business).
 */
export function detectEncoding(head: Uint8Array, length = head.length): NonUtf8Encoding | null {
  for (const e of ORDER) {
    if (!startsWith(head, length, BOMS[e])) continue;
    if (e === 'UTF-32LE' && !allUtf32(head, length, LAYOUTS[e])) return 'UTF-16LE';
    return e;
  }
  for (const e of ORDER) if (readsAsJson(head, length, LAYOUTS[e])) return e;
  return null;
}

/**
 * Counts the lines of a file in `encoding` fed in chunks: line feeds as code units (a 0A byte
 * inside another character is not one), plus a last line without one.
 */
export class CodeUnitLineCounter {
  private readonly layout: Layout;
  /** Index of the 0A byte within an LF code unit. */
  private readonly lfByte: number;
  private carry: Buffer = Buffer.alloc(0);
  private bytes = 0;
  private lineFeeds = 0;
  /** File offset just past the last LF code unit. */
  private afterLastLf = 0;

  constructor(encoding: NonUtf8Encoding) {
    this.layout = LAYOUTS[encoding];
    this.lfByte = this.layout.littleEndian ? 0 : this.layout.unit - 1;
  }

  push(chunk: Buffer): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const base = this.bytes - this.carry.length;
    const { unit } = this.layout;
    const whole = buf.length - (buf.length % unit);
    for (let i = buf.indexOf(LF); i >= 0 && i < whole; i = buf.indexOf(LF, i + 1)) {
      if (i % unit !== this.lfByte) continue;
      if (unitAt(buf, i - this.lfByte, this.layout) !== LF) continue;
      this.lineFeeds++;
      this.afterLastLf = base + i - this.lfByte + unit;
    }
    this.carry = Buffer.from(buf.subarray(whole));
    this.bytes += chunk.length;
  }

  /** The number of lines (a final line without LF counts; an empty file has none). */
  end(): number {
    return this.lineFeeds + (this.bytes > this.afterLastLf ? 1 : 0);
  }
}
