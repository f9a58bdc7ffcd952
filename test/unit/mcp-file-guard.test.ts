// The file guard of the MCP tools, called directly: the race between check and write, and roots.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { appendJsonl } from '../../src/core/jsonl-append';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { assertStillInside, checkToolPath, createChecked, FileRefusedError, repairGuard, screenRoots, usableRoots, withPinnedPath } from '../../src/mcp/file-guard';
import { tempDir } from '../fixtures/lock-helpers';

const posix = process.platform !== 'win32';

/** A workspace with d/f.jsonl and a folder outside it with its own f.jsonl, both holding `bad` (one good line, one broken). */
async function folderAndOutside(): Promise<{ ws: string; outside: string; bad: string }> {
  const ws = fs.realpathSync(await tempDir('guard-ws'));
  const outside = fs.realpathSync(await tempDir('guard-out'));
  const bad = '{"ok":1}\n{"broken": OUTSIDE\n';
  fs.mkdirSync(path.join(ws, 'd'));
  fs.writeFileSync(path.join(ws, 'd', 'f.jsonl'), bad);
  fs.writeFileSync(path.join(outside, 'f.jsonl'), bad);
  return { ws, outside, bad };
}

describe('MCP file guard', () => {
  test('a file swapped for a symlink after the check is not written through', { skip: !posix }, async () => {
    const ws = fs.realpathSync(await tempDir('guard-ws'));
    const outside = await tempDir('guard-out');
    const file = path.join(ws, 'q.jsonl');
    fs.writeFileSync(file, '');
    const checked = await checkToolPath('q.jsonl', [ws], path.join(ws, 'no-sessions'), false);
    assert.ok(checked.identity);
    // The swap: the checked file goes away and a link to a file outside takes its name.
    const secret = path.join(outside, 'secret.jsonl');
    fs.writeFileSync(secret, '');
    fs.rmSync(file);
    fs.symlinkSync(secret, file);
    await assert.rejects(appendJsonl(checked.path, { x: 1 }, { expectFile: checked.identity }), /symbolic link|ELOOP|replaced/);
    assert.equal(fs.readFileSync(secret, 'utf8'), '');
  });

  test('a file replaced by another regular file after the check is refused', async () => {
    const ws = fs.realpathSync(await tempDir('guard-ws'));
    const file = path.join(ws, 'q.jsonl');
    fs.writeFileSync(file, '');
    const checked = await checkToolPath('q.jsonl', [ws], path.join(ws, 'no-sessions'), false);
    fs.writeFileSync(path.join(ws, 'other'), '');
    fs.renameSync(path.join(ws, 'other'), file);
    await assert.rejects(appendJsonl(checked.path, { x: 1 }, { expectFile: checked.identity ?? undefined }), /replaced after it was checked/);
    assert.equal(fs.readFileSync(file, 'utf8'), '');
  });

  test('the home directory and / are never roots; missing and non-directory roots are dropped', async () => {
    const home = fs.realpathSync(await tempDir('guard-home'));
    const ws = fs.realpathSync(await tempDir('guard-ws'));
    fs.writeFileSync(path.join(ws, 'f'), '');
    assert.deepEqual(await usableRoots(['/', home, ws, path.join(ws, 'f'), path.join(ws, 'missing'), 'relative'], home), [ws]);
    await assert.rejects(checkToolPath('x.jsonl', [], '/nowhere', true), FileRefusedError);
  });

  test('a hard-linked file is refused by every check, whatever its other name', { skip: !posix }, async () => {
    const ws = fs.realpathSync(await tempDir('guard-ws'));
    const outside = await tempDir('guard-out');
    const secret = path.join(outside, 'secret.jsonl');
    fs.writeFileSync(secret, '{"secret":1}\n');
    fs.linkSync(secret, path.join(ws, 'hard.jsonl'));
    for (const mayCreate of [false, true]) {
      await assert.rejects(checkToolPath('hard.jsonl', [ws], '/nowhere', mayCreate), (err: Error) => {
        assert.ok(err instanceof FileRefusedError);
        assert.match(err.message, /has 2 hard links/);
        return true;
      });
    }
    assert.equal(fs.readFileSync(secret, 'utf8'), '{"secret":1}\n');
  });

  test('roots that are /, the home directory, an ancestor of it, or inside .git (any case) are refused with the reason', async () => {
    const base = fs.realpathSync(await tempDir('guard-roots'));
    const home = path.join(base, 'a', 'b');
    for (const d of [path.join(home, 'c'), path.join(base, '.GIT', 'x'), path.join(base, 'w', '.git')]) fs.mkdirSync(d, { recursive: true });
    const { usable, refused } = await screenRoots(
      ['/', base, path.join(base, 'a'), home, `${home}/`, path.join(home, 'c'), path.join(base, '.GIT', 'x'), path.join(base, 'w', '.git')],
      home,
    );
    assert.deepEqual(usable, [path.join(home, 'c')]);
    assert.deepEqual(
      refused.map((r) => r.why),
      [
        'it is the filesystem root',
        `it contains the home directory ${home}`,
        `it contains the home directory ${home}`,
        'it is the home directory',
        'it is the home directory',
        'it is inside a .git directory',
        'it is inside a .git directory',
      ],
    );
    // The real home directory and its parent, as a client would send them.
    assert.deepEqual(await usableRoots([os.homedir(), path.dirname(os.homedir())]), []);
  });

  test('.git is refused in any letter case inside a root', async () => {
    const ws = fs.realpathSync(await tempDir('guard-ws'));
    fs.mkdirSync(path.join(ws, '.GiT'));
    fs.writeFileSync(path.join(ws, '.GiT', 'x.jsonl'), '');
    await assert.rejects(checkToolPath('.GiT/x.jsonl', [ws], '/nowhere', false), /inside a \.git directory/);
  });

  test('a parent folder swapped for a link after the check: nothing is created, appended or repaired outside', { skip: !posix }, async () => {
    const { ws, outside, bad } = await folderAndOutside();
    const created = await checkToolPath('d/new.jsonl', [ws], '/nowhere', true);
    const existing = await checkToolPath('d/f.jsonl', [ws], '/nowhere', false);
    fs.renameSync(path.join(ws, 'd'), path.join(ws, 'dreal'));
    fs.symlinkSync(outside, path.join(ws, 'd'));
    await assert.rejects(createChecked(created), FileRefusedError);
    assert.throws(() => assertStillInside(existing), /became a link|replaced/);
    await assert.rejects(repairJsonl(existing.path, { onPhase: repairGuard(existing) }), FileRefusedError);
    await assert.rejects(appendJsonl(existing.path, { x: 1 }, { expectFile: existing.identity ?? undefined }), /replaced/);
    assert.deepEqual(fs.readdirSync(outside), ['f.jsonl']);
    assert.equal(fs.readFileSync(path.join(outside, 'f.jsonl'), 'utf8'), bad);
  });

  test('sweep: a folder flipping between real and a link to outside never lets a write or repair out', { skip: process.platform !== 'linux', timeout: 60_000 }, async () => {
    const { ws, outside, bad } = await folderAndOutside();
    fs.symlinkSync(outside, path.join(ws, 'dl'));
    const flipper = spawn(
      process.execPath,
      [
        '-e',
        "const fs=require('fs');process.chdir(process.argv[1]);for(;;){try{fs.renameSync('d','dreal');fs.renameSync('dl','d');fs.renameSync('d','dl');fs.renameSync('dreal','d');}catch{}}",
        ws,
      ],
      { stdio: 'ignore' },
    );
    let ok = 0;
    try {
      for (let n = 0, end = Date.now() + 4000; Date.now() < end; n++) {
        try {
          if (n % 3 === 0) {
            const c = await checkToolPath('d/f.jsonl', [ws], '/nowhere', false);
            await appendJsonl(c.path, { n }, { expectFile: c.identity ?? undefined });
          } else if (n % 3 === 1) {
            const c = await checkToolPath(`d/new${n}.jsonl`, [ws], '/nowhere', true);
            await createChecked(c);
          } else {
            const c = await checkToolPath('d/f.jsonl', [ws], '/nowhere', false);
            await repairJsonl(c.path, { onPhase: repairGuard(c) });
          }
          ok++;
        } catch {
          // Refusals and races are expected; only what lands outside matters.
        }
        assert.equal(fs.readFileSync(path.join(outside, 'f.jsonl'), 'utf8'), bad, `call ${n} changed the outside file`);
        // Lock artifacts (the lock directory and its waiting room: empty names, no data) can be made
        // through the flipping link, as a lock is named after a path resolved before its mkdir.
        const stray = fs.readdirSync(outside).filter((x) => x !== 'f.jsonl' && !x.endsWith('.lock') && !x.endsWith('.lock-waiters'));
        assert.deepEqual(stray, [], `call ${n} left files outside`);
      }
    } finally {
      flipper.kill('SIGKILL');
    }
    assert.ok(ok > 0, 'some calls got through');
  });

  test('a read through the pinned folder stays inside when the folder is swapped for a link during it', { skip: process.platform !== 'linux' }, async () => {
    const ws = fs.realpathSync(await tempDir('guard-ws'));
    const outside = fs.realpathSync(await tempDir('guard-out'));
    fs.mkdirSync(path.join(ws, 'd'));
    fs.writeFileSync(path.join(ws, 'd', 'f.jsonl'), '{"inside":1}\n');
    fs.writeFileSync(path.join(outside, 'f.jsonl'), '{"SECRET":1}\n');
    const checked = await checkToolPath('d/f.jsonl', [ws], '/nowhere', false);
    const read = await withPinnedPath(checked, async (pinned) => {
      fs.renameSync(path.join(ws, 'd'), path.join(ws, 'dreal'));
      fs.symlinkSync(outside, path.join(ws, 'd'));
      return fs.readFileSync(pinned, 'utf8');
    });
    assert.equal(read, '{"inside":1}\n');
    // Swapped before the call: refused, never read.
    await assert.rejects(withPinnedPath(checked, async (pinned) => fs.readFileSync(pinned, 'utf8')), FileRefusedError);
  });
});
