import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import {
  readJsonl,
  scanJsonl,
  isFormatProblem,
  type OversizedRecord,
  type JsonlProblem,
  type JsonlRecord,
  type JsonlStats,
  type ScanOptions,
} from '../../src/core/jsonl-reader';
import { tempDir } from '../fixtures/lock-helpers';

interface Scan {
  records: JsonlRecord[];
  problems: JsonlProblem[];
  stats: JsonlStats;
  oversized?: OversizedRecord[];
}

async function writeTemp(content: Buffer | string): Promise<string> {
  const dir = await tempDir('reader');
  const file = path.join(dir, 'data.jsonl');
  await fsp.writeFile(file, content);
  return file;
}

async function scan(content: Buffer | string, options: ScanOptions = {}, workers = true): Promise<Scan> {
  const file = await writeTemp(content);
  const records: JsonlRecord[] = [];
  const problems: JsonlProblem[] = [];
  const oversized: OversizedRecord[] = [];
  const result = await scanJsonl(file, {
    ...options,
    onRecord: (r) => records.push(r),
    onProblem: (p) => problems.push(p),
    onOversizedRecord: (r) => oversized.push(r),
  });
  const { problems: listed, ...stats } = result;
  assert.deepEqual(listed, problems.slice(0, options.maxProblems ?? 1000));
  if (options.signal === undefined && options.onProgress === undefined) {
    // Without callbacks: values are not built (lines checked on their bytes), and with threads
    // the file is split into line-aligned ranges for real worker threads. Same answer every way.
    const all = { ...options, maxProblems: Infinity };
    const lean = await scanJsonl(file, all);
    assert.deepEqual(lean, { ...stats, problems }, 'values: false');
    for (const threads of workers ? [3] : []) {
      const parallel = await scanJsonl(file, { ...all, threads, minBytesPerThread: 1 });
      assert.deepEqual(parallel, lean, `threads: ${threads}`);
    }
  }
  return { records, problems, stats, oversized };
}

/**
 * Every byte of the file must be inside exactly one record (oversized ones included) or damage
 * problem span, or be formatting: the BOM at offset 0, '\n', the '\r' of a line ending, or JSON
 * whitespace. Format problems only mark where; their spans lie on records or formatting.
 */
function assertAccounting(bytes: Buffer, result: Scan): void {
  const owner = new Array<string | null>(bytes.length).fill(null);
  const claim = (what: string, offset: number, length: number): void => {
    assert.ok(length > 0, `${what} has bytes`);
    for (let i = offset; i < offset + length; i++) {
      assert.ok(i < bytes.length, `${what} inside the file`);
      assert.equal(owner[i], null, `byte ${i} claimed by ${owner[i]} and ${what}`);
      owner[i] = what;
    }
  };
  for (const r of result.records) claim(`record@${r.offset}`, r.offset, r.length);
  for (const r of result.oversized ?? []) claim(`oversized@${r.offset}`, r.offset, r.length);
  for (const p of result.problems) if (!isFormatProblem(p.kind)) claim(`${p.kind}@${p.offset}`, p.offset, p.length);
  for (const p of result.problems) assert.ok(p.length > 0 && p.offset + p.length <= bytes.length, `${p.kind} span inside the file`);
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  for (let i = 0; i < bytes.length; i++) {
    if (owner[i] !== null) continue;
    const c = bytes[i];
    const formatting = (bom && i < 3) || c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09;
    assert.ok(formatting, `byte ${i} (0x${c?.toString(16)}) is neither data, quarantined nor formatting`);
  }
  for (const r of result.records) {
    const text = bytes.subarray(r.offset, r.offset + r.length).toString('utf8');
    assert.deepEqual(JSON.parse(text), r.value, 'a record span holds exactly its value');
  }
}

describe('readJsonl / scanJsonl', () => {
  test('clean file: values, 1-based lines, byte offsets and lengths (multi-byte UTF-8 included)', async () => {
    const content = '{"a":1}\n"é😀"\n[1,2]\n';
    const { records, problems, stats } = await scan(content);
    assert.deepEqual(problems, []);
    assert.deepEqual(records, [
      { value: { a: 1 }, line: 1, offset: 0, length: 7, recovered: false },
      { value: 'é😀', line: 2, offset: 8, length: 8, recovered: false },
      { value: [1, 2], line: 3, offset: 17, length: 5, recovered: false },
    ]);
    assert.equal(stats.bytes, Buffer.byteLength(content));
    assert.equal(stats.lines, 3);
    assert.equal(stats.records, 3);
    assert.equal(stats.corrupted, 0);
    assert.equal(stats.corruptionRatio, 0);
    assert.equal(stats.warn, false);
    assertAccounting(Buffer.from(content), { records, problems, stats });
  });

  test('readJsonl yields the same records and returns the statistics', async () => {
    const file = await writeTemp('{"a":1}\nbad\n{"b":2}');
    const it = readJsonl(file);
    const seen: unknown[] = [];
    let step = await it.next();
    while (!step.done) {
      seen.push(step.value.value);
      step = await it.next();
    }
    assert.deepEqual(seen, [{ a: 1 }, { b: 2 }]);
    assert.equal(step.value.records, 2);
    assert.equal(step.value.corrupted, 1);
    assert.equal(step.value.problemsByKind['invalid-json'], 1);
    // Finished iterators stay finished.
    assert.equal((await it.next()).done, true);
  });

  test('readJsonl: breaking out early and concurrent next() calls behave like a generator', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n';
    const file = await writeTemp(lines);
    let count = 0;
    for await (const r of readJsonl(file, { chunkBytes: 64 })) {
      if (++count === 3) break;
      assert.equal(r.line, count);
    }
    assert.equal(count, 3);
    const it = readJsonl(file, { chunkBytes: 64 });
    const results = await Promise.all(Array.from({ length: 52 }, () => it.next()));
    assert.deepEqual(
      results.slice(0, 50).map((r) => (r.value as JsonlRecord).line),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(results[50]?.done, true);
    assert.equal(results[51]?.done, true);
  });

  test('a FIFO or a device is refused at once, never waited on', { skip: process.platform === 'win32' }, async () => {
    const dir = await tempDir('reader');
    const fifo = path.join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(scanJsonl(fifo), { code: 'ENOTREGULAR' });
    await assert.rejects(readJsonl(fifo).next(), { code: 'ENOTREGULAR' });
    await assert.rejects(scanJsonl('/dev/zero'), /not a regular file/);
  });

  test('a long scan gives the event loop turns while it reads (reads are synchronous, the loop must not starve)', async () => {
    const dir = await tempDir('reader');
    const file = path.join(dir, 'big.jsonl');
    // About 40 MB: tens of milliseconds of parsing on any machine, several 8 ms turns.
    await fsp.writeFile(file, `{"k":"${'v'.repeat(1000)}","n":[1,2,3]}\n`.repeat(40_000));
    let turns = 0;
    let running = true;
    const tick = (): void => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    // Counted between the first chunk and the last, not while the file is opened.
    let atFirst = -1;
    let atLast = -1;
    const stats = await scanJsonl(file, {
      onProgress: (done, total) => {
        if (atFirst < 0) atFirst = turns;
        if (done === total) atLast = turns;
      },
    });
    running = false;
    assert.equal(stats.records, 40_000);
    assert.ok(atFirst >= 0 && atLast - atFirst >= 2, `the event loop turned ${atLast - atFirst} times while chunks were parsed`);
  });

  test('a missing file rejects with ENOENT', async () => {
    const dir = await tempDir('reader');
    await assert.rejects(scanJsonl(path.join(dir, 'nope.jsonl')), { code: 'ENOENT' });
    await assert.rejects(readJsonl(path.join(dir, 'nope.jsonl')).next(), { code: 'ENOENT' });
  });

  test('torn last line: a record if it parses, else a torn-tail problem', async () => {
    const ok = await scan('{"a":1}\n{"b":2}');
    assert.deepEqual(
      ok.records.map((r) => r.value),
      [{ a: 1 }, { b: 2 }],
    );
    assert.deepEqual(ok.problems, []);

    const content = '{"a":1}\n{"b":2,"c":[1,';
    const torn = await scan(content);
    assert.deepEqual(
      torn.records.map((r) => r.value),
      [{ a: 1 }],
    );
    assert.equal(torn.problems.length, 1);
    assert.deepEqual({ ...torn.problems[0], message: '' }, { kind: 'torn-tail', line: 2, offset: 8, length: 14, message: '' });
    assert.equal(torn.stats.lines, 2);
    assert.equal(torn.stats.corrupted, 1);
    assertAccounting(Buffer.from(content), torn);
    // The same bytes followed by a newline are plain invalid JSON, not a torn tail.
    assert.equal((await scan(content + '\n')).problems[0]?.kind, 'invalid-json');
  });

  test('fused objects and arrays on one line are recovered with exact offsets, and the line is a fused-values problem', async () => {
    const content = '{"x":0}\n{"a":1}{"b":2} [3]\n';
    const r = await scan(content);
    assert.deepEqual(r.records, [
      { value: { x: 0 }, line: 1, offset: 0, length: 7, recovered: false },
      { value: { a: 1 }, line: 2, offset: 8, length: 7, recovered: true },
      { value: { b: 2 }, line: 2, offset: 15, length: 7, recovered: true },
      { value: [3], line: 2, offset: 23, length: 3, recovered: true },
    ]);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line, p.offset, p.length]),
      [['fused-values', 2, 8, 18]],
    );
    assert.equal(r.stats.recovered, 3);
    assert.equal(r.stats.corrupted, 0, 'nothing was lost on a fused line');
    assert.equal(r.stats.problemCount, 1, 'but the file is not strict JSON Lines');
    assertAccounting(Buffer.from(content), r);
  });

  test('a fused line holding a scalar or string, or a value followed by text, keeps nothing', async () => {
    for (const line of ['{"a":1}{"b":2} [3]"s"', '{"a":1}2', '"s"{"a":1}x', '{"a":1},', '[1]{"a":1} tail']) {
      const r = await scan(`${line}\n`);
      assert.deepEqual(r.records, [], line);
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.offset, p.length]),
        [['invalid-json', 0, Buffer.byteLength(line)]],
        line,
      );
    }
  });

  test('a torn record fused with the next one: the fragment is a problem, the record is recovered', async () => {
    const content = '{"a":1,"b":"x{y"{"c":{"d":"}"}}\n';
    const r = await scan(content);
    assert.deepEqual(
      r.records.map((x) => [x.value, x.recovered]),
      [[{ c: { d: '}' } }, true]],
    );
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]?.kind, 'invalid-json');
    assert.equal(content.slice(r.problems[0]!.offset, r.problems[0]!.offset + r.problems[0]!.length), '{"a":1,"b":"x{y"');
    assert.equal(r.stats.corrupted, 1);
    assertAccounting(Buffer.from(content), r);
  });

  test('NUL runs are corruption; a record after NULs ending the line is recovered, one followed by NULs is not', async () => {
    const nuls = Buffer.alloc(9, 0);
    const content = Buffer.concat([
      Buffer.from('{"a":1}\n'),
      nuls,
      Buffer.from('\n'),
      nuls,
      Buffer.from('{"b":2}\n{"c":3}'),
      Buffer.alloc(2, 0),
      Buffer.from('{"d":4}\n'),
    ]);
    const r = await scan(content);
    assert.deepEqual(
      r.records.map((x) => [x.value, x.line, x.recovered]),
      [
        [{ a: 1 }, 1, false],
        [{ b: 2 }, 3, true],
        [{ d: 4 }, 4, true],
      ],
    );
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line, p.offset, p.length]),
      [
        ['nul-bytes', 2, 8, 9],
        ['nul-bytes', 3, 18, 9],
        ['invalid-json', 4, 35, 7],
        ['nul-bytes', 4, 42, 2],
      ],
    );
    assert.equal(r.stats.corrupted, 3);
    assertAccounting(content, r);
  });

  test('CRLF line endings are formatting; a UTF-8 BOM and blank or whitespace lines are format problems, not corruption', async () => {
    const content = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"a":1}\r\r\n\r\n   \t \n\n{"b":"\\r"}\r\n  {"c":3}  \n\r'),
    ]);
    const r = await scan(content);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line, p.offset, p.length]),
      [
        ['utf8-bom', 1, 0, 3],
        ['blank-line', 2, 13, 2],
        ['blank-line', 3, 15, 6],
        ['blank-line', 4, 21, 1],
        ['blank-line', 7, 46, 1],
      ],
    );
    assert.deepEqual(r.records, [
      { value: { a: 1 }, line: 1, offset: 3, length: 7, recovered: false },
      { value: { b: '\r' }, line: 5, offset: 22, length: 10, recovered: false },
      { value: { c: 3 }, line: 6, offset: 34, length: 11, recovered: false },
    ]);
    assert.equal(r.stats.lines, 7);
    assert.equal(r.stats.blank, 4);
    assert.equal(r.stats.corrupted, 0);
    assertAccounting(content, r);
  });

  test('invalid UTF-8 is a problem even where JSON.parse would accept the replacement character', async () => {
    const content = Buffer.concat([
      Buffer.from('{"ok":"é"}\n{"bad":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n'),
      Buffer.from([0xc3]),
      Buffer.from('{"after":1}\n'),
    ]);
    const r = await scan(content);
    assert.deepEqual(
      r.records.map((x) => [x.value, x.line, x.recovered]),
      [[{ ok: 'é' }, 1, false]],
    );
    // A stray byte before a record is not the start of a torn record: nothing on that line is kept.
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.line, p.offset, p.length]),
      [
        ['invalid-utf8', 2, 12, 12],
        ['invalid-utf8', 3, 25, 12],
      ],
    );
    assertAccounting(content, r);
  });

  test('over-long lines are validated by streaming: valid ones are oversized records, others too-long, wherever they fall', async () => {
    const long = 'x'.repeat(300);
    const content = `{"a":1}\n"${long}"\r\n{"b":2}\n${long}`;
    for (const chunkBytes of [1, 7, 64, 1000, 1 << 20]) {
      const r = await scan(content, { maxLineBytes: 100, chunkBytes });
      assert.deepEqual(
        r.records.map((x) => x.value),
        [{ a: 1 }, { b: 2 }],
        `chunkBytes ${chunkBytes}`,
      );
      assert.deepEqual(r.oversized, [{ line: 2, offset: 8, length: 302 }], `chunkBytes ${chunkBytes}`);
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.line, p.offset, p.length]),
        [['too-long', 4, 320, 300]],
        `chunkBytes ${chunkBytes}`,
      );
      assert.match(r.problems[0]!.message, /maxLineBytes \(100\)/);
      assert.deepEqual([r.stats.records, r.stats.oversized, r.stats.corrupted], [3, 1, 1]);
      assertAccounting(Buffer.from(content), r);
    }
    // Exactly maxLineBytes is still an ordinary line.
    const edge = await scan(`"${'y'.repeat(98)}"\n`, { maxLineBytes: 100, chunkBytes: 16 });
    assert.equal(edge.records.length, 1);
    await assert.rejects(scanJsonl('x', { maxLineBytes: 0 }), RangeError);
    // A BOM before an oversized first line is a utf8-bom problem, not part of the record.
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`["${long}"]\n`)]);
    for (const chunkBytes of [1, 2, 64]) {
      const r = await scan(bom, { maxLineBytes: 100, chunkBytes });
      assert.deepEqual(r.oversized, [{ line: 1, offset: 3, length: 304 }]);
      assert.deepEqual(r.problems.map((p) => p.kind), ['utf8-bom']);
    }
    // A whitespace-only over-long line is blank, as a short one is.
    const spaces = await scan(`{"a":1}\n${' \t'.repeat(100)}\r\n{"b":2}\n`, { maxLineBytes: 100, chunkBytes: 7 });
    assert.deepEqual(spaces.problems.map((p) => [p.kind, p.line, p.offset, p.length]), [['blank-line', 2, 8, 202]]);
    assert.deepEqual([spaces.stats.blank, spaces.stats.corrupted, spaces.stats.records], [1, 0, 2]);
    // readJsonl does not yield an oversized record, but counts it.
    const file = await writeTemp(content);
    const it = readJsonl(file, { maxLineBytes: 100 });
    const seen: unknown[] = [];
    let step = await it.next();
    for (; !step.done; step = await it.next()) seen.push(step.value.value);
    assert.deepEqual(seen, [{ a: 1 }, { b: 2 }]);
    assert.deepEqual([step.value.records, step.value.oversized], [3, 1]);
  });

  test('corruption ratio over non-blank lines; warn only above 10 %', async () => {
    const good = (n: number): string => Array.from({ length: n }, (_, i) => `{"i":${i}}\n`).join('');
    const ten = await scan(`${good(9)}oops\n\n\n\n`);
    assert.equal(ten.stats.corruptionRatio, 0.1);
    assert.equal(ten.stats.warn, false, 'exactly 10 % does not warn; blank lines do not count');
    const twenty = await scan(`${good(8)}oops\n{"torn":`);
    assert.equal(twenty.stats.corruptionRatio, 0.2);
    assert.equal(twenty.stats.warn, true);
    const empty = await scan('');
    assert.deepEqual(
      [empty.stats.lines, empty.stats.records, empty.stats.corruptionRatio, empty.stats.warn],
      [0, 0, 0, false],
    );
  });

  test('the problem list is capped by maxProblems but the counts stay exact', async () => {
    const content = 'bad\n'.repeat(30) + '{"ok":1}\n';
    const file = await writeTemp(content);
    const result = await scanJsonl(file, { maxProblems: 5 });
    assert.equal(result.problems.length, 5);
    assert.equal(result.problemCount, 30);
    assert.equal(result.problemsByKind['invalid-json'], 30);
    assert.equal(result.corrupted, 30);
    assert.equal(result.records, 1);
  });

  test('progress is reported per chunk and an abort stops the read', async () => {
    const content = Array.from({ length: 100 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n';
    const file = await writeTemp(content);
    const progress: Array<[number, number]> = [];
    await scanJsonl(file, { chunkBytes: 256, onProgress: (d, t) => progress.push([d, t]) });
    assert.ok(progress.length > 3);
    assert.deepEqual(progress.at(-1), [content.length, content.length]);
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      scanJsonl(file, {
        chunkBytes: 64,
        signal: controller.signal,
        onRecord: () => {
          if (++seen === 5) controller.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.ok(seen < 100);
  });

  test('property: any mix of records and damage is read the same at every chunk size and accounts for every byte', async () => {
    const piece = fc.oneof(
      { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) + '\n')) },
      {
        weight: 1,
        arbitrary: fc
          .array(fc.jsonValue({ maxDepth: 2 }), { minLength: 2, maxLength: 3 })
          .map((vs) => Buffer.from(vs.map((v) => JSON.stringify(v)).join('') + '\n')),
      },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((n) => Buffer.alloc(n, 0)) },
      { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', '  \n', '\t\r\n').map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => Buffer.from(a)) },
      {
        // A record whose only fault is invalid UTF-8 inside a string (JSON.parse would accept its U+FFFD).
        weight: 1,
        arbitrary: fc
          .tuple(fc.string({ maxLength: 6 }), fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]))
          .map(([text, bad]) => Buffer.concat([Buffer.from(`{"s":"${JSON.stringify(text).slice(1, -1)}`), Buffer.from(bad), Buffer.from('"}\n')])),
      },
      {
        weight: 1,
        arbitrary: fc.jsonValue({ maxDepth: 2 }).chain((v) => {
          const text = JSON.stringify(v);
          return fc.integer({ min: 0, max: text.length }).map((cut) => Buffer.from(text.slice(0, cut)));
        }),
      },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 25 }), async (pieces) => {
        const bytes = Buffer.concat(pieces);
        // Worker threads take tens of ms to start: every 5th case runs them (the others still
        // compare the byte-validation path; the reliability properties cover the range merge).
        const reference = await scan(bytes, {}, run++ % 5 === 0);
        assertAccounting(bytes, reference);
        assert.equal(reference.stats.records, reference.records.length);
        assert.equal(reference.stats.problemCount, reference.problems.length);
        for (const chunkBytes of [1, 5, 33]) {
          const again = await scan(bytes, { chunkBytes });
          assert.deepEqual(again, reference, `chunkBytes ${chunkBytes}`);
        }
        // Every intact record line (LF-terminated, valid, alone on its line) is read back unrecovered.
        let offset = 0;
        for (const line of bytes.toString('latin1').split('\n').slice(0, -1)) {
          const raw = bytes.subarray(offset, offset + line.length);
          let value: unknown;
          let valid = false;
          try {
            value = JSON.parse(raw.toString('utf8'));
            valid = !line.endsWith('\r') && !raw.includes(0) && Buffer.from(raw.toString('utf8')).equals(raw);
          } catch {
            valid = false;
          }
          const bom = offset === 0 && raw[0] === 0xef;
          if (valid && !bom) {
            const found = reference.records.find((r) => r.offset === offset);
            assert.ok(found, `line at ${offset} read as a record`);
            assert.equal(found.recovered, false);
            assert.deepEqual(found.value, value);
          }
          offset += line.length + 1;
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('readJsonl parses a chunk in pieces', () => {
  test('records, offsets and statistics are those of scanJsonl, with lines and UTF-8 sequences across piece boundaries', async () => {
    // Records of many sizes, multi-byte characters, damaged and fused lines, so that piece
    // boundaries (every 128 KiB of a chunk) fall inside every kind of line and inside characters.
    const lines: string[] = [];
    let n = 0;
    while (lines.join('\n').length < 900_000) {
      const k = n++;
      if (k % 97 === 0) lines.push('{"broken": ' + 'x'.repeat(k % 500));
      else if (k % 89 === 0) lines.push(`{"a":${k}}{"b":${k}}`);
      else lines.push(JSON.stringify({ k, text: 'é€😀ß'.repeat(k % 300) + 'y'.repeat((k * 37) % 4000) }));
    }
    const file = await writeTemp(lines.join('\n') + '\n');
    for (const chunkBytes of [undefined, 200_000, 131_072 * 3 + 5]) {
      const options = chunkBytes === undefined ? {} : { chunkBytes };
      const scanned: unknown[] = [];
      const scanStats = await scanJsonl(file, { ...options, onRecord: (r) => void scanned.push(r) });
      const read: unknown[] = [];
      const it = readJsonl(file, options);
      let step = await it.next();
      while (!step.done) {
        read.push(step.value);
        step = await it.next();
      }
      assert.equal(read.length, scanned.length);
      assert.deepEqual(read, scanned, `chunkBytes ${chunkBytes ?? 'default'}`);
      // The iterator skips problems (scanJsonl lists them), but counts them alike.
      const { problems: listed, ...scanRest } = scanStats;
      const { problems: _none, ...readRest } = step.value as JsonlStats & { problems?: unknown };
      assert.ok(listed.length > 0, 'the file has damaged lines');
      assert.deepEqual(readRest, scanRest);
    }
  });
});
