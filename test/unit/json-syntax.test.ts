import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { JsonSyntaxValidator, isJsonText } from '../../src/core/json-syntax';
import { isJsonTextOfValidUtf8 } from '../../src/core/json-bytes';
import { releaseScanBuffer, scanBuffer, searchMemory } from '../../src/core/byte-search';

/** The reference: valid UTF-8 and JSON.parse accepts the decoded text. */
function reference(bytes: Buffer): boolean {
  if (!isUtf8(bytes)) return false;
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function inPieces(bytes: Buffer, cuts: number[]): boolean {
  const v = new JsonSyntaxValidator();
  let at = 0;
  for (const cut of [...cuts].map((c) => Math.min(bytes.length, c)).sort((a, b) => a - b)) {
    v.push(bytes, at, cut);
    at = cut;
  }
  v.push(bytes, at, bytes.length);
  return v.end();
}

const JSON_BYTES = Buffer.from('{}[]":,\\ \n\r\t0123456789.-+eEtrufalsnu/bfA');
const mutationByte = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...JSON_BYTES) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, 0x1f, 0x7f, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x80, 0xa0, 0xbf, 0xff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
type Edit = { op: 'set' | 'insert' | 'delete' | 'truncate'; at: number; byte: number };
const edit: fc.Arbitrary<Edit> = fc.record({
  op: fc.constantFrom('set' as const, 'insert' as const, 'delete' as const, 'truncate' as const),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  byte: mutationByte,
});

function applyEdit(buf: Buffer, e: Edit): Buffer {
  const i = Math.min(buf.length, Math.floor(e.at * (buf.length + 1)));
  switch (e.op) {
    case 'set':
      if (i >= buf.length) return buf;
      return Buffer.concat([buf.subarray(0, i), Buffer.from([e.byte]), buf.subarray(i + 1)]);
    case 'insert':
      return Buffer.concat([buf.subarray(0, i), Buffer.from([e.byte]), buf.subarray(i)]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)]);
    case 'truncate':
      return buf.subarray(0, i);
  }
}

/** Valid JSON texts with the awkward parts: escapes, lone surrogates, all number forms, non-ASCII, padding. */
const validText = fc
  .record({
    value: fc.jsonValue({ maxDepth: 4 }),
    pad: fc.constantFrom('', ' ', '\t', '\r\n', ' \n '),
    pretty: fc.boolean(),
    extra: fc.constantFrom('', '"\\ud800"', '"\\uDFFF\\u0041"', '-0', '0.5e-7', '1E+400', '"\\/\\b\\f\\n\\r\\t"', '"é😀\u2028"', '[[[]]]', '{"":{}}'),
  })
  .map(({ value, pad, pretty, extra }) => {
    const body = extra === '' ? JSON.stringify(value, null, pretty ? 2 : undefined) : `[${JSON.stringify(value)},${extra}]`;
    return Buffer.from(`${pad}${body}${pad}`, 'utf8');
  });

describe('JsonSyntaxValidator', () => {
  test('known accepts and rejects', () => {
    const yes = ['0', '-0', '1.5e3', '-12.0E-1', '"\\ud800"', ' {"a":[1,true,false,null,{}]} ', '[]', '{}', '"\u007f"', '1E400', '\r\n"x"\t'];
    const no = ['', ' ', '01', '-', '1.', '.5', '1e', '1e+', '+1', '[1,]', '{"a":1,}', '{"a"}', '{1:2}', '"\\x"', '"\\u12g4"', '"a\u0001"', 'tru', 'nul', 'True', '[1 2]', '{}{}', '1 2', '\uFEFF{}', '[', ']', '{"a":1}}', '"', 'NaN', 'Infinity', '\u00a0{}', '\f1'];
    for (const t of yes) assert.equal(isJsonText(Buffer.from(t)), true, JSON.stringify(t));
    for (const t of no) assert.equal(isJsonText(Buffer.from(t)), false, JSON.stringify(t));
    // Invalid UTF-8 inside a string: JSON.parse would accept the U+FFFD it decodes to.
    for (const bad of [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80]]) {
      const bytes = Buffer.concat([Buffer.from('"a'), Buffer.from(bad), Buffer.from('b"')]);
      assert.equal(isJsonText(bytes), false, Buffer.from(bad).toString('hex'));
    }
    assert.equal(isJsonText(Buffer.from('"\u{10ffff}\u{10000}\u0800\u0080"')), true);
  });

  test('any nesting depth in memory proportional to depth, no recursion', () => {
    const depth = 1_000_000;
    const deep = Buffer.from('['.repeat(depth) + '{"a":' .repeat(10) + '1' + '}'.repeat(10) + ']'.repeat(depth));
    assert.equal(isJsonText(deep), true);
    assert.equal(isJsonText(deep.subarray(0, deep.length - 1)), false);
  });

  test('onlyWhitespace holds until the first byte of a value', () => {
    const v = new JsonSyntaxValidator();
    assert.equal(v.onlyWhitespace, true);
    v.push(Buffer.from(' \r\n\t'));
    assert.equal(v.onlyWhitespace, true);
    v.push(Buffer.from('['));
    assert.equal(v.onlyWhitespace, false);
  });

  test('the failure offset points at the offending byte', () => {
    const v = new JsonSyntaxValidator();
    v.push(Buffer.from('{"a":'));
    assert.equal(v.push(Buffer.from('[1,x]')), false);
    assert.equal(v.errorOffset, 8);
    assert.equal(v.end(), false);
    v.reset();
    assert.equal(v.push(Buffer.from('[1]')) && v.end(), true);
  });

  test('property: same answer as JSON.parse on valid, mutated and random inputs, in any chunking', () => {
    const input = fc.oneof(
      { weight: 2, arbitrary: validText },
      { weight: 5, arbitrary: fc.tuple(validText, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([b, es]) => es.reduce(applyEdit, b)) },
      { weight: 2, arbitrary: fc.array(mutationByte, { maxLength: 30 }).map((a) => Buffer.from(a)) },
    );
    let accepted = 0;
    let rejected = 0;
    const fast = scanBuffer(64 * 1024);
    after(() => releaseScanBuffer(fast));
    fc.assert(
      fc.property(input, fc.array(fc.nat(400), { maxLength: 5 }), (bytes, cuts) => {
        const want = reference(bytes);
        assert.equal(isJsonText(bytes), want, `whole: ${JSON.stringify(bytes.toString('latin1'))}`);
        assert.equal(inPieces(bytes, cuts), want, `pieces ${cuts.join(',')}: ${JSON.stringify(bytes.toString('latin1'))}`);
        if (want) accepted++;
        else rejected++;
      }),
      { numRuns: 20_000, seed: 20261130 },
    );
    // Both answers must be well represented, or the property proves little.
    assert.ok(accepted > 3000 && rejected > 3000, `accepted ${accepted}, rejected ${rejected}`);
  });

  test('byte-at-a-time feeding of every prefix agrees with JSON.parse', () => {
    const text = Buffer.from(' {"k\\u00e9y":[-0.5e+2,"é\\n",true,null,{"x":[]}],"z":"😀"} ', 'utf8');
    for (let n = 0; n <= text.length; n++) {
      const prefix = text.subarray(0, n);
      const v = new JsonSyntaxValidator();
      for (let i = 0; i < prefix.length; i++) v.push(prefix, i, i + 1);
      assert.equal(v.end(), reference(prefix), `prefix of ${n} bytes`);
    }
  });
});

/** What the JSONL parser's fast path computes: the vectorised UTF-8 check, then the byte validator. */
function fastPath(bytes: Buffer): boolean {
  return isUtf8(bytes) && isJsonTextOfValidUtf8(bytes);
}

describe('isJsonTextOfValidUtf8 (the fast path of check, repair and diagnostics)', () => {
  test('known accepts and rejects, numbers at the edges, escapes and surrogates', () => {
    const texts = [
      '0', '-0', '1.5e3', '-12.0E-1', '1E400', '-1e-400', '1e+0', '0e0', '0.0', '123456789012345678901234567890',
      '"\\ud800"', '"\\udfff\\ud800"', '"\\uD83D\\uDE00"', '"\\u0000"', '"\\/\\b\\f\\n\\r\\t\\"\\\\"',
      ' {"a":[1,true,false,null,{}]} ', '[]', '{}', '[ ]', '{ }', '[[],[[]],{}]', '{"":""}', '"\u007f"', '\r\n"x"\t',
      '"é😀\u2028\u2029"', '{"k":"v","k":"w"}',
      '', ' ', '01', '-', '-01', '1.', '.5', '1e', '1e+', '+1', '0x1', '1_0', '[1,]', '[,1]', '{"a":1,}', '{"a"}', '{1:2}', '{"a" 1}',
      '"\\x"', '"\\u12g4"', '"\\u12"', '"\\', '"a\u0001"', '"a\tb"', 'tru', 'nul', 'fals', 'True', 'truee', 'nulll', '[1 2]',
      '{}{}', '1 2', '\uFEFF{}', '[', ']', '{"a":1}}', '[1]]', '"', 'NaN', 'Infinity', '-Infinity', '\u00a0{}', '\f1', '{"a":[}', '[{]}',
    ];
    for (const t of texts) {
      const bytes = Buffer.from(t, 'utf8');
      assert.equal(fastPath(bytes), reference(bytes), JSON.stringify(t));
    }
  });

  test('long strings: every stop byte at every position and alignment agrees with JSON.parse', () => {
    // What may end or break plain content, and what must not (multi-byte characters, DEL, '!', '#', ']', '[').
    const inserts = ['"', '\\', '\\n', '\\u00e9', '\\x', '\u0001', '\u001f', '\t', '\u0000', 'é', '😀', '\u007f', '!#[]', '\\"'];
    // An ordinary buffer (the JavaScript word loop) and one in the WebAssembly search's memory.
    const inMemory = scanBuffer(256);
    assert.ok(searchMemory !== null && inMemory.buffer === searchMemory, 'the WebAssembly search loaded (Node 20 has SIMD), so its path is tested');
    let checked = 0;
    for (const pool of [Buffer.alloc(256, 0x41), inMemory.fill(0x41)]) {
      for (const length of [16, 17, 23, 40, 71]) {
        for (let at = 0; at <= length; at++) {
          for (const insert of inserts) {
            const text = `{"k":"${'a'.repeat(at)}${insert}${'b'.repeat(length - at)}"}`;
            const bytes = Buffer.from(text, 'utf8');
            const want = reference(bytes);
            // At every byte offset modulo 8 inside a larger buffer, with non-JSON bytes around it.
            for (let offset = 0; offset < 8; offset++) {
              bytes.copy(pool, offset);
              const framed = pool.subarray(offset, offset + bytes.length);
              assert.equal(isUtf8(framed) && isJsonTextOfValidUtf8(framed), want, `${JSON.stringify(text)} at offset ${offset}`);
              assert.equal(isUtf8(bytes) && isJsonTextOfValidUtf8(pool, offset, offset + bytes.length), want, `${JSON.stringify(text)} in the pool at ${offset}`);
              checked++;
            }
            pool.fill(0x41);
          }
        }
      }
    }
    releaseScanBuffer(inMemory);
    assert.ok(checked > 20_000, String(checked));
  });

  test('deep nesting agrees with JSON.parse (no recursion, no depth limit)', () => {
    for (const depth of [1, 2, 255, 256, 257, 5000, 300_000]) {
      for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
        const whole = Buffer.from(open.repeat(depth) + '1' + close.repeat(depth));
        assert.equal(fastPath(whole), true, `${open} depth ${depth}`);
        assert.equal(fastPath(whole.subarray(0, whole.length - 1)), false, `${open} depth ${depth} unclosed`);
        assert.equal(fastPath(Buffer.concat([whole, Buffer.from(close)])), false, `${open} depth ${depth} one close too many`);
      }
    }
  });

  test('property: same answer as JSON.parse on valid, mutated and random inputs (with the UTF-8 check in front)', () => {
    const input = fc.oneof(
      { weight: 2, arbitrary: validText },
      { weight: 5, arbitrary: fc.tuple(validText, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([b, es]) => es.reduce(applyEdit, b)) },
      { weight: 2, arbitrary: fc.array(mutationByte, { maxLength: 30 }).map((a) => Buffer.from(a)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')) },
    );
    let accepted = 0;
    let rejected = 0;
    const fast = scanBuffer(64 * 1024);
    after(() => releaseScanBuffer(fast));
    fc.assert(
      fc.property(input, (bytes) => {
        const want = reference(bytes);
        assert.equal(fastPath(bytes), want, JSON.stringify(bytes.toString('latin1')));
        // Inside a larger buffer (as lines are), with bytes on both sides that must not be read.
        const framed = Buffer.concat([Buffer.from('["x'), bytes, Buffer.from('"]')]);
        assert.equal(isUtf8(bytes) && isJsonTextOfValidUtf8(framed, 3, 3 + bytes.length), want, 'framed');
        // The same bytes in the WebAssembly search's memory, at an odd offset.
        if (bytes.length + 8 <= fast.length) {
          fast.fill(0x22);
          bytes.copy(fast, 5);
          assert.equal(isUtf8(bytes) && isJsonTextOfValidUtf8(fast, 5, 5 + bytes.length), want, 'in WebAssembly memory');
        }
        if (want) accepted++;
        else rejected++;
      }),
      { numRuns: 20_000, seed: 20261201 },
    );
    assert.ok(accepted > 3000 && rejected > 3000, `accepted ${accepted}, rejected ${rejected}`);
  });
});
