// The file guard of the MCP tools, called directly: the race between check and write, and roots.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl } from '../../src/core/jsonl-append';
import { checkToolPath, FileRefusedError, usableRoots } from '../../src/mcp/file-guard';
import { tempDir } from '../fixtures/lock-helpers';

const posix = process.platform !== 'win32';

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
});
