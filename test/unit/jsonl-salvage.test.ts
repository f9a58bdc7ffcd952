import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bracketedEnd, salvageSegment } from '../../src/core/jsonl-salvage';

const decode = (buf: Buffer, start: number, end: number): string => buf.toString('utf8', start, end);

/** What salvageSegment keeps from `text`, as [text before the kept run, kept values]. */
function salvage(text: string | Buffer): [string, unknown[]] {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const r = salvageSegment(buf, 0, buf.length, decode);
  return [r.keepFrom < 0 ? buf.toString('latin1') : buf.toString('latin1', 0, r.keepFrom), r.values.map((v) => v.value)];
}

describe('salvageSegment: the one rule for damaged lines', () => {
  test('(a) objects and arrays that together span the segment are all kept', () => {
    assert.deepEqual(salvage('{"a":1}{"b":2}'), ['', [{ a: 1 }, { b: 2 }]]);
    assert.deepEqual(salvage(' {"a":1}  [2]\t{"c":[3]} '), [' ', [{ a: 1 }, [2], { c: [3] }]]);
  });

  test('(b) a torn record start, then a whole object (or fused run from an object) ending the segment', () => {
    assert.deepEqual(salvage('{"type":"x","prNu{"type":"y"}'), ['{"type":"x","prNu', [{ type: 'y' }]]);
    assert.deepEqual(salvage('{"a":1,"b{"c":2}[3]'), ['{"a":1,"b', [{ c: 2 }, [3]]]);
    assert.deepEqual(salvage('\0\0\0{"b":2}'), ['\0\0\0', [{ b: 2 }]]);
    // After a torn start, values with text between them are not a fused run: only the last is kept.
    assert.deepEqual(salvage('{"m":"x {} [1] {"i":6}'), ['{"m":"x {} [1] ', [{ i: 6 }]]);
    assert.deepEqual(salvage(Buffer.from('\ufeff{"b":2}')), ['\u00ef\u00bb\u00bf', [{ b: 2 }]]);
  });

  test('never a scalar, a string, or a value followed by other text', () => {
    for (const text of [
      '{"m":"x [1] y',
      '{"a":1,\0\0\0"b":2}',
      '"role": "user",',
      '  "meta": {"x": 1}',
      '{"a":1}\0\0',
      '{"a":1},',
      '{"a":1}{"b":2} [3]"s"',
      '{"a":1}2',
      '1{"a":1}',
      'garbage {"a":1}',
      '\u00c3{"after":1}',
      '{"torn":["a",[1]',
      '}',
      '{',
    ]) {
      assert.deepEqual(salvage(text)[1], [], JSON.stringify(text));
    }
  });

  test('a value that may be nested in the torn record is not kept (break-test F2)', () => {
    for (const text of [
      '{"cfg":{"retries":3},"env":{"HOME":"/root"}',
      '[1,2,{"x":1}',
      '{"a":[1,{"b":2}',
      '{"m":"a {}[1,2]',
      '{"m":"a {}',
      '["torn",{"a":1}[2]',
      '{"m":"a \\"{}',
      '\0\0{"a":{"b":1}',
      // Two torn records on one line: the value is nested in the second (found by the property test).
      '{{"id":4,"last":{"deep":[1,{"x":{}',
      '{"a":1,"b{"c":[{"d":{}',
    ]) {
      assert.deepEqual(salvage(text)[1], [], JSON.stringify(text));
    }
    // A record appended after the torn text is still kept once its text cannot continue it.
    assert.deepEqual(salvage('{"m":"a {}{"i":6}'), ['{"m":"a {}', [{ i: 6 }]]);
    assert.deepEqual(salvage('{"a":1,"b":{"c":1}{"d":2}'), ['{"a":1,"b":{"c":1}', [{ d: 2 }]]);
  });

  test('the ambiguities that remain: a record appended where a value could start; a value after a NUL hole', () => {
    // Indistinguishable from {"a":{"id":2}... cut short: not kept (quarantined with the torn text).
    assert.deepEqual(salvage('{"a":{"id":2}')[1], []);
    // After a hole the torn record's opening may be gone: a value there is taken as a record.
    assert.deepEqual(salvage('{"a":1,\0\0\0"b":{"c":1}')[1], [{ c: 1 }]);
    assert.deepEqual(salvage('{"a":1,\0\0\0{"c":1}'), ['{"a":1,\0\0\0', [{ c: 1 }]]);
  });

  test('sweep: a record with nested values torn at every byte keeps nothing; one appended to it is kept or quarantined, never invented', () => {
    const torn = [
      { cfg: { retries: 3, list: [1, { x: [2, { y: {} }] }] }, env: { HOME: '/root', a: [[], [{}]] } },
      [1, [2, { a: { b: [3, {}] } }], { m: 'a {} [1] {"k":1}' }],
      { s: 'x {"q":[1]} \\" {}', n: [{ o: { p: [{}] } }], e: {} },
    ];
    const appended = { id: 99, t: 'next' };
    let kept = 0;
    let notKept = 0;
    for (const rec of torn) {
      const text = JSON.stringify(rec);
      for (let cut = 1; cut < text.length; cut++) {
        const prefix = text.slice(0, cut);
        // Followed by the end of the line: nothing may be kept.
        assert.deepEqual(salvage(prefix)[1], [], `torn: ${prefix}`);
        // Followed by another record on the same line: only that record, or nothing.
        const [, values] = salvage(prefix + JSON.stringify(appended));
        assert.ok(values.length === 0 || (values.length === 1 && JSON.stringify(values[0]) === JSON.stringify(appended)), `${prefix} + record: ${JSON.stringify(values)}`);
        if (values.length === 1) kept++;
        else notKept++;
      }
    }
    // Most appended records are told apart; those after a ':' ',' or '[' of the torn one are not.
    assert.ok(kept > notKept * 2, `appended records kept ${kept}, not kept ${notKept}`);
  });

  test('a value that parses but is not valid UTF-8 is not kept', () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}{"b":2}')]);
    assert.deepEqual(salvage(bad)[1], [{ b: 2 }]);
  });

  test('pathological segments stay linear: 200 000 unclosed brackets in well under a second', () => {
    for (const text of ['{'.repeat(200_000), '{"a":'.repeat(40_000) + '{"b":1}', '[{'.repeat(100_000)]) {
      const started = process.hrtime.bigint();
      salvage(text);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 2000, `${ms} ms for ${text.slice(0, 10)}…`);
    }
  });
});

/**
 * The plain byte loop that bracketedEnd's memchr over strings must match: outside strings,
 * brackets count; inside, a backslash skips the next byte and a quote closes.
 */
function bracketedEndByBytes(buf: Buffer, p: number, end: number): number {
  let depth = 0;
  for (let i = p; i < end; i++) {
    const c = buf[i];
    if (c === 0x22) {
      for (i++; i < end; i++) {
        if (buf[i] === 0x5c) i++;
        else if (buf[i] === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

describe('bracketedEnd: the string-aware bracket scan of salvage', () => {
  test('escaped quotes, runs of backslashes, and strings cut by the range end', () => {
    const cases: [string, number][] = [
      ['{"a":"}"}', 9],
      ['{"a":"\\\\"}', 10],
      ['{"a":"\\\\\\"}"}', 13],
      ['{"a":"\\"}', -1],
      ['[["x"],"]"]', 11],
      ['{"a":"b', -1],
      ['{"a":"b\\', -1],
    ];
    for (const [text, want] of cases) {
      const buf = Buffer.from(text);
      assert.equal(bracketedEnd(buf, 0, buf.length), want, text);
      assert.equal(bracketedEndByBytes(buf, 0, buf.length), want, `${text} (reference)`);
    }
  });

  test('property: equals the byte loop on any mix of quotes, backslashes and brackets, any range', () => {
    const bytes = fc.array(fc.constantFrom(0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x61, 0x20, 0x00, 0xc3), { maxLength: 60 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (buf, x, y) => {
        const p = buf.length === 0 ? 0 : x % buf.length;
        const end = p + (buf.length === 0 ? 0 : y % (buf.length - p + 1));
        assert.equal(bracketedEnd(buf, p, end), bracketedEndByBytes(buf, p, end));
      }),
      { numRuns: 20000 },
    );
  });
});
