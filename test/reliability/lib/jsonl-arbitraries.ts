// fast-check generators of JSONL files: clean ones (with an oracle: the values written) and
// damaged ones, made by applying the kinds of damage real files suffer.
import fc from 'fast-check';

export interface CleanDoc {
  values: unknown[];
  bytes: Buffer;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** One JSON value per line, as a correct writer produces, with the formatting variants we accept. */
export const cleanDoc: fc.Arbitrary<CleanDoc> = fc
  .record({
    values: fc.array(jsonValue, { maxLength: 25 }),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
    padding: fc.constantFrom('', ' ', '\t', '  '),
    blankLines: fc.array(fc.nat(30), { maxLength: 3 }),
  })
  .map(({ values, crlf, bom, finalNewline, padding, blankLines }) => {
    const eol = crlf ? '\r\n' : '\n';
    const lines = values.map((v) => `${padding}${JSON.stringify(v)}${padding}`);
    for (const at of blankLines) lines.splice(Math.min(at, lines.length), 0, padding);
    let text = lines.join(eol);
    if (lines.length > 0 && finalNewline) text += eol;
    const body = Buffer.from(text, 'utf8');
    const parsed = values.map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    return { values: parsed, bytes: bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body };
  });

/** Byte sequences that are not valid UTF-8: bad lead, lone continuation, overlong, surrogate, too high, truncated. */
const INVALID_UTF8 = [[0xc3, 0x28], [0xff], [0xfe], [0x80], [0xbf, 0xbf], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];

export type Mutation =
  | { op: 'nul'; at: number; count: number }
  | { op: 'truncate'; at: number }
  | { op: 'fuse'; nth: number }
  | { op: 'invalid-utf8'; at: number; seq: number }
  | { op: 'crlf'; nth: number }
  | { op: 'bom'; at: number }
  | { op: 'long-line'; at: number; length: number; json: boolean }
  | { op: 'random-bytes'; at: number; bytes: Uint8Array }
  | { op: 'flip'; at: number; mask: number }
  | { op: 'duplicate'; from: number; length: number; at: number }
  | { op: 'cut'; from: number; length: number };

// Positions are fractions of the current length, so a mutation applies to any file.
const pos = fc.double({ min: 0, max: 1, noNaN: true });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('nul' as const), at: pos, count: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: pos }),
  fc.record({ op: fc.constant('fuse' as const), nth: fc.nat(40) }),
  fc.record({ op: fc.constant('invalid-utf8' as const), at: pos, seq: fc.nat(INVALID_UTF8.length - 1) }),
  fc.record({ op: fc.constant('crlf' as const), nth: fc.nat(40) }),
  fc.record({ op: fc.constant('bom' as const), at: pos }),
  fc.record({ op: fc.constant('long-line' as const), at: pos, length: fc.integer({ min: 1, max: 9000 }), json: fc.boolean() }),
  fc.record({ op: fc.constant('random-bytes' as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ op: fc.constant('flip' as const), at: pos, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('duplicate' as const), from: pos, length: fc.integer({ min: 1, max: 200 }), at: pos }),
  fc.record({ op: fc.constant('cut' as const), from: pos, length: fc.integer({ min: 1, max: 50 }) }),
);

function index(buf: Buffer, at: number): number {
  return Math.min(buf.length, Math.floor(at * (buf.length + 1)));
}

function nthIndexOf(buf: Buffer, byte: number, nth: number): number {
  const hits: number[] = [];
  for (let i = buf.indexOf(byte); i >= 0; i = buf.indexOf(byte, i + 1)) hits.push(i);
  return hits.length === 0 ? -1 : (hits[nth % hits.length] as number);
}

function insert(buf: Buffer, at: number, bytes: Uint8Array | number[]): Buffer {
  return Buffer.concat([buf.subarray(0, at), Buffer.from(bytes), buf.subarray(at)]);
}

export function applyMutation(buf: Buffer, m: Mutation): Buffer {
  switch (m.op) {
    case 'nul':
      return insert(buf, index(buf, m.at), Buffer.alloc(m.count));
    case 'truncate':
      return buf.subarray(0, index(buf, m.at));
    case 'fuse': {
      const i = nthIndexOf(buf, 0x0a, m.nth);
      return i < 0 ? buf : Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)]);
    }
    case 'invalid-utf8':
      return insert(buf, index(buf, m.at), INVALID_UTF8[m.seq] as number[]);
    case 'crlf': {
      const i = nthIndexOf(buf, 0x0a, m.nth);
      return i < 0 ? buf : insert(buf, i, [0x0d]);
    }
    case 'bom':
      return insert(buf, index(buf, m.at), [0xef, 0xbb, 0xbf]);
    case 'long-line': {
      const body = m.json ? JSON.stringify({ long: 'y'.repeat(m.length) }) : 'z'.repeat(m.length);
      return insert(buf, index(buf, m.at), Buffer.from(`\n${body}\n`));
    }
    case 'random-bytes':
      return insert(buf, index(buf, m.at), m.bytes);
    case 'flip': {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      const i = Math.min(out.length - 1, index(out, m.at));
      out[i] = (out[i] as number) ^ m.mask;
      return out;
    }
    case 'duplicate': {
      const from = index(buf, m.from);
      const seg = buf.subarray(from, Math.min(buf.length, from + m.length));
      return insert(buf, index(buf, m.at), seg);
    }
    case 'cut': {
      const from = index(buf, m.from);
      return Buffer.concat([buf.subarray(0, from), buf.subarray(Math.min(buf.length, from + m.length))]);
    }
  }
}

/** A clean file damaged by up to six mutations. */
export const damagedDoc: fc.Arbitrary<{ clean: CleanDoc; mutations: Mutation[]; bytes: Buffer }> = fc
  .record({ clean: cleanDoc, mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }) })
  .map(({ clean, mutations }) => ({ clean, mutations, bytes: mutations.reduce(applyMutation, clean.bytes) }));

/** Bytes biased towards JSON syntax, NULs, line breaks and high bytes: the reader's worst inputs. */
const nastyByte = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Buffer.from('{}[]":,\\ \n\r\t0123456789.-+eEtrufalsn')) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, 0xef, 0xbb, 0xbf, 0xc3, 0x80, 0xff, 0xed, 0xa0) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
export const randomBytes: fc.Arbitrary<Buffer> = fc.array(nastyByte, { maxLength: 400 }).map((a) => Buffer.from(a));

/** Any of the above, as bytes. */
export const anyJsonlBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 1, arbitrary: cleanDoc.map((d) => d.bytes) },
  { weight: 4, arbitrary: damagedDoc.map((d) => d.bytes) },
  { weight: 2, arbitrary: randomBytes },
);
