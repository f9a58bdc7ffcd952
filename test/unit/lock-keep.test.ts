// Keeping a lock through a chain of appends (src/core/lock-keep.ts) and the waiting room that
// hands a released lock to the longest waiter (src/core/lock-waiters.ts), with real child
// processes and real lock directories.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl } from '../../src/core/jsonl-append';
import { withLock } from '../../src/core/lock';
import { startLockTimings, stopLockTimings, takeLockTimings } from '../../src/core/lock-timings';
import { joinWaitingRoom, leaveWaitingRoom, TicketWatch, waitingRoomOf } from '../../src/core/lock-waiters';
import { startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Counts the async resources of `type` (Immediate, FSEVENTWRAP...) created while `fn` runs. */
async function countCreated(type: string, fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const hook = createHook({
    init: (_asyncId, t) => {
      if (t === type) n++;
    },
  }).enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return n;
}

function lines(file: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('keeping a lock through a chain of appends', () => {
  test('a lone append releases at once; a burst keeps the lock until the event loop turns', async () => {
    const file = path.join(await tempDir('keep'), 'a.jsonl');
    const lockDir = `${file}.lock`;
    await appendJsonl(file, { n: 0 });
    assert.equal(fs.existsSync(lockDir), false, 'a lone append holds the lock no longer than before');
    // A burst: each append begins right after the one before ended (within a millisecond, unless
    // this process is preempted in between; then that one append releases, as a lone one does).
    let keptAfter = 0;
    for (let n = 1; n <= 20; n++) {
      await appendJsonl(file, { n });
      if (fs.existsSync(lockDir)) keptAfter++;
    }
    assert.ok(keptAfter >= 1, 'the lock was kept between appends of the burst');
    await turn();
    assert.equal(fs.existsSync(lockDir), false, 'released at the first turn of the event loop');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await appendJsonl(file, { n: 21 });
    assert.equal(fs.existsSync(lockDir), false, 'after a pause, an append is lone again');
    assert.deepEqual(lines(file), Array.from({ length: 22 }, (_, n) => ({ n })));
  });

  test('another operation of this process on the same file takes the kept lock instead of waiting for it', async () => {
    const file = path.join(await tempDir('keep'), 'a.jsonl');
    for (let n = 0; n < 100 && !fs.existsSync(`${file}.lock`); n++) await appendJsonl(file, { n });
    assert.ok(fs.existsSync(`${file}.lock`), 'kept after a burst');
    // A withLock that does not keep: it must not wait for the kept lock (that would be waiting for itself).
    startLockTimings();
    try {
      await withLock(file, () => undefined, { maxWaitMs: 0 });
      const [rec] = takeLockTimings();
      assert.equal(rec?.attempts, 0, 'no attempt: the kept lock was taken over');
    } finally {
      stopLockTimings();
    }
    assert.equal(fs.existsSync(`${file}.lock`), false, 'released by the operation that does not keep');
  });

  test('a process appending without a pause lets a waiting process in, and goes on after it', async () => {
    const file = path.join(await tempDir('keep'), 'a.jsonl');
    fs.writeFileSync(file, '');
    // The other process appends one record while this one appends in a loop that never waits for
    // anything but the lock; without the yield at the end of a quantum it would never get in.
    const other = startFixture('append-writer', [file, 'other', '1', '10', '10000', String(Date.now() + 300)]);
    const giveUpAt = Date.now() + 60_000;
    let seq = 0;
    let seen = false;
    while (!seen && Date.now() < giveUpAt) {
      await appendJsonl(file, { writer: 'this', seq: seq++ }, { lock: { staleMs: 10_000 } });
      if (seq % 50 === 0) seen = fs.readFileSync(file, 'utf8').includes('"writer":"other"');
    }
    await appendJsonl(file, { writer: 'this', seq: seq++ });
    await waitForExit(other);
    assert.ok(seen, 'the other process appended while this one went on appending');
    const records = lines(file);
    const at = records.findIndex((r) => r.writer === 'other');
    assert.equal(records.filter((r) => r.writer === 'other').length, 1);
    assert.ok(at < records.length - 1, 'records of this process follow the other one');
    assert.deepEqual(
      records.filter((r) => r.writer === 'this').map((r) => r.seq),
      Array.from({ length: seq }, (_, i) => i),
      'nothing of this process lost, duplicated or reordered',
    );
  });

  test('a chain of appends queues one release check per turn of the event loop, not one per append', async () => {
    const file = path.join(await tempDir('keep'), 'a.jsonl');
    let kept = 0;
    const immediates = await countCreated('Immediate', async () => {
      // 200 appends without a turn of the loop: that is 2 or 3 quanta of 10 ms on a slow machine.
      for (let n = 0; n < 200; n++) {
        await appendJsonl(file, { n });
        if (fs.existsSync(`${file}.lock`)) kept++;
      }
    });
    assert.ok(kept >= 100, `the lock was kept through the chain (${kept} of 200)`);
    // One check queued by the first kept append; the end of a quantum releases without one.
    assert.ok(immediates <= 3, `${immediates} immediates for 200 appends`);
    await turn();
    assert.equal(fs.existsSync(`${file}.lock`), false, 'the one check released the lock when the loop turned');
    // And the next chain queues its own check.
    await appendJsonl(file, { n: 200 });
    await appendJsonl(file, { n: 201 });
    await turn();
    assert.equal(fs.existsSync(`${file}.lock`), false);
    assert.equal(lines(file).length, 202);
  });

  test('a process that exits right after an append leaves no lock behind', async () => {
    const file = path.join(await tempDir('keep'), 'a.jsonl');
    const child = startFixture('append-writer', [file, 'w', '3', '10', '10000', '0', 'exit']);
    await waitForExit(child);
    assert.equal(lines(file).length, 3);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });
});

describe('the waiting room', () => {
  test('a waiter waits with a ticket, is woken by the release (not by its timer), and the room goes when empty', async () => {
    const file = path.join(await tempDir('room'), 'a.jsonl');
    const room = waitingRoomOf(file);
    const holder = startFixture('lock-holder', [file, '10000', '1000']);
    await waitForLine(holder, (l) => l === 'locked');
    let ticketsWhileWaiting: string[] = [];
    const peek = setTimeout(() => (ticketsWhileWaiting = fs.readdirSync(room)), 300);
    startLockTimings();
    try {
      // First timer wake-up at 10-20 s: only the release's touch can wake it within the test.
      await withLock(file, () => undefined, { minDelayMs: 20_000, maxDelayMs: 20_000, maxWaitMs: 60_000 });
      const [rec] = takeLockTimings();
      assert.equal(rec?.wakesByTimer, 0);
      assert.ok((rec?.wakesByChange ?? 0) >= 1, 'woken by the touch of its ticket');
    } finally {
      clearTimeout(peek);
      stopLockTimings();
    }
    await waitForExit(holder);
    assert.equal(ticketsWhileWaiting.length, 1, `one ticket while waiting: ${ticketsWhileWaiting.join(', ')}`);
    assert.match(ticketsWhileWaiting[0] ?? '', /^\d{15}-\d+-[0-9a-f]{8}$/);
    assert.equal(fs.existsSync(room), false, 'the last release removes the empty room');
  });

  test('a waiter watches its ticket once for its whole wait, however often its timer wakes it', async () => {
    const file = path.join(await tempDir('room'), 'a.jsonl');
    const holder = startFixture('lock-holder', [file, '10000', '400']);
    await waitForLine(holder, (l) => l === 'locked');
    const before = process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    startLockTimings();
    let rec: ReturnType<typeof takeLockTimings>[number] | undefined;
    const watches = await countCreated('FSEVENTWRAP', async () => {
      // Timer wake-ups every few ms while the holder keeps the lock for 400 ms.
      await withLock(file, () => undefined, { minDelayMs: 2, maxDelayMs: 8, maxWaitMs: 30_000 });
      [rec] = takeLockTimings();
    }).finally(stopLockTimings);
    await waitForExit(holder);
    assert.ok((rec?.wakesByTimer ?? 0) >= 10, `woken often by its timer (${rec?.wakesByTimer})`);
    assert.equal(watches, 1, 'one watch: on its ticket, for the whole wait');
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length, before, 'closed at the end of the wait');
  });

  test('a touch of the ticket between two sleeps is remembered: the next sleep ends at once', async () => {
    const file = path.join(await tempDir('room'), 'a.jsonl');
    const ticket = joinWaitingRoom(file);
    assert.ok(ticket);
    const watch = new TicketWatch(ticket);
    try {
      assert.equal(watch.watching, true);
      // Touched while the waiter is not asleep (it is trying the lock): the event arrives meanwhile.
      fs.utimesSync(ticket.path, new Date(), new Date());
      await new Promise((resolve) => setTimeout(resolve, 100));
      const t0 = Date.now();
      assert.equal(await watch.sleep(10_000), 'change');
      assert.ok(Date.now() - t0 < 1000);
      // Once only: the sleep after it runs to its timer.
      assert.equal(await watch.sleep(50), 'timer');
      // A touch during a sleep ends it.
      setTimeout(() => fs.utimesSync(ticket.path, new Date(), new Date()), 50);
      assert.equal(await watch.sleep(10_000), 'change');
    } finally {
      watch.close();
      leaveWaitingRoom(ticket);
    }
  });

  test('a ticket watch that fails is no watch any more, so the waiter stops relying on it', async () => {
    const file = path.join(await tempDir('room'), 'a.jsonl');
    const ticket = joinWaitingRoom(file);
    assert.ok(ticket);
    const watch = new TicketWatch(ticket);
    try {
      assert.equal(watch.watching, true);
      // libuv reports watch errors on some systems only (not for files on Linux): the error event
      // is raised on the real watcher here, as the system would.
      const sleeping = watch.sleep(10_000);
      (watch as unknown as { watcher: import('node:fs').FSWatcher }).watcher.emit('error', new Error('watch lost'));
      assert.equal(await sleeping, 'change', 'the sleep in progress ends, so the waiter looks again');
      assert.equal(watch.watching, false);
    } finally {
      watch.close();
      leaveWaitingRoom(ticket);
    }
  });

  test('tickets of waiters that died long ago are removed by a release', async () => {
    const file = path.join(await tempDir('room'), 'a.jsonl');
    const room = waitingRoomOf(file);
    fs.mkdirSync(room);
    const abandoned = path.join(room, `${String(Date.now() - 3_600_000).padStart(15, '0')}-1-deadbeef`);
    fs.writeFileSync(abandoned, '');
    await withLock(file, () => undefined);
    assert.equal(fs.existsSync(abandoned), false);
    assert.equal(fs.existsSync(room), false);
  });

  test('a waiting room that cannot be joined leaves the waiter to its timer, and the wait still ends', async () => {
    const file = path.join(await tempDir('room'), 'a.jsonl');
    // Something that is not a directory where the room would be.
    fs.writeFileSync(waitingRoomOf(file), 'not a room');
    const holder = startFixture('lock-holder', [file, '10000', '300']);
    await waitForLine(holder, (l) => l === 'locked');
    await withLock(file, () => undefined, { maxWaitMs: 30_000 });
    await waitForExit(holder);
    assert.equal(fs.readFileSync(waitingRoomOf(file), 'utf8'), 'not a room', 'left alone');
  });
});
