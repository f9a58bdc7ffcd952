// The parallel scan (src/core/jsonl-parallel.ts): real worker threads over line-aligned byte
// ranges give exactly the one-thread result (statistics, every problem with its line and
// offset) on seeded damaged files, and fall back to one thread where they do not apply.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanJsonl, type JsonlProblem, type JsonlStats } from '../../src/core/jsonl-reader';
import { splitAtLines } from '../../src/core/jsonl-ranges';
import { ensureJsonlData, type JsonlDataKind } from '../../bench/jsonl-data';
import { tempDir } from '../fixtures/lock-helpers';

type Scan = JsonlStats & { problems: JsonlProblem[] };

async function bothWays(file: string, threads: number, extra: { maxLineBytes?: number } = {}): Promise<{ one: Scan; many: Scan }> {
  const one = await scanJsonl(file, { ...extra, maxProblems: Infinity });
  const many = await scanJsonl(file, { ...extra, maxProblems: Infinity, threads, minBytesPerThread: 64 * 1024 });
  return { one, many };
}

describe('parallel scan', () => {
  for (const kind of ['chat', 'intl', 'agent'] as JsonlDataKind[]) {
    test(`${kind} records with damaged lines: identical with 1, 2, 3 and 7 threads`, async () => {
      const dir = await tempDir('parallel');
      const { file, meta } = ensureJsonlData(dir, { bytes: 2e6, recordBytes: kind === 'agent' ? 20000 : 1000, corruptFraction: kind === 'agent' ? 0.1 : 0.01, seed: 7, kind });
      assert.ok(meta.corruptLines > 0, 'the data has damage');
      for (const threads of [2, 3, 7]) {
        const { one, many } = await bothWays(file, threads);
        assert.ok(one.problemCount > 0 && one.corrupted > 0, `${kind}: problems ${one.problemCount}, corrupted ${one.corrupted}`);
        assert.deepEqual(many, one, `${threads} threads`);
      }
    });
  }

  test('a file whose lines are longer than a range, over-long lines, a torn tail, a BOM and CRLF: identical', async () => {
    const dir = await tempDir('parallel');
    const file = path.join(dir, 'mixed.jsonl');
    const long = `{"big":"${'x'.repeat(300_000)}"}`;
    const parts = [
      '\ufeff{"a":1}\r\n',
      `${long}\n`,
      '{"torn":\n',
      `${long.slice(0, 200_000)}\n`,
      '{"x":1}{"y":2}\n',
      '\0\0\0\n',
      '\n',
      `${'{"k":"v"}\n'.repeat(20_000)}`,
      `${long}\n`,
      '{"end":tr',
    ];
    await fsp.writeFile(file, parts.join(''));
    for (const maxLineBytes of [1000, 16 * 1024 * 1024]) {
      for (const threads of [2, 4, 9]) {
        const { one, many } = await bothWays(file, threads, { maxLineBytes });
        assert.deepEqual(many, one, `${threads} threads, maxLineBytes ${maxLineBytes}`);
      }
    }
  });

  test('splitAtLines cuts just after a newline, never inside a line, and covers the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-split-'));
    const file = path.join(dir, 'f.jsonl');
    const text = `${'a'.repeat(100_000)}\n${'b\n'.repeat(50_000)}${'c'.repeat(200_000)}`;
    fs.writeFileSync(file, text);
    const fd = fs.openSync(file, 'r');
    try {
      for (const parts of [1, 2, 3, 8, 64]) {
        const ranges = splitAtLines(fd, text.length, parts);
        assert.ok(ranges.length >= 1 && ranges.length <= parts);
        assert.equal(ranges[0]?.start, 0);
        assert.equal(ranges[ranges.length - 1]?.end, text.length);
        for (let i = 0; i < ranges.length; i++) {
          const r = ranges[i]!;
          assert.ok(r.end > r.start, 'no empty range');
          if (i > 0) {
            assert.equal(r.start, ranges[i - 1]!.end, 'contiguous');
            assert.equal(text[r.start - 1], '\n', 'starts after a newline');
          }
        }
      }
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('UTF-16 files, small files and callbacks take the one-thread path with the same result', async () => {
    const dir = await tempDir('parallel');
    const utf16 = path.join(dir, 'u16.jsonl');
    await fsp.writeFile(utf16, Buffer.from('\ufeff' + '{"a":1}\n'.repeat(50_000), 'utf16le'));
    const { one, many } = await bothWays(utf16, 4);
    assert.equal(one.problemsByKind['not-utf8'], 1);
    assert.deepEqual(many, one);
    const small = path.join(dir, 'small.jsonl');
    await fsp.writeFile(small, '{"a":1}\nbad\n');
    assert.deepEqual(await scanJsonl(small, { threads: 4 }), await scanJsonl(small));
  });

  test('progress reaches the file size and an abort rejects with its reason', async () => {
    const dir = await tempDir('parallel');
    const { file, meta } = ensureJsonlData(dir, { bytes: 2e6, recordBytes: 1000, corruptFraction: 0.01, seed: 8 });
    let last = 0;
    await scanJsonl(file, { threads: 3, minBytesPerThread: 64 * 1024, chunkBytes: 64 * 1024, onProgress: (done, total) => {
      assert.equal(total, meta.bytes);
      last = Math.max(last, done);
    } });
    assert.equal(last, meta.bytes);
    const controller = new AbortController();
    const reason = new Error('stop');
    const run = scanJsonl(file, { threads: 3, minBytesPerThread: 64 * 1024, chunkBytes: 4096, signal: controller.signal, onProgress: () => controller.abort(reason) });
    await assert.rejects(run, (err) => err === reason);
  });
});
