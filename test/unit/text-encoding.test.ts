// Encoding detection (text-encoding.ts) and what reader and repair do with a file that is not
// UTF-8: UTF-16 and UTF-32, either byte order, with and without a byte-order mark, whatever the
// language of the text. Issue 9 break-test F1: BOM-less UTF-16 with Japanese or emoji text was
// read as damaged UTF-8, and repair emptied the file into the quarantine; UTF-32 likewise.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeUnitLineCounter, detectEncoding, type NonUtf8Encoding } from '../../src/core/text-encoding';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { repairJsonl, JsonlEncodingError } from '../../src/core/jsonl-repair';
import { cleanupTracked, tempDir } from '../helpers/processes';

const ENCODINGS: NonUtf8Encoding[] = ['UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'];

/** `text` in `encoding`, with its byte-order mark when `bom`. */
function encode(text: string, encoding: NonUtf8Encoding, bom = false): Buffer {
  const t = bom ? `\ufeff${text}` : text;
  if (encoding === 'UTF-16LE') return Buffer.from(t, 'utf16le');
  if (encoding === 'UTF-16BE') return Buffer.from(t, 'utf16le').swap16();
  const cps = [...t].map((c) => c.codePointAt(0) as number);
  const out = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => (encoding === 'UTF-32LE' ? out.writeUInt32LE(cp, i * 4) : out.writeUInt32BE(cp, i * 4)));
  return out;
}

/** JSONL texts whose first bytes differ in every way that matters: script, first value, padding. */
const TEXTS: Array<[string, string, number]> = [
  ['Latin', '{"n":1}\r\n{"n":"é"}\r\n', 2],
  ['Japanese first', '{"メッセージ":"こんにちは世界、今日はいい天気ですね。明日も晴れるでしょう"}\n{"a":1}\n', 2],
  ['emoji first', '{"😀😀😀😀":"🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉"}\n{"a":1}', 2],
  ['array first', '[1,2]\n{"a":1}\n', 2],
  ['leading whitespace and blank lines', '  \n\n {"a":1}\n', 3],
  ['a scalar record', '1\n', 1],
  ['one empty object', '{}', 1],
  // U+300A and U+0A0A hold a 0A byte that is not a line feed.
  ['0A bytes inside characters', '{"k":"《》ਊ"}\n{"k":"《"}\n', 2],
];

describe('detectEncoding', () => {
  for (const encoding of ENCODINGS) {
    for (const bom of [true, false]) {
      for (const [name, text] of TEXTS) {
        test(`${encoding}${bom ? ' with BOM' : ''}, ${name}: named exactly, from any head of 128 bytes or less`, () => {
          const bytes = encode(text, encoding, bom);
          assert.equal(detectEncoding(bytes.subarray(0, 128)), encoding);
          // Every head long enough to hold two code units (one and the BOM) says the same.
          const unit = encoding.startsWith('UTF-32') ? 4 : 2;
          for (let n = unit * 2; n <= Math.min(bytes.length, 128); n++) {
            const got = detectEncoding(bytes.subarray(0, n));
            // A head that is one character plus blanks (a lone '1', '{') is not evidence enough.
            if (got !== null) assert.equal(got, encoding, `first ${n} bytes`);
          }
        });
      }
    }
  }

  test('UTF-8 JSONL, NUL holes, crash residue and short files are UTF-8 (null)', () => {
    const cases: Buffer[] = [
      ...TEXTS.map(([, text]) => Buffer.from(text)),
      Buffer.concat([Buffer.alloc(40), Buffer.from('{"a":1}\n')]),
      Buffer.concat([Buffer.from('{"a":1}'), Buffer.alloc(40)]),
      Buffer.concat([Buffer.from('{'), Buffer.alloc(40)]),
      Buffer.concat([Buffer.from([0, 0]), Buffer.from('{"a":1}\n{"b":2}\n')]),
      Buffer.concat([Buffer.from([0, 0, 0]), Buffer.from('{"a":1}\n')]),
      Buffer.concat([Buffer.from([0]), Buffer.from('{"a":1}\n')]),
      Buffer.from('{\0'),
      // Found by the oracle property: a UTF-8 file whose first byte a NUL overwrote reads in
      // UTF-16BE as a string that goes on and on.
      Buffer.from('\0"id":1,"s":""}\n{"id":2,"s":"x [1] y"}\n{"id":3,"s":"x [1] y"}\n{"id":4,"s":"x [1] y"}\n'),
      Buffer.from('{\0\0\0'),
      Buffer.from('{\0"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'),
      Buffer.from('\ufeff{"a":1}\n'),
      Buffer.alloc(0),
      Buffer.alloc(128),
    ];
    for (const b of cases) assert.equal(detectEncoding(b), null, JSON.stringify(b.toString('latin1')));
  });

  test('the UTF-32LE byte-order mark is not taken for UTF-16LE (break-test F1b)', () => {
    assert.equal(detectEncoding(Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0, 0x7d, 0, 0, 0])), 'UTF-32LE');
    assert.equal(detectEncoding(Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x7b, 0, 0, 0, 0x7d])), 'UTF-32BE');
    // ... unless what follows is not UTF-32: a UTF-16LE file whose first character is a NUL.
    assert.equal(detectEncoding(Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0x7d, 0])), 'UTF-16LE');
  });
});

describe('CodeUnitLineCounter', () => {
  test('counts line feeds as code units, in any chunking, for every encoding', () => {
    for (const encoding of ENCODINGS) {
      for (const [name, text, lines] of TEXTS) {
        const bytes = encode(text, encoding, true);
        for (const size of [1, 2, 3, 5, 7, 1 << 20]) {
          const counter = new CodeUnitLineCounter(encoding);
          for (let i = 0; i < bytes.length; i += size) counter.push(bytes.subarray(i, i + size));
          assert.equal(counter.end(), lines, `${encoding} ${name} in chunks of ${size}`);
        }
      }
    }
  });
});

describe('reader and repair on a file that is not UTF-8', () => {
  afterEach(cleanupTracked);

  for (const encoding of ENCODINGS) {
    for (const bom of [true, false]) {
      test(`${encoding}${bom ? ' with BOM' : ''}: one not-utf8 problem naming it, exact line count; repair refuses and changes nothing`, async () => {
        const dir = tempDir('enc');
        for (const [name, text, lines] of TEXTS) {
          const file = path.join(dir, `${name}.jsonl`);
          const bytes = encode(text, encoding, bom);
          fs.writeFileSync(file, bytes);
          const s = await scanJsonl(file);
          assert.deepEqual(
            s.problems.map((p) => [p.kind, p.offset, p.length, p.encoding]),
            [['not-utf8', 0, bytes.length, encoding]],
            name,
          );
          assert.match(s.problems[0]?.message ?? '', new RegExp(`^file is ${encoding}${bom ? ' with byte-order mark' : ''}, not UTF-8`));
          assert.equal(s.records, 0, name);
          assert.equal(s.lines, lines, `${name}: line count`);
          const before = fs.statSync(file);
          await assert.rejects(repairJsonl(file), (err: unknown) => {
            assert.ok(err instanceof JsonlEncodingError);
            assert.equal(err.code, 'EJSONLENCODING');
            assert.equal(err.encoding, encoding);
            return true;
          });
          assert.deepEqual(fs.readFileSync(file), bytes, name);
          const after = fs.statSync(file);
          assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], name);
          assert.equal(fs.existsSync(`${file}.quarantine`), false, name);
        }
        assert.deepEqual(
          fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')),
          [],
        );
      });
    }
  }

  test('a wide-encoded file whose first line is damaged is not detected, but repair still refuses to empty it', async () => {
    const dir = tempDir('enc');
    for (const encoding of ENCODINGS) {
      // The first line cut in front (as if its start were lost), then whole records.
      const whole = encode('{"メッセージ":"こんにちは"}\n{"a":1}\n{"b":2}\n', encoding);
      const unit = encoding.startsWith('UTF-32') ? 4 : 2;
      const bytes = whole.subarray(unit * 3);
      const file = path.join(dir, `${encoding}.jsonl`);
      fs.writeFileSync(file, bytes);
      const s = await scanJsonl(file);
      assert.equal(s.records, 0, encoding);
      await assert.rejects(repairJsonl(file), (err: unknown) => {
        assert.ok(err instanceof JsonlEncodingError, String(err));
        assert.equal(err.encoding, null);
        assert.match(err.message, /does not read as UTF-8 JSON Lines: no record, and NUL bytes interleaved/);
        return true;
      });
      assert.deepEqual(fs.readFileSync(file), bytes, encoding);
      assert.equal(fs.existsSync(`${file}.quarantine`), false, encoding);
    }
  });

  test('crash residue is still repaired: a file of NUL holes, or torn text and one hole', async () => {
    const dir = tempDir('enc');
    for (const bytes of [Buffer.alloc(4096), Buffer.concat([Buffer.from('{"a":'), Buffer.alloc(30), Buffer.from('\n{"b":\0\0\n')])]) {
      const file = path.join(dir, 'residue.jsonl');
      fs.writeFileSync(file, bytes);
      const r = await repairJsonl(file);
      assert.equal(r.kept, 0);
      assert.equal(r.changed, true);
      assert.equal(fs.readFileSync(file).length, 0);
      fs.rmSync(`${file}.quarantine`);
    }
  });
});
