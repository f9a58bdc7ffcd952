// `check` and `repair` on the inputs of issue 9 (items 1, 2 and 7), through the compiled CLI as a
// real process: records nobody wrote are never kept, a valid line over the limit is never
// removed, UTF-16 is refused, and `check` exits 0 only for strict JSON Lines.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, cleanupTracked, cli, tempFile, type CliResult } from '../helpers/processes';

const RSS_PRELOAD = path.join(__dirname, '..', 'fixtures', 'max-rss-on-exit.js');

afterEach(cleanupTracked);

const fileWith = (content: Buffer | string, name?: string): string => tempFile('strict', content, name);

interface CheckJson {
  records: number;
  lines: number;
  recovered: number;
  oversized: number;
  corrupted: number;
  problemCount: number;
  problems: Array<{ kind: string; line: number; offset: number; length: number; message: string }>;
}

async function check(file: string, extra: string[] = []): Promise<{ code: number | null; json: CheckJson }> {
  const r = await cli(['check', file, '--json', ...extra]);
  assert.ok(r.code === 0 || r.code === 1, `check exit ${r.code}: ${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as CheckJson };
}

async function repair(file: string, extra: string[] = []): Promise<CliResult> {
  return cli(['repair', file, '--json', ...extra]);
}

/**
 * A strict JSON Lines reader, independent of ours: split on '\n' only, one '\r' before it
 * allowed, exactly one JSON value per line, UTF-8 without BOM, no empty lines but the end.
 */
function strictValues(bytes: Buffer): unknown[] {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new Error('BOM');
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => JSON.parse(l.endsWith('\r') ? l.slice(0, -1) : l) as unknown);
}

function isStrict(bytes: Buffer): boolean {
  try {
    strictValues(bytes);
    return true;
  } catch {
    return false;
  }
}

function noTempFiles(file: string): void {
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock')),
    [],
  );
}

describe('issue 9 item 1: repair and check never invent records', () => {
  test('a torn string holding "[1]": only {"a":1} is kept', async () => {
    const file = fileWith('{"a":1}\n{"m":"x [1] y');
    const c = await check(file);
    assert.deepEqual([c.code, c.json.records, c.json.recovered], [1, 1, 0]);
    const r = await repair(file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n');
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), '{"m":"x [1] y\n');
  });

  test('NUL bytes inside an object: nothing is a record', async () => {
    const file = fileWith('{"a":1,\0\0\0"b":2}\n');
    const c = await check(file);
    assert.deepEqual([c.code, c.json.records], [1, 0]);
    assert.deepEqual(
      c.json.problems.map((p) => p.kind),
      ['invalid-json', 'nul-bytes', 'invalid-json'],
    );
    assert.equal((await repair(file)).code, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), '');
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'latin1'), '{"a":1,\n\0\0\0\n"b":2}\n');
  });

  test('a pretty-printed object: only the record on its own line is kept', async () => {
    const file = fileWith('{\n  "role": "user",\n  "content": "hi"\n}\n{"ok":true}\n');
    const c = await check(file);
    assert.deepEqual([c.code, c.json.records, c.json.recovered, c.json.corrupted], [1, 1, 0, 4]);
    assert.equal((await repair(file)).code, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"ok":true}\n');
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), '{\n"role": "user",\n"content": "hi"\n}\n');
  });

  // Break-test F2: values nested in a torn record were kept as top-level records.
  const nestedCases: Array<[string, string]> = [
    ['an object member', '{"cfg":{"retries":3},"env":{"HOME":"/root"}'],
    ['an array element', '[1,2,{"x":1}'],
    ['an element of a member', '{"a":[1,{"b":2}'],
    ['brackets in a torn string', '{"m":"a {}[1,2]'],
  ];
  for (const [name, torn] of nestedCases) {
    test(`a value nested in a torn record (${name}) is not kept: the torn line goes to the quarantine whole`, async () => {
      for (const ending of ['\n', '']) {
        const file = fileWith(`{"event":"created"}\n${torn}${ending}`);
        const c = await check(file);
        assert.deepEqual([c.code, c.json.records, c.json.recovered], [1, 1, 0]);
        // Without a '\n' the torn text is the file's torn tail.
        assert.deepEqual(
          c.json.problems.map((p) => [p.kind, p.offset, p.length]),
          [[ending ? 'invalid-json' : 'torn-tail', 20, Buffer.byteLength(torn)]],
        );
        assert.equal((await repair(file)).code, 0);
        assert.equal(fs.readFileSync(file, 'utf8'), '{"event":"created"}\n');
        assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), `${torn}\n`);
      }
    });
  }

  test('a torn record followed by a whole one on its line: the whole one is kept', async () => {
    const file = fileWith('{"type":"x","prNu{"type":"y","n":2}\n');
    const c = await check(file);
    assert.deepEqual([c.code, c.json.records, c.json.recovered], [1, 1, 1]);
    assert.equal((await repair(file)).code, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"type":"y","n":2}\n');
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), '{"type":"x","prNu\n');
  });

  const utf16 = Buffer.from('{"n":1}\r\n{"n":2}\r\n', 'utf16le');
  // Break-test F1: Japanese text first, no BOM (was read as damaged UTF-8 and emptied by repair).
  const japanese = Buffer.from('{"メッセージ":"こんにちは世界、今日はいい天気ですね。明日も晴れるでしょう"}\n{"a":1}\n', 'utf16le');
  const variants: Array<[string, Buffer, string, number]> = [
    ['UTF-16LE with BOM (PowerShell)', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16]), 'UTF-16LE', 2],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(utf16).swap16()]), 'UTF-16BE', 2],
    ['UTF-16LE without BOM', utf16, 'UTF-16LE', 2],
    ['UTF-16BE without BOM', Buffer.from(utf16).swap16(), 'UTF-16BE', 2],
    ['UTF-16LE without BOM, Japanese first (F1)', japanese, 'UTF-16LE', 2],
    ['UTF-16BE without BOM, Japanese first (F1)', Buffer.from(japanese).swap16(), 'UTF-16BE', 2],
    // F1b: UTF-32 was repaired (shredded); its little-endian BOM was called UTF-16LE.
    ['UTF-32BE with BOM (F1b)', Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x7b, 0, 0, 0, 0x7d, 0, 0, 0, 0x0a]), 'UTF-32BE', 1],
    ['UTF-32LE with BOM (F1b)', Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0, 0x7d, 0, 0, 0, 0x0a, 0, 0, 0]), 'UTF-32LE', 1],
    ['UTF-32BE without BOM (F1b)', Buffer.from([0, 0, 0, 0x7b, 0, 0, 0, 0x7d, 0, 0, 0, 0x0a]), 'UTF-32BE', 1],
  ];
  for (const [name, bytes, encoding, lines] of variants) {
    test(`${name}: check names the encoding and exits 1; repair refuses with exit 2 and leaves the file untouched`, async () => {
      const file = fileWith(bytes);
      const c = await check(file);
      assert.equal(c.code, 1);
      assert.equal(c.json.records, 0);
      assert.deepEqual(
        c.json.problems.map((p) => [p.kind, p.offset, p.length]),
        [['not-utf8', 0, bytes.length]],
      );
      assert.equal(c.json.lines, lines);
      assert.match(c.json.problems[0]?.message ?? '', new RegExp(`file is ${encoding}( with byte-order mark)?, not UTF-8`));
      const human = await cli(['check', file]);
      assert.equal(human.code, 1);
      assert.match(human.stdout, new RegExp(`not-utf8: file is ${encoding}`));
      const before = fs.statSync(file);
      const r = await repair(file);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^session-keeper: .*is ${encoding}, not UTF-8; refusing to repair it`));
      assert.deepEqual(fs.readFileSync(file), bytes);
      assert.equal(fs.statSync(file).mtimeMs, before.mtimeMs);
      assert.equal(fs.existsSync(`${file}.quarantine`), false);
      noTempFiles(file);
    });
  }

  test('the file from iconv -t UTF-16, when iconv is installed', async (t) => {
    const file = fileWith('');
    const made = await new Promise<Buffer | null>((resolve) => {
      const child = execFile('iconv', ['-f', 'UTF-8', '-t', 'UTF-16'], { encoding: 'buffer' }, (err, stdout) => resolve(err ? null : stdout));
      child.stdin?.end('{"n":1}\r\n{"n":2}\r\n');
    });
    if (!made) {
      t.skip('iconv not available');
      return;
    }
    fs.writeFileSync(file, made);
    assert.equal((await check(file)).json.problems[0]?.kind, 'not-utf8');
    assert.equal((await repair(file)).code, 2);
    assert.deepEqual(fs.readFileSync(file), made);
  });
});

describe('issue 9 item 2: a valid record longer than the line limit is never removed', () => {
  test('a 17 MiB record: check passes, repair leaves the file as it is', async () => {
    const line = JSON.stringify({ d: 'A'.repeat(17 << 20) });
    const file = fileWith(`${line}\n`, 'big.jsonl');
    const before = fs.statSync(file);
    const c = await check(file);
    assert.deepEqual([c.code, c.json.records, c.json.oversized, c.json.problemCount], [0, 1, 1, 0]);
    const r = await repair(file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { kept: number; changed: boolean }).kept, 1);
    const after = fs.statSync(file);
    assert.deepEqual([after.size, after.ino, after.mtimeMs], [before.size, before.ino, before.mtimeMs]);
    assert.equal(fs.existsSync(`${file}.quarantine`), false);
  });

  test('--max-line-bytes: valid long lines are kept (copied by offset) even when the file is rewritten; invalid ones quarantined', async () => {
    const valid = JSON.stringify({ d: 'é'.repeat(4000) });
    const invalid = `{"d":"${'z'.repeat(5000)}`;
    const content = `{"a":1}{"b":2}\n${valid}\r\n${invalid}\n{"c":3}\n${valid}`;
    const file = fileWith(content);
    const c = await check(file, ['--max-line-bytes', '1000']);
    assert.equal(c.code, 1);
    assert.deepEqual([c.json.records, c.json.oversized, c.json.corrupted], [5, 2, 1]);
    assert.deepEqual(
      c.json.problems.map((p) => [p.kind, p.line]),
      [
        ['fused-values', 1],
        ['too-long', 3],
      ],
    );
    const r = await repair(file, ['--max-line-bytes', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const repaired = fs.readFileSync(file);
    assert.deepEqual(strictValues(repaired), [{ a: 1 }, { b: 2 }, JSON.parse(valid), { c: 3 }, JSON.parse(valid)]);
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), `${invalid}\n`);
    assert.equal((await check(file, ['--max-line-bytes', '1000'])).code, 0);
    // With the default limit the same lines are ordinary records.
    assert.deepEqual((await check(file)).json.oversized, 0);
  });

  test('a 96 MiB valid line in a file that must be rewritten is copied through in bounded memory', { timeout: 120_000 }, async () => {
    const line = JSON.stringify({ image: 'QUJD'.repeat(24 << 20) });
    const file = fileWith(`{"torn":\n${line}\n{"after":1}\n`);
    const peak = async (target: string): Promise<number> => {
      const rssFile = `${target}.rss`;
      const r = await new Promise<CliResult>((resolve) => {
        execFile(
          process.execPath,
          ['--require', RSS_PRELOAD, CLI, 'repair', target, '--max-line-bytes', String(1 << 20)],
          { env: { ...process.env, SK_MAX_RSS_FILE: rssFile } },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, stdout, stderr }),
        );
      });
      assert.equal(r.code, 0, r.stderr);
      return Number(fs.readFileSync(rssFile, 'utf8'));
    };
    const baseline = await peak(fileWith('{"torn":\n{"small":1}\n'));
    const big = await peak(file);
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), '{"torn":\n');
    const repaired = fs.readFileSync(file);
    assert.equal(repaired.length, line.length + '\n{"after":1}\n'.length);
    assert.ok(repaired.subarray(0, line.length).equals(Buffer.from(line)), 'the long line is copied byte for byte');
    // Holding the line would cost at least its 96 MiB (as a Buffer; more as a string).
    const extra = big - baseline;
    assert.ok(extra < 48 * 1024 * 1024, `peak RSS grew by ${(extra / 1048576).toFixed(1)} MiB for a 96 MiB line`);
  });

  test('--max-line-bytes must be a whole number of bytes in range: exit 2, one clear line, file untouched', async () => {
    const file = fileWith('{"a":1}\nbad\n');
    for (const bad of ['0', '-5', '1.5', 'abc', '1e3', '', '999999999999']) {
      for (const command of ['check', 'repair']) {
        const r = await cli([command, file, `--max-line-bytes=${bad}`]);
        assert.equal(r.code, 2, `${command} ${bad}`);
        assert.match(r.stderr, /^session-keeper: (check|repair): --max-line-bytes must be a whole number of bytes from 1 to 268435456/);
      }
    }
    const missing = await cli(['check', file, '--max-line-bytes']);
    assert.equal(missing.code, 2);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\nbad\n');
    assert.equal(fs.existsSync(`${file}.quarantine`), false);
  });
});

describe('issue 9 item 7: check exits 0 only for strict JSON Lines', () => {
  const cases: Array<[string, Buffer, string, unknown[]]> = [
    ['fused values', Buffer.from('{"a":1}{"b":2}\n'), 'fused-values', [{ a: 1 }, { b: 2 }]],
    ['CR-only line endings', Buffer.from('{"a":1}\r{"b":2}\r'), 'cr-line-end', [{ a: 1 }, { b: 2 }]],
    ['a UTF-8 BOM', Buffer.from('\ufeff{"a":1}\n{"b":2}\n'), 'utf8-bom', [{ a: 1 }, { b: 2 }]],
    ['blank and whitespace-only lines', Buffer.from('{"a":1}\n\n \t\r\n{"b":2}\n'), 'blank-line', [{ a: 1 }, { b: 2 }]],
  ];
  for (const [name, bytes, kind, values] of cases) {
    test(`${name}: check exits 1 (${kind}), nothing is corrupted; repair makes it strict without loss`, async () => {
      assert.equal(isStrict(bytes), false, 'a strict reader rejects the input');
      const file = fileWith(bytes);
      const c = await check(file);
      assert.equal(c.code, 1);
      assert.equal(c.json.corrupted, 0);
      assert.equal(c.json.records, values.length);
      assert.ok(c.json.problems.length > 0 && c.json.problems.every((p) => p.kind === kind), JSON.stringify(c.json.problems));
      const human = await cli(['check', file]);
      assert.match(human.stdout, /nothing is damaged: repair rewrites it without loss/);
      const r = await repair(file);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { quarantined: number; reformatted: number; quarantinePath: string | null };
      assert.deepEqual([j.quarantined, j.quarantinePath], [0, null]);
      assert.ok(j.reformatted > 0);
      const repaired = fs.readFileSync(file);
      assert.deepEqual(strictValues(repaired), values);
      assert.equal((await check(file)).code, 0);
    });
  }

  test('CRLF endings, whitespace around a value, scalars and a last line without newline are strict: exit 0', async () => {
    const bytes = Buffer.from('{"a":1}\r\n  [2] \r\n"s"\n3');
    assert.equal(isStrict(bytes), true);
    const file = fileWith(bytes);
    assert.equal((await check(file)).code, 0);
  });
});
