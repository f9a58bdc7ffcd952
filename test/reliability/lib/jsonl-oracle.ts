// The no-invented-record oracle: files made from known records, then damaged the ways real files
// are (truncation, a torn record spliced onto the next, NUL holes, raw newlines inside strings,
// pretty-printing, fused lines, CR-only or UTF-16/UTF-32 re-encoding). Whatever the reader keeps must be
// one of the records written, or a value that ends its damaged line after a NUL hole or a BOM
// on it (rule (b) of src/core/jsonl-salvage.ts: the one ambiguity of that kind it admits,
// counted). A second generator tears records full of nested objects and arrays at every
// position: from those nothing but records written may come back.
import fc from 'fast-check';
import type { Parsed } from './jsonl-checks';
import type { NonUtf8Encoding } from '../../../src/core/text-encoding';

/** Strings that hold what salvage must not take for records: brackets, quote-free values, escaped JSON. */
const trickyText = fc.oneof(
  fc.constantFrom('x [1] y', 'a {}', '{}', '[]', '[[1,2]]', '{ }', 'see {"k": 1}', '} {', 'tail {', '[1] [2]', '{"id":0}', 'a\nb', 'é {} 😀', 'こんにちは世界', '《》ਊ'),
  fc.string({ maxLength: 12 }),
);

/**
 * Records are flat objects with a unique id: pretty-printing one never yields a line that is
 * valid JSON by itself (which no line-based reader could tell from a record).
 */
const record = (id: number): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .record(
      { s: trickyText, n: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), t: trickyText, b: fc.boolean(), jp: fc.boolean() },
      { requiredKeys: ['s', 'jp'] },
    )
    // Sometimes a non-Latin key comes first: encoding detection must not depend on the text's script.
    .map(({ jp, ...r }) => (jp ? { メッセージ: '今日はいい天気ですね', id, ...r } : { id, ...r }));

export type OracleDamage =
  | { op: 'truncate'; at: number }
  | { op: 'splice'; line: number; at: number }
  | { op: 'nul-hole'; at: number; count: number; overwrite: boolean }
  | { op: 'raw-newline'; at: number }
  | { op: 'pretty'; line: number }
  | { op: 'fuse'; line: number }
  | { op: 'cr-only' }
  | { op: 'wide'; encoding: NonUtf8Encoding; bom: boolean };

const frac = fc.double({ min: 0, max: 1, noNaN: true });

const damageOp: fc.Arbitrary<OracleDamage> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: frac }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('splice' as const), line: fc.nat(30), at: frac }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('nul-hole' as const), at: frac, count: fc.integer({ min: 1, max: 40 }), overwrite: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('raw-newline' as const), at: frac }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pretty' as const), line: fc.nat(30) }) },
  fc.record({ op: fc.constant('fuse' as const), line: fc.nat(30) }),
);

/** Whole-file re-encodings, applied last (they change what every byte means). */
const reencode: fc.Arbitrary<OracleDamage | null> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(null) },
  fc.constant({ op: 'cr-only' as const }),
  fc.record({ op: fc.constant('wide' as const), encoding: fc.constantFrom<NonUtf8Encoding>('UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'), bom: fc.boolean() }),
);

export interface OracleDoc {
  /** JSON.stringify of every record written. */
  originals: Set<string>;
  damage: OracleDamage[];
  bytes: Buffer;
  /** Re-encoded as UTF-16 or UTF-32: nothing may be read as a record. */
  wide: NonUtf8Encoding | null;
  /** ... with a byte-order mark: it must be reported as a not-utf8 problem naming the encoding. */
  wideBom: boolean;
}

/** Start offsets of the lines of `buf` (each after a '\n', and 0). */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = buf.indexOf(0x0a); i >= 0 && i + 1 < buf.length; i = buf.indexOf(0x0a, i + 1)) starts.push(i + 1);
  return starts;
}

function at(buf: Buffer, f: number): number {
  return Math.min(buf.length, Math.floor(f * (buf.length + 1)));
}

export function applyOracleDamage(buf: Buffer, d: OracleDamage): Buffer {
  switch (d.op) {
    case 'truncate':
      return buf.subarray(0, at(buf, d.at));
    case 'splice': {
      // A writer died inside line N; the next record was appended to its torn prefix.
      const starts = lineStarts(buf);
      const start = starts[d.line % starts.length] as number;
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) return buf;
      const cut = start + Math.floor(d.at * (nl - start));
      return Buffer.concat([buf.subarray(0, cut), buf.subarray(nl + 1)]);
    }
    case 'nul-hole': {
      const i = at(buf, d.at);
      if (!d.overwrite) return Buffer.concat([buf.subarray(0, i), Buffer.alloc(d.count), buf.subarray(i)]);
      const out = Buffer.from(buf);
      out.fill(0, i, Math.min(out.length, i + d.count));
      return out;
    }
    case 'raw-newline': {
      const i = at(buf, d.at);
      return Buffer.concat([buf.subarray(0, i), Buffer.from('\n'), buf.subarray(i)]);
    }
    case 'pretty': {
      const starts = lineStarts(buf);
      const start = starts[d.line % starts.length] as number;
      let nl = buf.indexOf(0x0a, start);
      if (nl < 0) nl = buf.length;
      let value: unknown;
      try {
        value = JSON.parse(buf.subarray(start, nl).toString('utf8'));
      } catch {
        return buf; // already damaged: nothing to pretty-print
      }
      return Buffer.concat([buf.subarray(0, start), Buffer.from(JSON.stringify(value, null, 2)), buf.subarray(nl)]);
    }
    case 'fuse': {
      const starts = lineStarts(buf);
      const nl = buf.indexOf(0x0a, starts[d.line % starts.length] as number);
      return nl < 0 ? buf : Buffer.concat([buf.subarray(0, nl), buf.subarray(nl + 1)]);
    }
    case 'cr-only':
      return Buffer.from(buf.map((c) => (c === 0x0a ? 0x0d : c)));
    case 'wide':
      return encodeWide(buf.toString('utf8'), d.encoding, d.bom);
  }
}

/** `text` in a UTF-16/32 encoding, with its byte-order mark when `bom`. */
export function encodeWide(text: string, encoding: NonUtf8Encoding, bom: boolean): Buffer {
  const t = bom ? `\ufeff${text}` : text;
  if (encoding === 'UTF-16LE') return Buffer.from(t, 'utf16le');
  if (encoding === 'UTF-16BE') return Buffer.from(t, 'utf16le').swap16();
  const cps = Array.from(t, (c) => c.codePointAt(0) as number);
  const out = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => (encoding === 'UTF-32LE' ? out.writeUInt32LE(cp, i * 4) : out.writeUInt32BE(cp, i * 4)));
  return out;
}

export const oracleDoc: fc.Arbitrary<OracleDoc> = fc
  .integer({ min: 1, max: 20 })
  .chain((n) =>
    fc.record({
      records: fc.tuple(...Array.from({ length: n }, (_, i) => record(i + 1))),
      damage: fc.array(damageOp, { minLength: 1, maxLength: 5 }),
      reencode,
    }),
  )
  .map(({ records, damage, reencode: re }) => {
    const lines = records.map((r) => JSON.stringify(r));
    const originals = new Set(lines.map((l) => JSON.stringify(JSON.parse(l))));
    let bytes = damage.reduce(applyOracleDamage, Buffer.from(lines.join('\n') + '\n'));
    const all = [...damage];
    if (re) {
      bytes = applyOracleDamage(bytes, re);
      all.push(re);
    }
    return { originals, damage: all, bytes, wide: re?.op === 'wide' ? re.encoding : null, wideBom: re?.op === 'wide' && re.bom };
  });

/** Records full of nested objects and arrays, some torn and followed by '\n' or by the next record. */
export interface TornNestedDoc {
  originals: Set<string>;
  bytes: Buffer;
  /** Records torn (each followed by the end of its line or directly by the next record). */
  tears: number;
  /** Of those, how many had the next record appended directly (no '\n' in between). */
  appended: number;
}

/** Nested JSON: objects and arrays inside each other, with strings that look like JSON. */
const nested: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    trickyText,
    fc.constant(null),
    tie('object'),
    tie('array'),
  ),
  object: fc.dictionary(fc.oneof(fc.constantFrom('cfg', 'env', 'HOME', 'x', 'メッセージ', 'a {}'), fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 4 }),
  array: fc.array(tie('value'), { maxLength: 4 }),
})).value;

const nestedRecord = (id: number): fc.Arbitrary<Record<string, unknown>> =>
  fc.record({ cfg: nested, env: nested, last: fc.oneof(nested, fc.constant({ deep: [1, { x: {} }] })) }).map((r) => ({ id, ...r }));

export const tornNestedDoc: fc.Arbitrary<TornNestedDoc> = fc
  .integer({ min: 1, max: 8 })
  .chain((n) =>
    fc.record({
      records: fc.tuple(...Array.from({ length: n }, (_, i) => nestedRecord(i + 1))),
      // Per record: not torn, or torn at a fraction of its text, then '\n' or the next record.
      // (A uniform byte position: fractions from fc.double cluster at the ends.)
      tears: fc.array(fc.option(fc.record({ at: fc.nat(), appended: fc.boolean() }), { freq: 2 }), { minLength: n, maxLength: n }),
    }),
  )
  .map(({ records, tears }) => {
    const originals = new Set(records.map((r) => JSON.stringify(r)));
    let text = '';
    let torn = 0;
    let appended = 0;
    records.forEach((r, i) => {
      const line = JSON.stringify(r);
      const tear = tears[i];
      if (!tear) {
        text += `${line}\n`;
        return;
      }
      torn++;
      // At least one byte, never the whole record (that would not be torn).
      text += line.slice(0, 1 + (tear.at % (line.length - 1)));
      if (tear.appended && i + 1 < records.length) appended++;
      else text += '\n';
    });
    return { originals, bytes: Buffer.from(text), tears: torn, appended };
  });

/** Torn nested records: every record kept must be one written, whole (no value from inside one). */
export function checkTornNested(doc: TornNestedDoc, parsed: Parsed): string[] {
  const out: string[] = [];
  for (const r of parsed.records) {
    const text = JSON.stringify(r.value);
    if (!doc.originals.has(text)) out.push(`record nobody wrote at byte ${r.offset} (line ${r.line}): ${text.slice(0, 120)}`);
  }
  return out;
}

export interface OracleCounts {
  original: number;
  /**
   * Recovered values that are not records written, at the end of their damaged line after a NUL
   * hole or a BOM there (the ambiguity rule (b) admits).
   */
  suffixValues: number;
  /**
   * Whole lines that are valid JSON but no record written: damage that happened to leave valid
   * JSON (a pretty-printed record with a line cut out and CR-only line ends is one line that
   * parses). Strict JSON Lines makes such a line a record, and no reader can tell; salvage is not
   * involved (these are never `recovered`).
   */
  damageLeftValidJson: number;
}

/** True when the line of `r` holds after it only whitespace and recovered values (to a '\n' or CR). */
function endsItsLine(bytes: Buffer, parsed: Parsed, r: { offset: number; length: number }): boolean {
  let i = r.offset + r.length;
  const later = parsed.records.filter((x) => x.recovered && x.offset >= i).sort((a, b) => a.offset - b.offset);
  let k = 0;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c === 0x0a || c === 0x0d) return true;
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const next = later[k];
    if (next && next.offset === i) {
      i += next.length;
      k++;
      continue;
    }
    return false;
  }
  return true;
}

/** True when the record's span is its whole '\n'-delimited line but for JSON whitespace (and a first-line BOM). */
function isWholeLine(bytes: Buffer, r: { offset: number; length: number }): boolean {
  const blank = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0d;
  let i = r.offset - 1;
  while (i >= 0 && blank(bytes[i])) i--;
  if (i === 2 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = -1;
  if (i >= 0 && bytes[i] !== 0x0a) return false;
  let j = r.offset + r.length;
  while (j < bytes.length && blank(bytes[j])) j++;
  return j === bytes.length || bytes[j] === 0x0a;
}

/** True when a NUL or a BOM precedes `offset` on its line (back to a '\n' or CR). */
function afterHole(bytes: Buffer, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = bytes[i];
    if (c === 0x0a || c === 0x0d) return false;
    if (c === 0 || (c === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf)) return true;
  }
  return false;
}

/** The oracle: every kept record was written, or is a rule-(b) value ending its line after a hole. */
export function checkNoInventedRecords(doc: OracleDoc, parsed: Parsed, counts: OracleCounts): string[] {
  const out: string[] = [];
  if (doc.wide && parsed.records.length > 0) out.push(`a ${doc.wide} file was read as records`);
  const named = parsed.problems.find((p) => p.kind === 'not-utf8');
  // FF FE 00 00 is the UTF-32LE mark, or the UTF-16LE one and a NUL (damage put there): UTF-32LE
  // when the units after it are UTF-32 too, as docs/format.md says.
  let utf32Mark = named?.encoding === 'UTF-32LE' && doc.wide === 'UTF-16LE' && doc.wideBom && [0xff, 0xfe, 0, 0].every((b, i) => doc.bytes[i] === b);
  for (let i = 0; utf32Mark && i + 4 <= Math.min(doc.bytes.length, 128); i += 4) {
    const u = doc.bytes.readUInt32LE(i);
    if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) utf32Mark = false;
  }
  if (utf32Mark) {
    // named UTF-32LE by the documented rule
  } else if (doc.wideBom && named?.encoding !== doc.wide) out.push(`a ${doc.wide} file with a BOM is not a not-utf8 problem naming it`);
  else if (named && named.encoding !== doc.wide) out.push(`a ${doc.wide ?? 'UTF-8'} file was called ${named.encoding ?? '?'}`);
  for (const r of parsed.records) {
    const text = JSON.stringify(r.value);
    if (r.recovered && (typeof r.value !== 'object' || r.value === null)) out.push(`recovered a scalar: ${text}`);
    if (doc.originals.has(text)) {
      counts.original++;
    } else if (r.recovered && endsItsLine(doc.bytes, parsed, r) && afterHole(doc.bytes, r.offset)) {
      counts.suffixValues++;
    } else if (!r.recovered && isWholeLine(doc.bytes, r)) {
      counts.damageLeftValidJson++;
    } else {
      out.push(`record nobody wrote at byte ${r.offset} (line ${r.line}, recovered ${r.recovered}): ${text.slice(0, 120)}`);
    }
  }
  return out;
}
