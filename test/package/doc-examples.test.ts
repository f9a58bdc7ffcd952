// The JavaScript in docs/*.md runs as written: every ```js block passes `node --check` in the
// module system it is written for, and library.md's worked example (three workers, then the
// reader) runs against the built package and gives the result the text promises.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../src/core/session-store';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const DOCS = path.join(ROOT, 'docs');

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp project whose `session-keeper` is this repository (its built dist/). */
function project(): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-docs-'));
  temps.push(work);
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(work, 'node_modules', 'session-keeper'), 'dir');
  return work;
}

function jsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

const isEsm = (code: string): boolean => /^\s*(import|export)\s/m.test(code);

describe('doc examples', { timeout: 120_000 }, () => {
  test('every js block in docs/ is valid in its module system', async () => {
    const work = project();
    let n = 0;
    for (const doc of fs.readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
      for (const code of jsBlocks(fs.readFileSync(path.join(DOCS, doc), 'utf8'))) {
        const file = path.join(work, `block-${n++}.${isEsm(code) ? 'mjs' : 'cjs'}`);
        fs.writeFileSync(file, code);
        await run(process.execPath, ['--check', file]).catch((err: { stderr?: string }) => {
          assert.fail(`${doc}, block:\n${code}\n${err.stderr ?? String(err)}`);
        });
      }
    }
    assert.ok(n >= 4, `found ${n} blocks`);
  });

  test("library.md's worked example: three workers, 300 lines, sessions closed; the reader prints them", async () => {
    const work = project();
    const blocks = jsBlocks(fs.readFileSync(path.join(DOCS, 'library.md'), 'utf8'));
    const worker = blocks.find((b) => b.includes('worker.js'));
    const reader = blocks.find((b) => b.includes('readJsonl('));
    assert.ok(worker && reader);
    fs.writeFileSync(path.join(work, 'worker.js'), worker);
    fs.writeFileSync(path.join(work, 'read.mjs'), reader);
    const dir = path.join(work, 'sessions');
    const env = { ...process.env, SESSION_KEEPER_DIR: dir };
    await Promise.all([1, 2, 3].map(() => run(process.execPath, ['worker.js'], { cwd: work, env })));
    const { stdout } = await run(process.execPath, ['read.mjs'], { cwd: work, env });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 300);
    const perWorker = new Map<string, number>();
    for (const l of lines) perWorker.set(l.split(' ')[0] as string, (perWorker.get(l.split(' ')[0] as string) ?? 0) + 1);
    assert.deepEqual([...perWorker.values()], [100, 100, 100]);
    // Closed sessions may already be archived by a later worker's cleanup; none is left open.
    const sessions = (await new SessionStore(dir, { cleanupOnCreate: false }).list()).filter((s) => s.record.tool === 'queue-demo');
    assert.ok(sessions.length >= 1);
    for (const s of sessions) {
      assert.equal(s.state, 'closed');
      assert.ok(perWorker.has(s.record.id));
    }
  });
});
