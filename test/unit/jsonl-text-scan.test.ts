// The sliced text scan behind the editor's diagnostics (src/core/jsonl-text-scan.ts): whatever
// the slice size, it finds exactly what the file reader finds in the UTF-8 encoding of the text,
// with spans in UTF-16 code units that encode back to the problems' byte spans.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { scanJsonl, type JsonlProblem } from '../../src/core/jsonl-reader';
import { scanText, type TextSource } from '../../src/core/jsonl-text-scan';
import { tempDir } from '../fixtures/lock-helpers';

function stringSource(text: string, clampCrlf = false): TextSource {
  return {
    length: text.length,
    // An editor's range cannot end between '\r' and '\n': it returns the text up to the '\r'.
    text: (a, b) => (clampCrlf && b < text.length && text[b - 1] === '\r' && text[b] === '\n' ? text.slice(a, b - 1) : text.slice(a, b)),
  };
}

async function fileProblems(text: string): Promise<{ problems: JsonlProblem[]; stats: object }> {
  const dir = await tempDir('text-scan');
  const file = path.join(dir, 'doc.jsonl');
  await fsp.writeFile(file, text, 'utf8');
  const { problems, ...stats } = await scanJsonl(file, { maxProblems: Infinity });
  return { problems, stats };
}

const line = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('{"a":"😀 é"}{"b":2}', '{"torn":', '', '  ', 'not json', '{"x":"日本"}\r', '\u0000\u0000', '{"s":"\ud83d"}', '[1,2]garbage') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);

describe('scanText', () => {
  test('property: same problems and statistics as the file reader, spans in code units, at any slice size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'), fc.integer({ min: 1, max: 40 }), fc.boolean(), async (lines, eol, sliceChars, clamp) => {
        const text = lines.join(eol);
        const bytes = Buffer.from(text, 'utf8');
        const reference = await fileProblems(text);
        const scanned = await scanText(stringSource(text, clamp), { sliceChars, maxFindings: Infinity });
        assert.ok(scanned);
        const { problems: _p, ...stats } = { ...scanned.stats, problems: [] };
        assert.deepEqual(stats, reference.stats);
        const problems = scanned.findings.filter((f) => f.kind !== 'recovered');
        assert.equal(problems.length, reference.problems.length);
        const sorted = [...reference.problems].sort((a, b) => a.offset - b.offset);
        for (const [i, f] of problems.entries()) {
          const p = sorted[i]!;
          assert.equal(f.kind, p.kind);
          assert.equal(Buffer.byteLength(text.slice(0, f.start), 'utf8'), p.offset, `${p.kind} start`);
          assert.equal(Buffer.byteLength(text.slice(f.start, f.end), 'utf8'), p.length, `${p.kind} length`);
        }
        for (const r of scanned.findings.filter((f) => f.kind === 'recovered')) {
          JSON.parse(Buffer.from(text.slice(r.start, r.end), 'utf8').toString('utf8'));
        }
        assert.ok(bytes.length >= 0);
      }),
      { numRuns: 200, seed: 20261130 },
    );
  });

  test('CRLF documents whose ranges clamp before a CR, and surrogate pairs, at every tiny slice size', async () => {
    const text = '{"a":"😀"}\r\n{"b":1}{"c":2}\r\n\r\n😀\r\n{"d":"é"}';
    const reference = await fileProblems(text);
    for (let sliceChars = 1; sliceChars <= 6; sliceChars++) {
      const scanned = await scanText(stringSource(text, true), { sliceChars, maxFindings: Infinity });
      assert.ok(scanned);
      assert.equal(scanned.stats.bytes, Buffer.byteLength(text), `slice ${sliceChars}`);
      assert.equal(scanned.stats.problemCount, reference.problems.length, `slice ${sliceChars}`);
      const offsets = scanned.findings.filter((f) => f.kind !== 'recovered').map((f) => Buffer.byteLength(text.slice(0, f.start)));
      assert.deepEqual(offsets, reference.problems.map((p) => p.offset).sort((a, b) => a - b), `slice ${sliceChars}`);
    }
  });

  test('a stale answer between slices abandons the scan', async () => {
    let calls = 0;
    const result = await scanText(stringSource('{"a":1}\n'.repeat(1000)), { sliceChars: 100, stale: () => ++calls > 3 });
    assert.equal(result, undefined);
    assert.equal(calls, 4);
  });
});
