// `check --threads N` through the compiled CLI: a file large enough for worker threads when
// --threads is given (16 MiB per thread; 128 MiB without it) with damage throughout gives
// byte-identical output with 1, 2 and 4 threads and without the option, and a bad value is a
// usage error (exit 2).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupTracked, cli, tempDir } from '../helpers/processes';

const dir = tempDir('threads');
after(cleanupTracked);

describe('check --threads', () => {
  test('a 40 MB file with damage of every kind: the same JSON and text output with 1, 2 and 4 threads', { timeout: 300_000 }, async () => {
    const file = path.join(dir, 'big.jsonl');
    const fd = fs.openSync(file, 'w');
    try {
      const good = Buffer.from(`${JSON.stringify({ seq: 0, text: 'naïve café 日本語 '.repeat(30) })}\n`);
      const damage = [
        Buffer.from('{"torn":tr\n'),
        Buffer.from('{"a":1}{"b":[2]}\n'),
        Buffer.from([0, 0, 0, 0, 0x0a]),
        Buffer.concat([Buffer.from('{"bad":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]),
        Buffer.from('{"cr":1}\r{"lf":2}\n'),
        Buffer.from('   \n'),
        Buffer.from('{"x":1} trailing\n'),
      ];
      let written = 0;
      let i = 0;
      while (written < 40e6) {
        const block: Buffer[] = [];
        for (let k = 0; k < 97; k++) block.push(good);
        block.push(damage[i++ % damage.length] as Buffer);
        const buf = Buffer.concat(block);
        fs.writeSync(fd, buf);
        written += buf.length;
      }
      fs.writeSync(fd, Buffer.from('{"tail":'));
    } finally {
      fs.closeSync(fd);
    }
    const runs = [];
    for (const threads of ['1', '2', '4']) {
      runs.push({ threads, json: await cli(['check', file, '--json', '--threads', threads]), text: await cli(['check', file, '--threads', threads]) });
    }
    runs.push({ threads: 'the default', json: await cli(['check', file, '--json']), text: await cli(['check', file]) });
    const [one, ...others] = runs;
    assert.ok(one);
    assert.equal(one.json.code, 1, one.json.stderr);
    const parsed = JSON.parse(one.json.stdout) as { problemCount: number; recovered: number; problemsByKind: Record<string, number> };
    assert.ok(parsed.problemCount > 50 && parsed.recovered > 0, `problems ${parsed.problemCount}, recovered ${parsed.recovered}`);
    for (const kind of ['invalid-json', 'invalid-utf8', 'nul-bytes', 'torn-tail', 'fused-values', 'cr-line-end', 'blank-line']) {
      assert.ok((parsed.problemsByKind[kind] ?? 0) > 0, kind);
    }
    for (const r of others) {
      assert.equal(r.json.stdout, one.json.stdout, `--json with ${r.threads} threads`);
      assert.equal(r.text.stdout, one.text.stdout, `text with ${r.threads} threads`);
      assert.equal(r.json.code, 1);
    }
  });

  test('a value that is not a whole number from 1 to 64 is a usage error', async () => {
    const file = path.join(dir, 'small.jsonl');
    fs.writeFileSync(file, '{"a":1}\n');
    for (const bad of ['0', '65', 'two', '-1', '1.5', '']) {
      const r = await cli(['check', file, '--threads', bad]);
      assert.equal(r.code, 2, `--threads ${JSON.stringify(bad)}: ${r.stderr}`);
      assert.match(r.stderr, /--threads/);
    }
    assert.equal((await cli(['check', file, '--threads', '3'])).code, 0);
  });
});
