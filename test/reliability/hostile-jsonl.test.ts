// JSONL files that are not what they seem: FIFOs (opening one for reading blocks until a writer
// comes), devices, symlinks, and a quarantine path planted as a symlink to a file elsewhere.
// What must hold: every call ends (clear error or result, never a hang), repair refuses
// symlinks, and repair's quarantine never follows a planted symlink. (Appending to a symlinked
// JSONL file follows it, like the shell's >>: the user named that file.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, symlinkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, fixture } from './lib/proc';
import { inTempDir } from './lib/tmp';
import { recordFigures } from './lib/figures';

const op = fixture('reliability-jsonl-op');

/** Runs one operation in a child; a child still running after `ms` is killed and reported as a hang. */
async function outcome(what: string, file: string, ms = 5000): Promise<string> {
  const child = startChild(op, [what, file]);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), ms);
  const { signal } = await child.exited;
  clearTimeout(timer);
  if (signal === 'SIGKILL') return 'HUNG';
  const last = child.lines.at(-1);
  if (!last) return `crashed: ${child.stderr().slice(-300)}`;
  const r = JSON.parse(last) as { ok: boolean; code?: string; error?: string };
  return r.ok ? 'ok' : `error ${r.code ?? ''}: ${r.error ?? ''}`;
}

test('reading, checking, repairing and appending to FIFOs, devices and symlinks never hangs', { timeout: 120_000 }, async () => {
  await inTempDir('hostile-jsonl', async (tmp) => {
    const dir = join(tmp, 'data');
    const outside = join(tmp, 'outside');
    mkdirSync(dir);
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim.jsonl'), '{"keep":1}\n');
    writeFileSync(join(outside, 'quarantine-victim'), 'do not touch\n');
    execFileSync('mkfifo', [join(dir, 'fifo.jsonl')]);
    execFileSync('mkfifo', [join(outside, 'fifo')]);
    symlinkSync(join(outside, 'fifo'), join(dir, 'link-to-fifo.jsonl'));
    symlinkSync('/dev/zero', join(dir, 'zero.jsonl'));
    symlinkSync(join(outside, 'victim.jsonl'), join(dir, 'link-to-victim.jsonl'));
    // A damaged file whose quarantine path was planted as a symlink to a file outside.
    writeFileSync(join(dir, 'damaged.jsonl'), '{"a":1}\n{"torn\n{"b":2}\n');
    symlinkSync(join(outside, 'quarantine-victim'), join(dir, 'damaged.jsonl.quarantine'));
    const before = readFileSync(join(outside, 'quarantine-victim'), 'utf8');

    const outcomes: Record<string, string> = {};
    const calls: Array<[string, string]> = [];
    for (const name of ['fifo.jsonl', 'link-to-fifo.jsonl', 'zero.jsonl']) for (const what of ['scan', 'read', 'repair', 'append']) calls.push([what, name]);
    calls.push(['repair', 'link-to-victim.jsonl'], ['repair', 'damaged.jsonl']);
    // One at a time: an append opens a FIFO for writing and would unblock a concurrent reader.
    for (const [what, name] of calls) outcomes[`${what} ${name}`] = await outcome(what, join(dir, name));
    const hangs = Object.entries(outcomes).filter(([, o]) => o === 'HUNG').map(([k]) => k);

    recordFigures({
      test: 'hostile-jsonl-files',
      injects: 'FIFOs, a symlink to a FIFO, /dev/zero, a symlinked file, a quarantine path planted as a symlink',
      figures: { calls: calls.length, hangs: hangs.length, writtenThroughQuarantineSymlink: readFileSync(join(outside, 'quarantine-victim'), 'utf8') !== before },
    });
    assert.deepEqual(hangs, [], `calls that hung: ${JSON.stringify(outcomes, null, 1)}`);
    assert.match(outcomes['repair link-to-victim.jsonl'] ?? '', /^error/, 'repair refuses a symlinked file');
    // Appending to a FIFO or a device "succeeds" into nowhere: an acknowledged record would be lost.
    for (const name of ['fifo.jsonl', 'link-to-fifo.jsonl', 'zero.jsonl']) {
      assert.match(outcomes[`append ${name}`] ?? '', /^error .*not a regular file/, `append ${name} must fail clearly: ${outcomes[`append ${name}`]}`);
    }
    assert.equal(readFileSync(join(outside, 'victim.jsonl'), 'utf8'), '{"keep":1}\n', 'repair did not follow the symlinked file');
    // The quarantine is repair's own output: a symlink planted in its place must not redirect it.
    assert.equal(readFileSync(join(outside, 'quarantine-victim'), 'utf8'), before, 'repair appended its quarantine through a planted symlink');
  });
});
