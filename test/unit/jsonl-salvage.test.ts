import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { salvageSegment } from '../../src/core/jsonl-salvage';

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
    assert.deepEqual(salvage('["torn",{"a":1}[2]'), ['["torn",', [{ a: 1 }, [2]]]);
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

  test('the documented ambiguity: a torn string ending in something like an object yields it', () => {
    assert.deepEqual(salvage('{"m":"a {}'), ['{"m":"a ', [{}]]);
    assert.deepEqual(salvage('{"m":"a {}{"i":6}'), ['{"m":"a ', [{}, { i: 6 }]]);
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
