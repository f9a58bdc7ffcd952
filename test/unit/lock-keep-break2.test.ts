// More attempts to break the lock kept through a chain of appends (src/core/lock-keep.ts) and the
// waiting room (src/core/lock-waiters.ts, lock-wait.ts): names the room cannot have, and the
// watch a waiter keeps on its ticket for its whole wait. Real child processes, real lock
// directories.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { appendJsonl } from '../../src/core/jsonl-append';
import { withLock } from '../../src/core/lock';
import { releaseKeptLocks } from '../../src/core/lock-keep';
import { startLockTimings, stopLockTimings, takeLockTimings } from '../../src/core/lock-timings';
import { waitingRoomOf } from '../../src/core/lock-waiters';
import { startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

function records(file: string): Array<{ writer: string; seq: number }> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { writer: string; seq: number });
}

/** The longest name a file in `dir` may have (NAME_MAX; 255 on the usual Linux file systems). */
function nameMax(dir: string): number {
  for (let n = 300; n > 0; n--) {
    try {
      fs.lstatSync(path.join(dir, 'x'.repeat(n)), { throwIfNoEntry: false });
      return n;
    } catch {
      // ENAMETOOLONG: shorter.
    }
  }
  return 0;
}

describe('a file whose name leaves no room for the waiting room', () => {
  // The lock is `X.lock` (5 bytes more), the room `X.lock-waiters` (13 more): from NAME_MAX - 12
  // to NAME_MAX - 5 a file has a lock but no room. Swept across that band and its edges.
  test('appends in a burst are written once each and acknowledged; the release check does not crash; no lock is left', async () => {
    const dir = await tempDir('longname');
    const max = nameMax(dir);
    assert.ok(max > 20);
    for (const len of [max - 14, max - 13, max - 12, max - 9, max - 6, max - 5]) {
      const file = path.join(dir, 'n'.repeat(len));
      const child = startFixture('append-writer', [file, 'w', '30', '10', '10000', '0']);
      const exit = await waitForExit(child);
      assert.equal(exit.code, 0, `name of ${len} bytes: ${exit.stderr}`);
      assert.deepEqual(
        records(file).map((r) => r.seq),
        Array.from({ length: 30 }, (_, i) => i),
        `name of ${len} bytes: every record once, in order`,
      );
      assert.equal(fs.existsSync(`${file}.lock`), false, `name of ${len} bytes: no lock left behind`);
    }
  });

  test('a waiter for such a file waits (on its timer) and gets the lock once it is released', async () => {
    const dir = await tempDir('longname');
    const max = nameMax(dir);
    for (const len of [max - 12, max - 5]) {
      const file = path.join(dir, 'w'.repeat(len));
      const holder = startFixture('lock-holder', [file, '10000', '300']);
      await waitForLine(holder, (l) => l === 'locked');
      let ran = false;
      await withLock(file, () => {
        ran = true;
      }, { maxWaitMs: 30_000 });
      assert.equal(ran, true);
      assert.equal((await waitForExit(holder)).code, 0);
      assert.equal(fs.existsSync(`${file}.lock`), false);
      assert.throws(() => fs.lstatSync(waitingRoomOf(file)), /ENAMETOOLONG/);
    }
  });
});

describe('a file whose name leaves no room for the takeover guard', () => {
  // The guard is `X.lock.takeover` (14 bytes more than X): from NAME_MAX - 13 to NAME_MAX - 5 a
  // file has a lock but the guard's usual name is too long. Swept across that band and its edge.
  test('a stale lock of such a file is taken over, and no guard is left behind', async () => {
    const dir = await tempDir('longguard');
    const max = nameMax(dir);
    for (const len of [max - 14, max - 13, max - 12, max - 9, max - 5]) {
      const file = path.join(dir, 'g'.repeat(len));
      const holder = startFixture('lock-holder', [file, '1000']);
      await waitForLine(holder, (l) => l === 'locked');
      holder.kill('SIGKILL');
      await waitForExit(holder);
      let ran = false;
      await withLock(file, () => {
        ran = true;
      }, { staleMs: 1000, maxWaitMs: 20_000 });
      assert.equal(ran, true, `name of ${len} bytes: the stale lock was taken over`);
      assert.deepEqual(fs.readdirSync(dir), [], `name of ${len} bytes: no lock, guard or room left behind`);
    }
  });
});

describe('the watch a waiter keeps on its ticket', () => {
  const watches = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;

  test('a ticket removed again and again during one wait: each new ticket is watched (the release wakes the waiter, not its timer), and no watch outlives the wait', async () => {
    const file = path.join(await tempDir('retake'), 'a.jsonl');
    const room = waitingRoomOf(file);
    const holder = startFixture('lock-holder', [file, '10000', '2000']);
    await waitForLine(holder, (l) => l === 'locked');
    const before = watches();
    let removals = 0;
    const remover = setInterval(() => {
      if (removals >= 5 || !fs.existsSync(room)) return;
      for (const name of fs.readdirSync(room)) {
        fs.unlinkSync(path.join(room, name));
        removals++;
      }
    }, 150);
    startLockTimings();
    try {
      // Timer sleeps of 4 to 8 s: the holder's release (after 2 s) comes long before any timer.
      await withLock(file, () => undefined, { minDelayMs: 8000, maxDelayMs: 8000, maxWaitMs: 60_000 });
      const [rec] = takeLockTimings();
      assert.equal(removals, 5, 'the ticket was removed five times while the waiter waited');
      assert.equal(rec?.wakesByTimer, 0, 'every sleep ended by a change: the last by the release touching the re-taken ticket');
      assert.ok((rec?.wakesByChange ?? 0) >= 6);
    } finally {
      clearInterval(remover);
      stopLockTimings();
    }
    assert.equal(watches(), before, 'every ticket watch closed (the replaced ones and the last)');
    assert.equal((await waitForExit(holder)).code, 0);
    assert.equal(fs.existsSync(room), false, 'no ticket left behind');
  });
});

describe('a waiter in a worker thread that is terminated while it waits', () => {
  test('leaves no ticket that takes the next release\'s wake-up from a live waiter', async () => {
    const file = path.join(await tempDir('worker-wait'), 'a.jsonl');
    const room = waitingRoomOf(file);
    const holder = startFixture('lock-holder', [file, '10000', '2000']);
    await waitForLine(holder, (l) => l === 'locked');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { withLock } = require(workerData.lock);
       parentPort.postMessage('waiting');
       withLock(workerData.file, () => undefined, { maxWaitMs: 60000 });`,
      { eval: true, workerData: { file, lock: path.join(__dirname, '../../src/core/lock.js') } },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    // Its wait has begun (a ticket, if it takes one, within a few ms): give it that time.
    for (let i = 0; i < 50 && !(fs.existsSync(room) && fs.readdirSync(room).length > 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    await worker.terminate();
    startLockTimings();
    try {
      // Timer sleeps of 4 to 8 s: only the holder's release (after 2 s) can end them sooner.
      await withLock(file, () => undefined, { minDelayMs: 8000, maxDelayMs: 8000, maxWaitMs: 60_000 });
      const [rec] = takeLockTimings();
      assert.equal(rec?.wakesByTimer, 0, 'the release woke the live waiter, not a ticket left by the terminated thread');
    } finally {
      stopLockTimings();
    }
    assert.equal((await waitForExit(holder)).code, 0);
    assert.equal(fs.existsSync(room), false, 'no ticket left behind');
  });
});

describe('the one release check per turn and releaseKeptLocks', () => {
  test('locks kept on several files, released by releaseKeptLocks and kept again in the same turn, are all released when the loop turns', async () => {
    const dir = await tempDir('keep-many');
    const files = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.jsonl`));
    const locked = (): boolean[] => files.map((f) => fs.existsSync(`${f}.lock`));
    // A burst on each file (no turn of the loop from here to the end of the second round).
    for (const f of files) {
      await appendJsonl(f, { writer: 'w', seq: 0 });
      await appendJsonl(f, { writer: 'w', seq: 1 });
    }
    // The release checks queued by the first round are still pending: releaseKeptLocks releases
    // the locks, and the next round keeps new ones without queueing checks of its own.
    releaseKeptLocks();
    assert.deepEqual(locked(), [false, false, false], 'releaseKeptLocks released every kept lock');
    for (const f of files) {
      await appendJsonl(f, { writer: 'w', seq: 2 });
      await appendJsonl(f, { writer: 'w', seq: 3 });
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(locked(), [false, false, false], 'the pending checks released the locks kept after releaseKeptLocks');
    for (const f of files) assert.deepEqual(records(f).map((r) => r.seq), [0, 1, 2, 3]);
    // And the next burst queues checks of its own.
    for (const f of files) {
      await appendJsonl(f, { writer: 'w', seq: 4 });
      await appendJsonl(f, { writer: 'w', seq: 5 });
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(locked(), [false, false, false]);
  });
});
