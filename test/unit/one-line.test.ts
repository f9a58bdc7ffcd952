// The one sanitiser of foreign text: nothing invisible, no control or bidi character, no extra
// line gets through oneLine() (escaped) or cleanLine() (stripped); ordinary text is untouched.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cleanLine, oneLine } from '../../src/core/one-line';

/** Code point ranges that must never reach a reader as they are. */
const UNSAFE_RANGES: Array<[number, number]> = [
  [0x00, 0x1f], [0x7f, 0x9f], [0xad, 0xad], [0x34f, 0x34f], [0x61c, 0x61c], [0x115f, 0x1160], [0x180e, 0x180e],
  [0x200b, 0x200f], [0x2028, 0x202e], [0x2060, 0x2064], [0x2066, 0x206f], [0x3164, 0x3164], [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff], [0xffa0, 0xffa0], [0xfff9, 0xfffb], [0xe0000, 0xe007f], [0xe0100, 0xe01ef],
];
const unsafeChar = fc.oneof(...UNSAFE_RANGES.map(([lo, hi]) => fc.integer({ min: lo, max: hi }).map((cp) => String.fromCodePoint(cp))));
const isUnsafe = (cp: number): boolean => UNSAFE_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);
const hasUnsafe = (s: string): boolean => [...s].some((c) => isUnsafe(c.codePointAt(0) as number) || /^[\ud800-\udfff]$/.test(c));

describe('oneLine / cleanLine', () => {
  test('every unsafe code point is escaped by oneLine and removed by cleanLine', () => {
    for (const [lo, hi] of UNSAFE_RANGES) {
      for (let cp = lo; cp <= hi; cp++) {
        const c = String.fromCodePoint(cp);
        const escaped = oneLine(`a${c}b`, 100);
        assert.equal(hasUnsafe(escaped), false, cp.toString(16));
        assert.match(escaped, cp > 0xffff ? /^a\\u\{e0[0-9a-f]{3}\}b$/ : /^a\\u[0-9a-f]{4}b$/, cp.toString(16));
        const cleaned = cleanLine(`a${c}b`, 100);
        assert.equal(hasUnsafe(cleaned), false, cp.toString(16));
        assert.ok(cleaned === 'ab' || cleaned === 'a b', `${cp.toString(16)}: ${JSON.stringify(cleaned)}`);
      }
    }
  });

  test('property: mixed text never carries an unsafe character out, and stays within the cap', () => {
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), unsafeChar, fc.string({ unit: 'binary' })), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 2, max: 300 }), (t, max) => {
        for (const out of [oneLine(t, max), cleanLine(t, max)]) {
          assert.equal(hasUnsafe(out), false, JSON.stringify(out));
          assert.ok(out.length <= max, `${out.length} > ${max}`);
          assert.equal(/\n|\r/.test(out), false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('ordinary text, including emoji and other scripts, is unchanged; tag-character smuggling is visible', () => {
    for (const t of ['reviewing PR 12', 'Grüße, 你好, مرحبا', '🚀 shipped', 'a—b “c”']) {
      assert.equal(oneLine(t), t);
      assert.equal(cleanLine(t), t);
    }
    const tag = [...'IGNORE PREVIOUS'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    assert.equal(oneLine(`ok${tag}`).startsWith('ok\\u{e0049}\\u{e0047}'), true);
    assert.equal(cleanLine(`ok${tag}`), 'ok');
    assert.equal(cleanLine('a\r\nb\tc'), 'a b c');
  });
});
