import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { MAX_SCRATCH_DECODE_BYTES, decodeValidUtf8, looksMostlyMultibyte } from '../../src/core/jsonl-decode';
import { readJsonl, scanJsonl, type JsonlProblem, type JsonlRecord } from '../../src/core/jsonl-reader';
import { tempDir } from '../fixtures/lock-helpers';

/** Node's own decoding: what decodeValidUtf8 must equal on valid UTF-8. */
const reference = (buf: Buffer, start: number, end: number): string => buf.toString('utf8', start, end);

// Text that is mostly multi-byte (2, 3 and 4-byte sequences), so the reader's blocks take the
// one-pass decoder, with some ASCII and JSON escapes among it.
const WIDE_WORDS = ['данные', 'журнал', '会话', '記録', 'セッション', 'größe', 'élève', '🙂', '🚀', '→', '«»', 'ß', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{10ffff}'];
const wideText = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...WIDE_WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) }), { maxLength: 40 }).map((ws) => ws.join(' '));

describe('jsonl-decode: the one-pass UTF-8 decoder', () => {
  test('gives Node\'s decoding at every sequence length and boundary code point', () => {
    const points = [0x00, 0x41, 0x7f, 0x80, 0xff, 0x100, 0x7ff, 0x800, 0xfffd, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x1f642, 0x10ffff];
    for (const cp of points) {
      const buf = Buffer.from(`a${String.fromCodePoint(cp)}b`);
      assert.equal(decodeValidUtf8(buf, 0, buf.length), reference(buf, 0, buf.length), `U+${cp.toString(16)}`);
    }
    const all = Buffer.from(points.map((cp) => String.fromCodePoint(cp)).join(''));
    assert.equal(decodeValidUtf8(all, 0, all.length), reference(all, 0, all.length));
    assert.equal(decodeValidUtf8(all, 3, 3), '');
  });

  test('property: any valid UTF-8 slice decodes exactly as Node decodes it, whatever its length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 20 }), (middle, before, after) => {
        // Lone surrogates encode as U+FFFD: still valid UTF-8, as the decoder requires.
        const head = Buffer.from(before);
        const body = Buffer.from(middle);
        const buf = Buffer.concat([head, body, Buffer.from(after)]);
        const end = head.length + body.length;
        assert.equal(decodeValidUtf8(buf, head.length, end), reference(buf, head.length, end));
      }),
      { numRuns: 2000 },
    );
  });

  test('lines longer than its scratch space, and lines that grow it, decode the same', () => {
    const grow = Buffer.from('日本語'.repeat(3000)); // 27 KB: past the first scratch size
    assert.equal(decodeValidUtf8(grow, 0, grow.length), reference(grow, 0, grow.length));
    const huge = Buffer.from('данные🙂'.repeat(Math.ceil(MAX_SCRATCH_DECODE_BYTES / 16) + 10));
    assert.ok(huge.length > MAX_SCRATCH_DECODE_BYTES);
    assert.equal(decodeValidUtf8(huge, 0, huge.length), reference(huge, 0, huge.length));
    // The scratch array is reused: a short line after a long one is not polluted by it.
    const short = Buffer.from('{"k":"é"}');
    assert.equal(decodeValidUtf8(short, 0, short.length), '{"k":"é"}');
  });

  test('looksMostlyMultibyte: CJK and Cyrillic text yes, ASCII and mostly-ASCII text no', () => {
    const yes = [Buffer.from('会话 锁定 窗口 '.repeat(500)), Buffer.from('сессия блокировка окно '.repeat(300))];
    const no = [Buffer.from('session lock window '.repeat(500)), Buffer.from(('session lock window agent café '.repeat(20) + '日本語 ').repeat(30)), Buffer.alloc(0)];
    for (const b of yes) assert.equal(looksMostlyMultibyte(b, 0, b.length), true);
    for (const b of no) assert.equal(looksMostlyMultibyte(b, 0, b.length), false);
    const mixed = Buffer.concat([Buffer.from('a'.repeat(1000)), yes[0] as Buffer]);
    assert.equal(looksMostlyMultibyte(mixed, 1000, mixed.length), true, 'only the given range is sampled');
  });
});

describe('jsonl-decode in the reader: mostly multi-byte files with damage', () => {
  interface Seen {
    records: JsonlRecord[];
    problems: JsonlProblem[];
  }

  async function scanFile(file: string, chunkBytes: number): Promise<Seen & { stats: unknown }> {
    const records: JsonlRecord[] = [];
    const problems: JsonlProblem[] = [];
    const { problems: listed, ...stats } = await scanJsonl(file, { chunkBytes, onRecord: (r) => records.push(r), onProblem: (p) => problems.push(p), maxProblems: Infinity });
    assert.deepEqual(listed, problems);
    return { records, problems, stats };
  }

  test('property: values equal JSON.parse of each record\'s bytes; records, problems and offsets equal the byte-validation path, readJsonl and every chunking', async () => {
    const dir = await tempDir('decode');
    const record = fc.record({ id: fc.nat(), text: wideText, tags: fc.array(wideText, { maxLength: 3 }), n: fc.double({ noNaN: true, noDefaultInfinity: true }) });
    const piece = fc.oneof(
      { weight: 8, arbitrary: record.map((r) => Buffer.from(JSON.stringify(r) + '\n')) },
      // Records written with \u escapes for every non-ASCII character: the same values.
      { weight: 1, arbitrary: record.map((r) => Buffer.from(JSON.stringify(r).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n')) },
      // Invalid UTF-8 inside a string: the record must be damage, not U+FFFD.
      { weight: 1, arbitrary: fc.tuple(wideText, fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80])).map(([t, bad]) => Buffer.concat([Buffer.from(`{"t":${JSON.stringify(t).slice(0, -1)}`), Buffer.from(bad), Buffer.from('"}\n')])) },
      // A record cut inside a multi-byte sequence, then the next line.
      { weight: 1, arbitrary: fc.tuple(record, fc.nat()).map(([r, at]) => { const b = Buffer.from(JSON.stringify(r)); return b.subarray(0, at % (b.length + 1)); }) },
      { weight: 1, arbitrary: fc.array(record, { minLength: 2, maxLength: 3 }).map((rs) => Buffer.from(rs.map((r) => JSON.stringify(r)).join('') + '\n')) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => Buffer.alloc(n, 0)) },
    );
    let n = 0;
    let wide = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
        const bytes = Buffer.concat(pieces);
        const file = path.join(dir, `f${n++}.jsonl`);
        await fsp.writeFile(file, bytes);
        if (looksMostlyMultibyte(bytes, 0, bytes.length)) wide++;
        const whole = await scanFile(file, 1 << 20);
        for (const r of whole.records) {
          assert.deepEqual(r.value, JSON.parse(bytes.toString('utf8', r.offset, r.offset + r.length)), `record at ${r.offset}`);
        }
        // No decoding at all on this path: an independent check of which lines are records.
        const { problems: leanProblems, ...leanStats } = await scanJsonl(file, { maxProblems: Infinity });
        assert.deepEqual(leanStats, whole.stats);
        assert.deepEqual(leanProblems, whole.problems);
        for (const chunkBytes of [1, 7, 4096]) assert.deepEqual(await scanFile(file, chunkBytes), whole, `chunkBytes ${chunkBytes}`);
        const iterated: JsonlRecord[] = [];
        for await (const r of readJsonl(file)) iterated.push(r);
        assert.deepEqual(iterated, whole.records, 'readJsonl');
      }),
      { numRuns: 150 },
    );
    assert.ok(wide > 75, `only ${wide} of 150 files were mostly multi-byte: the one-pass decoder went untested`);
  });
});
