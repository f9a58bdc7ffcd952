// `check` and `repair` through the compiled CLI, break-test findings of issue 9: a strict file is
// never rewritten (F3), a new quarantine piece never joins an unterminated last line (F4), a
// reader that closes the pipe early stops the CLI quietly (F7), and what --max-line-bytes counts
// (F5).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, cleanupTracked, cli, tempFile } from '../helpers/processes';

afterEach(cleanupTracked);

const fileWith = (content: Buffer | string): string => tempFile('out', content);

describe('F3: repair never rewrites a file that check passes', () => {
  const strict: Array<[string, string]> = [
    ['CRLF endings', '{"a":1}\r\n{"b":2}\r\n'],
    ['CR CR LF', '{}\r\r\n'],
    ['no final newline', '{"a":1}\n{"b":2}'],
    ['CRLF and no final newline', '{"a":1}\r\n{"b":2}'],
    ['JSON whitespace around values', ' {"a":1} \n\t[2]\t\r\n'],
  ];
  for (const [name, text] of strict) {
    test(`${name}: check exits 0, repair says "file unchanged" and leaves bytes, inode and mtime`, async () => {
      const file = fileWith(text);
      assert.equal((await cli(['check', file])).code, 0);
      // An mtime in the past makes any rewrite visible even on coarse clocks.
      fs.utimesSync(file, new Date(2_000_000_000), new Date(2_000_000_000));
      const before = fs.statSync(file);
      const r = await cli(['repair', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /reformatted 0; file unchanged\n$/);
      const json = JSON.parse((await cli(['repair', file, '--json'])).stdout) as { changed: boolean; crlfEndings: number; finalNewlineAdded: boolean };
      assert.deepEqual([json.changed, json.crlfEndings, json.finalNewlineAdded], [false, 0, false]);
      assert.equal(fs.readFileSync(file, 'latin1'), text);
      const after = fs.statSync(file);
      assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
      assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['data.jsonl']);
    });
  }

  test('a file rewritten for a problem says which formatting changed too', async () => {
    const file = fileWith('{"a":1}\r\n{"b"\r\n{"c":3}\r\n{"d":4}');
    const r = await cli(['repair', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kept 3, recovered 0, quarantined 1 \(4 bytes\), reformatted 0, 2 CRLF line endings made LF, final newline added\n/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"c":3}\n{"d":4}\n');
  });
});

describe('F4: each quarantined span starts on a line of its own', () => {
  for (const [name, existing, expected] of [
    ['unterminated', 'old', 'old\n{\n'],
    ['terminated', 'old\n', 'old\n{\n'],
    ['empty', '', '{\n'],
  ] as const) {
    test(`an existing ${name} quarantine`, async () => {
      const file = fileWith('{\n{}\n');
      fs.writeFileSync(`${file}.quarantine`, existing);
      assert.equal((await cli(['repair', file])).code, 0);
      assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), expected);
      assert.equal(fs.readFileSync(file, 'utf8'), '{}\n');
    });
  }

  test('no quarantine yet', async () => {
    const file = fileWith('{\n{}\n');
    assert.equal((await cli(['repair', file])).code, 0);
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), '{\n');
  });
});

describe('F7: a reader that closes the pipe early', () => {
  test('check into a pipe closed after the first chunk: no stack trace, exit 141 as after SIGPIPE', async () => {
    // 1000 problem lines: far more than a pipe buffer holds.
    const file = fileWith('{\n'.repeat(50_000));
    const child = spawn(process.execPath, [CLI, 'check', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.match(first, /data\.jsonl: 0 records/);
    assert.equal(stderr, '');
    assert.equal(code, 141);
  });
});

describe('F5: what --max-line-bytes counts', () => {
  test("a line's bytes before its '\\n': the '\\r' of CRLF and a leading BOM count", async () => {
    const crlf = fileWith('{"a":1}\r\n');
    assert.match((await cli(['check', crlf, '--max-line-bytes', '7'])).stdout, /1 over 7 bytes validated unread/);
    assert.match((await cli(['check', crlf, '--max-line-bytes', '8'])).stdout, /1 records \(0 recovered\), 0 corrupted/);
    const bom = fileWith('\ufeff{"a":1}\n');
    assert.match((await cli(['check', bom, '--max-line-bytes', '9'])).stdout, /1 over 9 bytes validated unread/);
    assert.doesNotMatch((await cli(['check', bom, '--max-line-bytes', '10'])).stdout, /over 10 bytes/);
  });
});
