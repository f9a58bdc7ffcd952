// The WebAssembly byte searches (src/core/byte-search.ts, src/core/wasm/byte-search.wat): the
// committed module is what the .wat assembles to; both searches agree with a byte loop at every
// start, end and alignment around their 16-byte steps; read buffers are lent from the module's
// memory and given back exactly once; and the reader gives the same results whether its chunks
// are in that memory (the fast path) or in ordinary buffers (the JavaScript path).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { firstNewline, firstStringStop, JSON_TOO_DEEP, JSON_VALID, jsonTextInMemory, releaseScanBuffer, scanBuffer, SCAN_BUFFER_BYTES, searchMemory } from '../../src/core/byte-search';
import { isJsonTextOfValidUtf8 } from '../../src/core/json-bytes';
import { scanJsonl, readJsonl } from '../../src/core/jsonl-reader';
import { ensureJsonlData, type JsonlDataKind } from '../../bench/jsonl-data';
import { tempDir } from '../fixtures/lock-helpers';
import { withMemoryExhausted } from '../helpers/scan-buffers';

const root = path.join(__dirname, '..', '..', '..');

const isStringStop = (c: number): boolean => c < 0x20 || c === 0x22 || c === 0x5c;
const isNewline = (c: number): boolean => c === 0x0a;

function reference(bytes: Buffer, from: number, end: number, stop: (c: number) => boolean): number {
  for (let i = from; i < end; i++) if (stop(bytes[i] as number)) return i;
  return end;
}

describe('WebAssembly byte search', () => {
  test('the committed module is what src/core/wasm/byte-search.wat assembles to', () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-wasm.js'), '--check'], { stdio: 'pipe' });
  });

  test('loads on this Node (WebAssembly SIMD), so the fast path is what the tests exercise', () => {
    assert.notEqual(searchMemory, null);
  });

  test('both searches agree with a byte loop at every start, end and alignment', () => {
    const buf = scanBuffer(256);
    try {
      assert.equal(buf.buffer, searchMemory);
      let checked = 0;
      for (const [name, search, stop, hit] of [
        ['string stop', firstStringStop, isStringStop, [0x22, 0x5c, 0x00, 0x1f, 0x0a, 0x09]],
        ['newline', firstNewline, isNewline, [0x0a]],
      ] as const) {
        for (const h of hit) {
          for (const at of [0, 1, 7, 14, 15, 16, 17, 31, 32, 33, 47, 60, -1]) {
            // Plain content all around, including bytes that look close: 0x20, '!', '#', DEL, UTF-8 bytes.
            for (let k = 0; k < buf.length; k++) buf[k] = [0x61, 0x20, 0x21, 0x23, 0x7f, 0xc3, 0xa9, 0xff, 0x5b][k % 9] as number;
            if (at >= 0) buf[at + 20] = h;
            for (let from = 0; from < 40; from++) {
              for (const len of [0, 1, 15, 16, 17, 31, 32, 33, 64, 100]) {
                const end = Math.min(buf.length, from + len);
                const want = reference(buf, from, end, stop);
                assert.equal(search(buf.byteOffset + from, buf.byteOffset + end) - buf.byteOffset, want, `${name} ${h} at ${at}, [${from}, ${end})`);
                checked++;
              }
            }
          }
        }
      }
      assert.ok(checked > 5000, String(checked));
    } finally {
      releaseScanBuffer(buf);
    }
  });

  test('property: random bytes and ranges agree with a byte loop', () => {
    const buf = scanBuffer(4096);
    try {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
          Buffer.from(bytes).copy(buf, 0);
          const from = a % bytes.length;
          const end = from + (b % (bytes.length - from + 1));
          const base = buf.byteOffset;
          assert.equal(firstStringStop(base + from, base + end) - base, reference(buf, from, end, isStringStop));
          assert.equal(firstNewline(base + from, base + end) - base, reference(buf, from, end, isNewline));
        }),
        { numRuns: 3000, seed: 20261130 },
      );
    } finally {
      releaseScanBuffer(buf);
    }
  });

  test('buffers are lent from the memory until it is used up, and given back once', () => {
    const lent: Buffer[] = [];
    for (;;) {
      const b = scanBuffer(1000);
      if (b.buffer !== searchMemory) {
        assert.equal(b.length, 1000, 'an ordinary buffer once the memory is used up');
        break;
      }
      lent.push(b);
    }
    assert.ok(lent.length >= 2, String(lent.length));
    const starts = new Set(lent.map((b) => b.byteOffset));
    assert.equal(starts.size, lent.length, 'no two lent buffers overlap');
    assert.notEqual(scanBuffer(SCAN_BUFFER_BYTES + 1).buffer, searchMemory, 'too big for the memory: ordinary');
    // Given back twice: it must come back once only, else two scans would share it.
    const first = lent[0] as Buffer;
    releaseScanBuffer(first);
    releaseScanBuffer(first);
    releaseScanBuffer(Buffer.alloc(10)); // not lent: ignored
    const again = scanBuffer(10);
    assert.equal(again.buffer, searchMemory);
    assert.notEqual(scanBuffer(10).buffer, searchMemory, 'only the one given back was free');
    releaseScanBuffer(again);
    lent.slice(1).forEach(releaseScanBuffer);
  });

  test('the WebAssembly validator: deep nesting up to its stack, and past it the JavaScript validator answers', () => {
    const buf = scanBuffer(SCAN_BUFFER_BYTES);
    try {
      assert.equal(buf.buffer, searchMemory);
      for (const depth of [1, 255, 256, 65_535, 65_536, 65_537, 150_000]) {
        for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
          const text = open.repeat(depth) + '1' + close.repeat(depth);
          for (const [bytes, want] of [
            [text, true],
            [text.slice(0, -1), false],
            [text + close, false],
          ] as const) {
            const n = buf.write(bytes, 3, 'latin1') + 3;
            assert.equal(n, bytes.length + 3, 'the text fits the buffer');
            const inMemory = jsonTextInMemory(buf.byteOffset + 3, buf.byteOffset + n);
            // Past 65,536 open containers the module says so, and json-bytes.ts answers instead.
            if (depth > 65_536 && want) assert.equal(inMemory, JSON_TOO_DEEP, `${open} depth ${depth}`);
            else if (inMemory !== JSON_TOO_DEEP) assert.equal(inMemory === JSON_VALID, want, `${open} depth ${depth} in WebAssembly`);
            assert.equal(isJsonTextOfValidUtf8(buf, 3, n), want, `${open} depth ${depth}: ${want}`);
          }
        }
      }
    } finally {
      releaseScanBuffer(buf);
    }
  });

  test('a lent buffer that is dropped without being given back comes back once it is garbage', () => {
    // In a child with --expose-gc: take every buffer, drop them all, collect, and lend again.
    const script = `
      const { scanBuffer, searchMemory } = require(${JSON.stringify(path.join(root, 'out', 'src', 'core', 'byte-search.js'))});
      const takeAll = () => { let n = 0; for (;;) { const b = scanBuffer(16); if (b.buffer !== searchMemory) return n; n++; } };
      const first = takeAll();
      if (first < 2) throw new Error('only ' + first + ' lent');
      if (takeAll() !== 0) throw new Error('lent twice');
      globalThis.gc();
      setTimeout(() => {
        globalThis.gc();
        setTimeout(() => process.stdout.write(String(takeAll()) + '/' + first), 10);
      }, 10);
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    const [again, first] = out.split('/');
    assert.equal(again, first, 'every dropped buffer came back');
  });

  for (const kind of ['chat', 'intl', 'agent'] as JsonlDataKind[]) {
    test(`${kind} data with damage: the same records, problems and offsets with and without the WebAssembly memory`, async () => {
      const dir = await tempDir('byte-search');
      const { file } = ensureJsonlData(dir, { bytes: 3e6, recordBytes: kind === 'agent' ? 20000 : 1000, corruptFraction: 0.05, seed: 11, kind });
      for (const chunkBytes of [64 * 1024, 1024 * 1024]) {
        const fast = await scanJsonl(file, { maxProblems: Infinity, chunkBytes });
        const plain = await withMemoryExhausted(() => scanJsonl(file, { maxProblems: Infinity, chunkBytes }));
        assert.ok(fast.problemCount > 0);
        assert.deepEqual(fast, plain, `scanJsonl, chunks of ${chunkBytes}`);
        const values = async (): Promise<unknown[]> => {
          const out: unknown[] = [];
          for await (const r of readJsonl(file, { chunkBytes })) out.push(r);
          return out;
        };
        assert.deepEqual(await values(), await withMemoryExhausted(values), `readJsonl, chunks of ${chunkBytes}`);
      }
    });
  }
});
