// A process appending in a chain (keeping the file's lock, src/core/lock-keep.ts) is stopped
// (SIGSTOP) past the stale threshold, at a random point of its chain, while this process takes
// the lock over; it is continued while this process still holds the lock. Its next append must
// wait for the lock instead of writing under the lock it kept, and nothing may be lost, doubled
// or reordered. If the stop fell inside an append, that append says so with the usual wording
// (the record WAS written), as before the lock was kept between appends. A process ended by SIGKILL while keeping the lock leaves a stale lock,
// which is taken over as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendJsonl } from '../../src/core/jsonl-append';
import { LockCompromisedError, withLock } from '../../src/core/lock';
import { fixture, randomDelay, sleep, startChild, exitWithin } from './lib/proc';
import { inTempDir } from './lib/tmp';
import { budgetMs, scale } from './lib/scale';
import { recordFigures } from './lib/figures';

const STALE_MS = 2000;

/**
 * Takes `file`'s lock over from the stopped `child`, continues it, and returns how many bytes
 * reached the file during `ms` while this process held the lock (this test's own record is
 * appended under it then), and whether our lock turned out lost at its release: the child was
 * stopped inside its own release, between the check that the lock is still its own and the
 * rmdir, so once continued it removed our lock. That window is documented (docs/format.md,
 * "before a commit": Linux has no compare-and-rmdir) and older than keeping locks.
 */
async function growthWhileHolding(file: string, child: { kill(signal: NodeJS.Signals): unknown }, ms: number): Promise<{ grew: number; lost: boolean }> {
  let grew = -1;
  try {
    await withLock(
      file,
      async () => {
        const before = statSync(file).size;
        child.kill('SIGCONT');
        await sleep(ms);
        grew = statSync(file).size - before;
        writeFileSync(file, `${JSON.stringify({ writer: 'this', seq: 0 })}\n`, { flag: 'a' });
      },
      { staleMs: STALE_MS, maxWaitMs: 30_000 },
    );
  } catch (err) {
    if (!(err instanceof LockCompromisedError)) throw err;
    return { grew, lost: true };
  }
  return { grew, lost: false };
}

function records(file: string): Array<{ writer: string; seq: number }> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { writer: string; seq: number });
}

test('a chain of appends stopped past the stale threshold writes nothing under its lost lock once continued', { timeout: budgetMs(120_000, 600_000) }, async () => {
  const rounds = scale(4, 16);
  let stopsInsideAnAppend = 0;
  let stopsInsideARelease = 0;
  for (let round = 0; round < rounds; round++) {
    await inTempDir('keep-sigstop', async (dir) => {
      const file = join(dir, 'a.jsonl');
      const stopFile = join(dir, 'stop');
      const loop = startChild(fixture('append-loop'), [file, 'loop', stopFile, String(STALE_MS)]);
      await loop.waitForLine((l) => l === 'appending', 30_000);
      await randomDelay(100);
      loop.proc.kill('SIGSTOP');
      const { grew: grewWhileHeld, lost } = await growthWhileHolding(file, loop.proc, 300);
      if (lost) stopsInsideARelease++;
      // Unless it failed (below), it goes on appending after us.
      const after = statSync(file).size;
      const deadline = Date.now() + 30_000;
      while (statSync(file).size === after && loop.proc.exitCode === null && Date.now() < deadline) await sleep(10);
      writeFileSync(stopFile, '');
      const exit = await exitWithin(loop, 60_000);
      const all = records(file);
      const seqs = all.filter((r) => r.writer === 'loop').map((r) => r.seq);
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), `round ${round}: the loop's records, once each, in order`);
      assert.equal(all.filter((r) => r.writer === 'this').length, 1);
      if (exit.code === 0) {
        if (!lost) assert.equal(grewWhileHeld, 0, `round ${round}: the continued process wrote while another held the lock`);
        assert.equal(loop.lines.at(-1), `stopped ${seqs.length}`);
        assert.equal(all.at(-1)?.writer, 'loop', `round ${round}: it appended after us`);
      } else {
        // Stopped inside an append, between taking (or keeping) the lock and the check after its
        // write: that append says its record WAS written, as before; it wrote at most that one
        // record while we held the lock (if it was stopped before the write itself).
        stopsInsideAnAppend++;
        assert.match(loop.stderr(), /LockCompromisedError: .*WAS written completely/, `round ${round}: ${loop.stderr()}`);
        const oneRecord = Buffer.byteLength(`${JSON.stringify({ writer: 'loop', seq: seqs.length - 1 })}\n`);
        if (!lost) assert.ok(grewWhileHeld === 0 || grewWhileHeld === oneRecord, `round ${round}: ${grewWhileHeld} bytes written while we held the lock`);
      }
      assert.equal(existsSync(`${file}.lock`), false, 'no lock left behind');
    });
  }
  recordFigures({ test: 'lock-keep-sigstop', injects: `SIGSTOP past the stale threshold of a process appending in a chain, ${rounds} rounds`, figures: { rounds, stopsInsideAnAppend, stopsInsideARelease } });
});

test('a process stopped between two appends of its chain, past the stale threshold, waits for the lock once continued', { timeout: budgetMs(60_000, 120_000) }, async () => {
  await inTempDir('keep-sigstop-between', async (dir) => {
    const file = join(dir, 'a.jsonl');
    const stopFile = join(dir, 'stop');
    // It prints "kept" after 50 appends and blocks in that turn: it keeps the lock, between appends.
    const loop = startChild(fixture('append-loop'), [file, 'loop', stopFile, String(STALE_MS), '50']);
    await loop.waitForLine((l) => l === 'kept', 30_000);
    loop.proc.kill('SIGSTOP');
    assert.ok(existsSync(`${file}.lock`), 'stopped while keeping the lock');
    // 1000 ms: past its 500 ms block, so its next append comes while we hold the lock.
    const { grew: grewWhileHeld, lost } = await growthWhileHolding(file, loop.proc, 1000);
    assert.equal(lost, false, 'stopped between appends, not inside a release: our lock stays ours');
    assert.equal(grewWhileHeld, 0, 'the continued process wrote under the lock it had kept, which was ours');
    writeFileSync(stopFile, '');
    const exit = await exitWithin(loop, 60_000);
    assert.equal(exit.code, 0, loop.stderr());
    const all = records(file);
    const seqs = all.filter((r) => r.writer === 'loop').map((r) => r.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i));
    assert.deepEqual(all[50], { writer: 'this', seq: 0 }, 'ours right after its 50 appends before the stop');
    assert.equal(existsSync(`${file}.lock`), false);
  });
});

test('a process killed (SIGKILL) while keeping the lock in a chain leaves a stale lock, taken over as before', { timeout: budgetMs(60_000, 120_000) }, async () => {
  await inTempDir('keep-sigkill', async (dir) => {
    const file = join(dir, 'a.jsonl');
    const loop = startChild(fixture('append-loop'), [file, 'loop', join(dir, 'stop'), String(STALE_MS)]);
    await loop.waitForLine((l) => l === 'appending', 30_000);
    const deadline = Date.now() + 10_000;
    while (!existsSync(`${file}.lock`) && Date.now() < deadline) await sleep(1);
    loop.proc.kill('SIGKILL');
    await loop.exited;
    await appendJsonl(file, { writer: 'this', seq: 0 }, { lock: { staleMs: STALE_MS, maxWaitMs: 30_000 } });
    const all = records(file);
    const seqs = all.filter((r) => r.writer === 'loop').map((r) => r.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i));
    assert.deepEqual(all.at(-1), { writer: 'this', seq: 0 });
  });
});
