import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { appendJsonl, appendJsonlLine, serialiseRecord, validateJsonLine } from '../../src/core/jsonl-append';
import { execFileSync, spawn } from 'node:child_process';
import { startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

describe('appendJsonl', () => {
  test('appends one line per record, creates the file 0600, leaves no lock behind', async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'log.jsonl');
    await appendJsonl(file, { a: 1 });
    await appendJsonl(file, ['x', null, 'é😀']);
    await appendJsonl(file, 'plain string');
    assert.equal(await fsp.readFile(file, 'utf8'), '{"a":1}\n["x",null,"é😀"]\n"plain string"\n');
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  test('does not change the mode of an existing file', async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'log.jsonl');
    await fsp.writeFile(file, '', { mode: 0o640 });
    await fsp.chmod(file, 0o640);
    await appendJsonl(file, 1);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  });

  test('rejects values without a JSON representation and writes nothing', async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'log.jsonl');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [undefined, () => 1, Symbol('s'), 10n, cyclic]) {
      await assert.rejects(appendJsonl(file, bad), (err: unknown) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /not JSON-serialisable/);
        return true;
      });
    }
    assert.equal(fs.existsSync(file), false);
    assert.equal(serialiseRecord({ s: 'a\nb' }), '{"s":"a\\nb"}', 'newlines in strings are escaped');
  });

  test('a torn tail does not swallow the next record: a newline is written first', async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'log.jsonl');
    await fsp.writeFile(file, '{"ok":1}\n{"torn":');
    await appendJsonl(file, { next: 2 });
    assert.equal(await fsp.readFile(file, 'utf8'), '{"ok":1}\n{"torn":\n{"next":2}\n');
    await appendJsonl(file, { next: 3 });
    assert.equal(await fsp.readFile(file, 'utf8'), '{"ok":1}\n{"torn":\n{"next":2}\n{"next":3}\n');
  });

  test('appendJsonlLine accepts exactly one JSON value and keeps it on one line', async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'log.jsonl');
    await appendJsonlLine(file, '{"big":12345678901234567890,"f":1.0}');
    await appendJsonlLine(file, '{\n  "pretty": [1,\r\n 2]\n}');
    const lines = (await fsp.readFile(file, 'utf8')).split('\n');
    assert.equal(lines[0], '{"big":12345678901234567890,"f":1.0}', 'text is stored verbatim (no re-serialising)');
    assert.deepEqual(JSON.parse(lines[1]!), { pretty: [1, 2] });
    assert.equal(lines.length, 3);
    for (const bad of ['', '   ', '{', '{"a":1}{"b":2}', '1 2', 'undefined', '\uFEFF{}', '"\uD800"']) {
      await assert.rejects(appendJsonlLine(file, bad), SyntaxError, JSON.stringify(bad));
    }
    assert.equal((await fsp.readFile(file, 'utf8')).split('\n').length, 3, 'rejected text wrote nothing');
    assert.equal(validateJsonLine('"\\ud800"'), '"\\ud800"', 'an escaped lone surrogate is fine');
  });

  test('refuses FIFOs and devices (they would swallow acknowledged records) without blocking', { skip: process.platform === 'win32' }, async () => {
    const dir = await tempDir('append');
    const fifo = path.join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    const zero = path.join(dir, 'zero.jsonl');
    await fsp.symlink('/dev/zero', zero);
    for (const file of [fifo, zero]) {
      await assert.rejects(appendJsonl(file, { a: 1 }), (err: unknown) => {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOTREGULAR');
        assert.match((err as Error).message, /not a regular file/);
        return true;
      });
    }
    // A symlink to a regular file is followed, as the shell's >> would.
    const real = path.join(dir, 'real.jsonl');
    await fsp.symlink(real, path.join(dir, 'link.jsonl'));
    await appendJsonl(path.join(dir, 'link.jsonl'), { via: 'link' });
    assert.equal(await fsp.readFile(real, 'utf8'), '{"via":"link"}\n');
  });

  test('a write failing part-way (file-size limit) leaves no partial line and does not kill the process', { skip: process.platform === 'win32' }, async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'limited.jsonl');
    // sh counts `ulimit -f` in 512-byte blocks: 32 KiB, so the limit falls inside some record.
    const child = spawn('sh', ['-c', 'ulimit -f 64 && exec "$0" "$@"', process.execPath, path.join(__dirname, '..', 'fixtures', 'append-until-error.js'), file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await waitForLine(child, (l) => l.startsWith('{'));
    const exit = await waitForExit(child);
    assert.equal(exit.signal, null, 'SIGXFSZ must not kill the process');
    assert.equal(exit.code, 0, exit.stderr);
    const { acked, code } = JSON.parse(line) as { acked: number; code: string };
    assert.equal(code, 'EFBIG');
    assert.ok(acked > 10);
    const text = await fsp.readFile(file, 'utf8');
    assert.ok(text.endsWith('\n'), 'no partial line at the end');
    const seqs = text.slice(0, -1).split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.deepEqual(seqs, [...Array(acked).keys()], 'exactly the acknowledged records');
  });

  test('8 processes appending at once: every record exactly once, in per-writer order, no torn lines', async () => {
    const dir = await tempDir('append');
    const file = path.join(dir, 'shared.jsonl');
    const writers = 8;
    const perWriter = 40;
    const startAt = String(Date.now() + 400);
    const children = Array.from({ length: writers }, (_, w) =>
      startFixture('append-writer', [file, `w${w}`, String(perWriter), '1000', '2000', startAt]),
    );
    const exits = await Promise.all(children.map((c) => waitForExit(c)));
    for (const e of exits) assert.equal(e.code, 0, e.stderr);

    const text = await fsp.readFile(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, writers * perWriter);
    const nextSeq = new Map<string, number>();
    for (const line of lines) {
      const rec = JSON.parse(line) as { writer: string; seq: number; pad: string };
      assert.equal(rec.pad.length, 1000);
      const expected = nextSeq.get(rec.writer) ?? 0;
      assert.equal(rec.seq, expected, `writer ${rec.writer} records in order, none lost or repeated`);
      nextSeq.set(rec.writer, expected + 1);
    }
    assert.equal(nextSeq.size, writers);
    for (const n of nextSeq.values()) assert.equal(n, perWriter);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });
});
