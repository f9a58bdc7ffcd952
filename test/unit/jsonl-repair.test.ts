import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repairJsonl, type RepairOptions } from '../../src/core/jsonl-repair';
import { scanJsonl, isFormatProblem, type JsonlProblem, type JsonlRecord } from '../../src/core/jsonl-reader';
import { appendJsonl } from '../../src/core/jsonl-append';
import { withLock } from '../../src/core/lock';
import { startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

const NUL = (n: number): Buffer => Buffer.alloc(n, 0);
const B = (s: string): Buffer => Buffer.from(s);

async function writeTemp(content: Buffer, mode = 0o644): Promise<string> {
  const dir = await tempDir('repair');
  const file = path.join(dir, 'data.jsonl');
  await fsp.writeFile(file, content, { mode });
  await fsp.chmod(file, mode);
  return file;
}

/** What the reader sees: records (oversized ones included, in file order) and all problems. */
async function spans(file: string, options: RepairOptions): Promise<{ records: Array<Pick<JsonlRecord, 'offset' | 'length' | 'recovered'>>; problems: JsonlProblem[] }> {
  const records: Array<Pick<JsonlRecord, 'offset' | 'length' | 'recovered'>> = [];
  const problems: JsonlProblem[] = [];
  await scanJsonl(file, {
    ...(options.maxLineBytes ? { maxLineBytes: options.maxLineBytes } : {}),
    onRecord: (r) => records.push(r),
    onOversizedRecord: (r) => records.push({ ...r, recovered: false }),
    onProblem: (p) => problems.push(p),
  });
  records.sort((a, b) => a.offset - b.offset);
  return { records, problems };
}

function isFormatting(bytes: Buffer, i: number): boolean {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const c = bytes[i];
  return (bom && i < 3) || c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09;
}

/**
 * Repairs a file holding `content` and checks that nothing is lost: the repaired file is exactly
 * the record spans (one per line), the quarantine exactly the problem spans (one per line), and
 * every other original byte is formatting. Then checks that a second repair changes nothing.
 */
async function repairAndAccount(content: Buffer, options: RepairOptions = {}) {
  const file = await writeTemp(content, 0o640);
  const { records, problems: all } = await spans(file, options);
  // Format problems (fused values, bare CRs, a BOM) quarantine nothing; rewriting fixes them.
  const problems = all.filter((p) => !isFormatProblem(p.kind));
  const result = await repairJsonl(file, options);

  const expectedFile = Buffer.concat(records.flatMap((r) => [content.subarray(r.offset, r.offset + r.length), B('\n')]));
  const expectedQuarantine = Buffer.concat(
    problems.flatMap((p) => [content.subarray(p.offset, p.offset + p.length), B('\n')]),
  );
  const repaired = await fsp.readFile(file);
  if (all.length === 0) {
    // Strict JSON Lines (what check passes) is never rewritten, CRLF endings and all.
    assert.equal(result.changed, false);
    assert.deepEqual(repaired, content, 'a strict file is left as it was');
  } else {
    assert.deepEqual(repaired, expectedFile, 'repaired file = record spans, one per line, in order');
  }
  if (problems.length > 0) {
    assert.equal(result.quarantinePath, `${file}.quarantine`);
    assert.deepEqual(await fsp.readFile(`${file}.quarantine`), expectedQuarantine, 'quarantine = problem spans');
    if (process.platform !== 'win32') assert.equal(fs.statSync(`${file}.quarantine`).mode & 0o777, 0o600);
  } else {
    assert.equal(result.quarantinePath, null);
    assert.equal(fs.existsSync(`${file}.quarantine`), false);
  }
  const owned = new Uint8Array(content.length);
  for (const s of [...records, ...problems]) {
    for (let i = s.offset; i < s.offset + s.length; i++) {
      assert.equal(owned[i], 0, `byte ${i} in two spans`);
      owned[i] = 1;
    }
  }
  let formatting = 0;
  for (let i = 0; i < content.length; i++) {
    if (owned[i]) continue;
    assert.ok(isFormatting(content, i), `byte ${i} (0x${content[i]?.toString(16)}) lost`);
    formatting++;
  }
  const recordBytes = records.reduce((n, r) => n + r.length, 0);
  assert.equal(recordBytes + result.quarantinedBytes + formatting, content.length, 'every byte accounted for');

  assert.equal(result.kept, records.length);
  assert.equal(result.recovered, records.filter((r) => r.recovered).length);
  assert.equal(result.quarantined, problems.length);
  assert.equal(result.reformatted, all.length - problems.length);
  assert.equal(result.quarantinedBytes, problems.reduce((n, p) => n + p.length, 0));
  assert.deepEqual(result.problems, all);
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o640, 'mode kept');

  // The result is clean, and repairing it again is a no-op that does not even rewrite it.
  const after = await scanJsonl(file);
  assert.equal(after.problemCount, 0);
  assert.equal(after.recovered, 0);
  assert.equal(after.records, records.length);
  const st = fs.statSync(file);
  const quarantineBefore = fs.existsSync(`${file}.quarantine`) ? fs.readFileSync(`${file}.quarantine`) : null;
  const again = await repairJsonl(file, options);
  assert.equal(again.changed, false);
  assert.equal(again.quarantinePath, null);
  const st2 = fs.statSync(file);
  assert.equal(st2.ino, st.ino);
  assert.equal(st2.mtimeMs, st.mtimeMs);
  assert.deepEqual(fs.readFileSync(file), repaired);
  assert.deepEqual(
    fs.existsSync(`${file}.quarantine`) ? fs.readFileSync(`${file}.quarantine`) : null,
    quarantineBefore,
  );
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock')),
    [],
    'no temp files or locks left',
  );
  return { file, result, repaired: repaired.toString('utf8') };
}

describe('repairJsonl', () => {
  const kinds: Array<[string, Buffer, RepairOptions?]> = [
    ['torn tail', B('{"a":1}\n{"b":2}\n{"c":[1,2')],
    ['parseable tail without a newline, after a damaged line', B('{"a":1}\n{\n{"b":2}')],
    ['fused records', B('{"a":1}\n{"b":2}{"c":3} {"d":4}\n{"e":5}\n')],
    ['torn record fused with the next', B('{"a":1,"b":"x{"{"c":3}\n')],
    ['NUL runs', Buffer.concat([B('{"a":1}\n'), NUL(40), B('\n'), NUL(3), B('{"b":2}\n{"c":3}'), NUL(1), B('{"d":4}\n')])],
    ['CRLF, and a damaged line', B('{"a":1}\r\n{\r\n{"b":2}\r\n')],
    ['several CRs before the newline, and a damaged line', B('{"a":1}\r\r\n{"b":2} \r\n{"c":3}\r \r\n[\r\n{"d":4}\r\r')],
    ['BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), B('{"a":1}\n{"b":2}\n')])],
    ['blank and whitespace lines', B('\n{"a":1}\n\n  \t\n{"b":2}\n\n\n')],
    [
      'invalid UTF-8',
      Buffer.concat([B('{"a":"'), Buffer.from([0xff]), B('"}\n'), Buffer.from([0xc3, 0x28]), B('{"b":2}\n')]),
    ],
    ['over-long lines, valid (kept) and invalid (quarantined)', B(`{"a":1}\n"${'z'.repeat(500)}"\r\n{"b":2}\n"${'z'.repeat(300)}`), { maxLineBytes: 100, chunkBytes: 64 }],
    ['CR-only line endings', B('{"a":1}\r{"b":2}\r{"c":3}\r')],
    ['pretty-printed object among records', B('{\n  "role": "user",\n  "content": "hi"\n}\n{"ok":true}\n')],
    ['torn record before a whole one', B('{"type":"x","prNu{"type":"y","n":2}\n')],
    ['garbage lines', B('{"a":1}\nnot json at all\n}{\n{"b":2}\n')],
    ['everything at once', Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      B('{"a":1}\r\n\n'),
      NUL(5),
      B('{"b":2}{"c":3}\n  junk {"d":4} \n'),
      Buffer.from([0xfe]),
      B('\n{"e":"é"}\n{"f":'),
    ])],
  ];
  for (const [name, content, options] of kinds) {
    test(`accounts for every byte: ${name}`, async () => {
      const { result } = await repairAndAccount(content, options ?? {});
      assert.equal(result.changed, true);
    });
  }

  test('a clean file is left untouched: same bytes, inode and mtime, no quarantine', async () => {
    const content = B('{"a":1}\n["é"]\n"s"\n');
    const file = await writeTemp(content);
    const before = fs.statSync(file);
    const result = await repairJsonl(file);
    assert.deepEqual(
      { ...result, before: undefined, problems: undefined },
      { file, kept: 3, recovered: 0, quarantined: 0, reformatted: 0, quarantinedBytes: 0, quarantinePath: null, crlfEndings: 0, finalNewlineAdded: false, changed: false, before: undefined, problems: undefined },
    );
    const after = fs.statSync(file);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.deepEqual(fs.readFileSync(file), content);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['data.jsonl']);
    const empty = await writeTemp(Buffer.alloc(0));
    assert.equal((await repairJsonl(empty)).changed, false);
  });

  test('streams a multi-chunk file: damage near the end, verbatim prefix copied', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ i, pad: 'p'.repeat(i % 50) }));
    const content = Buffer.concat([B(lines.join('\n') + '\n'), NUL(10), B('\n{"last":true}\n')]);
    const progress: number[] = [];
    const { result } = await repairAndAccount(content, { chunkBytes: 4096, onProgress: (d) => progress.push(d) });
    assert.equal(result.kept, 3001);
    assert.equal(result.quarantined, 1);
    assert.ok(progress.length > 10);
    assert.ok(progress.includes(content.length), 'progress reaches the full size');
  });

  test('the quarantine file is appended to, never overwritten', async () => {
    const file = await writeTemp(B('{"a":1}\nfirst-bad\n'));
    await repairJsonl(file);
    await fsp.appendFile(file, 'second-bad\n{"b":2}\n');
    const result = await repairJsonl(file);
    assert.equal(result.quarantined, 1);
    assert.equal(await fsp.readFile(`${file}.quarantine`, 'utf8'), 'first-bad\nsecond-bad\n');
    assert.equal(await fsp.readFile(file, 'utf8'), '{"a":1}\n{"b":2}\n');
  });

  test('abort before the rename leaves the original untouched and no temp or quarantine files', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `{"i":${i}}`).join('\n');
    const content = B(`garbage\n${lines}\n`);
    const file = await writeTemp(content);
    const controller = new AbortController();
    await assert.rejects(
      repairJsonl(file, {
        chunkBytes: 256,
        signal: controller.signal,
        onProgress: (done) => {
          if (done > 1024) controller.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.deepEqual(fs.readFileSync(file), content);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['data.jsonl']);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(repairJsonl(file, { signal: pre.signal }), { name: 'AbortError' });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['data.jsonl']);
  });

  test('refuses symbolic links and missing files with clear errors', async () => {
    const file = await writeTemp(B('x\n'));
    const link = path.join(path.dirname(file), 'link.jsonl');
    await fsp.symlink(file, link);
    await assert.rejects(repairJsonl(link), /symbolic link/);
    await assert.rejects(repairJsonl(path.join(path.dirname(file), 'missing.jsonl')), { code: 'ENOENT' });
    assert.deepEqual(fs.readFileSync(file), B('x\n'));
  });

  test('refuses FIFOs and never writes its quarantine through a planted symlink', { skip: process.platform === 'win32' }, async () => {
    const dir = await tempDir('repair');
    const fifo = path.join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(repairJsonl(fifo), { code: 'ENOTREGULAR' });
    const file = path.join(dir, 'damaged.jsonl');
    const content = '{"a":1}\n{"torn\n{"b":2}\n';
    await fsp.writeFile(file, content);
    const victim = path.join(dir, 'victim');
    await fsp.writeFile(victim, 'do not touch\n');
    await fsp.symlink(victim, `${file}.quarantine`);
    await assert.rejects(repairJsonl(file), { code: 'ELOOP' });
    assert.equal(await fsp.readFile(victim, 'utf8'), 'do not touch\n');
    assert.equal(await fsp.readFile(file, 'utf8'), content, 'the original stays as it was');
    assert.deepEqual((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
  });

  test('repair waits for the lock held by an appender', async () => {
    const file = await writeTemp(B('bad\n'));
    let appended = false;
    const holding = withLock(file, async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await fsp.appendFile(file, '{"late":1}\n');
      appended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await repairJsonl(file);
    await holding;
    assert.equal(appended, true);
    assert.equal(result.kept, 1, 'the record appended under the lock before the repair is kept');
    assert.equal(await fsp.readFile(file, 'utf8'), '{"late":1}\n');
  });

  test('repairs running while 4 processes append: every record survives exactly once', async () => {
    const file = await writeTemp(Buffer.concat([B('{"seed":0}\n'), NUL(30), B('\n')]));
    const startAt = String(Date.now() + 300);
    const children = [0, 1, 2, 3].map((w) =>
      startFixture('append-writer', [file, `w${w}`, '40', '200', '2000', startAt]),
    );
    const exits = Promise.all(children.map((c) => waitForExit(c)));
    let running = true;
    void exits.then(() => (running = false));
    let repairs = 0;
    while (running) {
      await repairJsonl(file, { lock: { staleMs: 2000 } });
      repairs++;
      // A line torn by a crash that the next appender and repair must cope with.
      if (repairs === 1) await withLock(file, () => fsp.appendFile(file, '{"torn":'));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const e of await exits) assert.equal(e.code, 0, e.stderr);
    await repairJsonl(file);
    const seen = new Set<string>();
    const text = await fsp.readFile(file, 'utf8');
    const lines = text.split('\n').slice(0, -1);
    for (const line of lines) {
      const rec = JSON.parse(line) as { writer?: string; seq?: number };
      if (rec.writer === undefined) continue;
      const key = `${rec.writer}:${rec.seq}`;
      assert.equal(seen.has(key), false, `${key} appears once`);
      seen.add(key);
    }
    assert.equal(seen.size, 160);
    assert.ok(repairs >= 1);
    assert.match(fs.readFileSync(`${file}.quarantine`, 'utf8'), /\{"torn":\n/);
  });

  test('a writer SIGKILLed mid-loop: repair keeps every complete record and leaves the file clean', async () => {
    const dir = await tempDir('repair');
    const file = path.join(dir, 'killed.jsonl');
    const child = startFixture('append-writer', [file, 'k', '100000', '1000', '2000', '0', 'verbose']);
    const line = await waitForLine(child, (l) => l === 'appended 150');
    assert.equal(line, 'appended 150');
    child.kill('SIGKILL');
    await waitForExit(child);
    // As a crash without our appender would leave it: half a record, no newline.
    await fsp.appendFile(file, '{"writer":"k","seq":-1,"pad":"xxxx');
    const result = await repairJsonl(file, { lock: { staleMs: 2000 } });
    const text = await fsp.readFile(file, 'utf8');
    const seqs = text
      .split('\n')
      .slice(0, -1)
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.ok(seqs.length >= 151, 'every append the writer reported is there');
    assert.deepEqual(seqs, [...seqs.keys()], 'each record once, in order');
    assert.equal(result.kept, seqs.length);
    assert.equal(result.quarantined, 1);
    const after = await scanJsonl(file);
    assert.equal(after.problemCount, 0);
    assert.equal((await repairJsonl(file)).changed, false);
    // The appender keeps working on the repaired file.
    await appendJsonl(file, { after: true });
    assert.equal((await scanJsonl(file)).records, seqs.length + 1);
  });
});
