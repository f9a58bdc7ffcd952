// Attempts to break the lock kept through a chain of appends (src/core/lock-keep.ts) and the
// waiting room (src/core/lock-waiters.ts): waiters that hold no ticket, tickets that vanish, and
// tickets of waiters that are gone; what the sessions-folder watcher makes of the room. Real child
// processes, real lock directories, real signals.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { appendJsonl } from '../../src/core/jsonl-append';
import { withLock } from '../../src/core/lock';
import { startLockTimings, stopLockTimings, takeLockTimings } from '../../src/core/lock-timings';
import { waitingRoomOf } from '../../src/core/lock-waiters';
import { isRoutineChange } from '../../src/ui/watch-events';
import { startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function records(file: string): Array<{ writer: string; seq: number }> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { writer: string; seq: number });
}

/** Starts an append-loop child on `file` and resolves once it is appending (keeping the lock). */
async function startLoop(file: string, stopFile: string): Promise<ChildProcess> {
  const child = startFixture('append-loop', [file, 'loop', stopFile]);
  await waitForLine(child, (l) => l === 'appending');
  return child;
}

/** Stops an append-loop child and checks that its records are all there, once each, in order. */
async function stopLoop(child: ChildProcess, file: string, stopFile: string): Promise<void> {
  fs.writeFileSync(stopFile, '');
  const stopped = waitForLine(child, (l) => l.startsWith('stopped '));
  const count = Number((await stopped).slice('stopped '.length));
  const exit = await waitForExit(child);
  assert.equal(exit.code, 0, exit.stderr);
  assert.deepEqual(
    records(file)
      .filter((r) => r.writer === 'loop')
      .map((r) => r.seq),
    Array.from({ length: count }, (_, i) => i),
    'nothing of the looping writer lost, duplicated or reordered',
  );
  assert.equal(fs.existsSync(`${file}.lock`), false, 'no lock left behind');
}

/**
 * Takes the lock of `file` the way a writer in another language may (docs/format.md): mkdir,
 * retry every 20 ms on EEXIST, never join the waiting room. Returns how long it took, or null
 * when it did not get the lock within `maxMs`.
 */
async function rawMkdirLock(file: string, maxMs: number): Promise<number | null> {
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(`${file}.lock`);
      fs.appendFileSync(file, `${JSON.stringify({ writer: 'raw', seq: 0 })}\n`);
      fs.rmdirSync(`${file}.lock`);
      return Date.now() - started;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (Date.now() - started > maxMs) return null;
    await sleep(20);
  }
}

const isRoot = process.getuid?.() === 0;

describe('a waiter without a ticket and a process appending without a pause', () => {
  // Each way a waiter can be without a ticket; the kept lock must still be let go of regularly.
  const cases: Array<{ name: string; skip?: boolean; setUp(file: string): void; take(file: string): Promise<number | null> }> = [
    {
      name: 'a file where the waiting room should be',
      setUp: (file) => fs.writeFileSync(waitingRoomOf(file), 'not a room'),
      take: async (file) => {
        const started = Date.now();
        await withLock(file, () => fs.appendFileSync(file, `${JSON.stringify({ writer: 'raw', seq: 0 })}\n`), { maxWaitMs: 10_000 });
        return Date.now() - started;
      },
    },
    {
      name: 'a read-only waiting room',
      skip: isRoot, // root writes into a read-only directory anyway
      setUp: (file) => fs.mkdirSync(waitingRoomOf(file), { mode: 0o500 }),
      take: async (file) => {
        const started = Date.now();
        await withLock(file, () => fs.appendFileSync(file, `${JSON.stringify({ writer: 'raw', seq: 0 })}\n`), { maxWaitMs: 10_000 });
        return Date.now() - started;
      },
    },
    {
      name: 'a writer that does not know the waiting room (mkdir and retry, as docs/format.md allows)',
      setUp: () => undefined,
      take: (file) => rawMkdirLock(file, 10_000),
    },
  ];
  for (const c of cases) {
    test(c.name, { skip: c.skip === true }, async () => {
      const dir = await tempDir('keep-break');
      const file = path.join(dir, 'a.jsonl');
      const stopFile = path.join(dir, 'stop');
      c.setUp(file);
      const loop = await startLoop(file, stopFile);
      let tookMs: number | null;
      try {
        tookMs = await c.take(file).catch((err: unknown) => {
          assert.fail(`the waiter did not get the lock: ${(err as Error).message}`);
        });
      } finally {
        await stopLoop(loop, file, stopFile);
      }
      assert.notEqual(tookMs, null, 'the waiter got the lock while the other process went on appending');
      assert.equal(records(file).filter((r) => r.writer === 'raw').length, 1);
    });
  }
});

describe('tickets that vanish or outlive their waiter', () => {
  test('a waiter whose ticket is removed (by hand, or as abandoned) sleeps between attempts instead of spinning', async () => {
    const file = path.join(await tempDir('room-break'), 'a.jsonl');
    const room = waitingRoomOf(file);
    const holder = startFixture('lock-holder', [file, '10000', '1500']);
    await waitForLine(holder, (l) => l === 'locked');
    const remove = setTimeout(() => {
      for (const name of fs.readdirSync(room)) fs.unlinkSync(path.join(room, name));
    }, 300);
    startLockTimings();
    try {
      await withLock(file, () => undefined, { maxWaitMs: 30_000 });
      const [rec] = takeLockTimings();
      // About 1.2 s of waiting after the removal, attempts at most 50 ms apart: a few dozen.
      const looks = (rec?.peeks ?? 0) + (rec?.attempts ?? 0);
      assert.ok(looks < 300, `${looks} looks at the lock in 1.5 s: the waiter spun`);
    } finally {
      clearTimeout(remove);
      stopLockTimings();
    }
    await waitForExit(holder);
  });

  test('a ticket dated far in the future (planted, or a clock far off) is removed by a release, not kept for ever', async () => {
    const file = path.join(await tempDir('room-break'), 'a.jsonl');
    const room = waitingRoomOf(file);
    fs.mkdirSync(room);
    // A live pid (this process), so only the date can tell that nobody waits with it.
    const planted = path.join(room, `${String(Date.now() + 365 * 86_400_000).padStart(15, '0')}-${process.pid}-0badc0de`);
    fs.writeFileSync(planted, '');
    await withLock(file, () => undefined);
    assert.equal(fs.existsSync(planted), false);
    assert.equal(fs.existsSync(room), false, 'the empty room goes with it');
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    test(`the ticket of a waiter ended by ${signal} does not take the next waiter's wake-up`, async () => {
      const file = path.join(await tempDir('room-break'), 'a.jsonl');
      const room = waitingRoomOf(file);
      const holder = startFixture('lock-holder', [file, '10000', '2000']);
      await waitForLine(holder, (l) => l === 'locked');
      // A second lock-holder waits for the lock (with a ticket) and is ended while it waits.
      const doomed = startFixture('lock-holder', [file, '10000', '0']);
      const deadline = Date.now() + 10_000;
      while (!(fs.existsSync(room) && fs.readdirSync(room).length === 1) && Date.now() < deadline) await sleep(10);
      const deadTicket = fs.readdirSync(room)[0] ?? '';
      assert.ok(deadTicket?.includes(`-${doomed.pid}-`), 'the doomed waiter has a ticket');
      doomed.kill(signal);
      await waitForExit(doomed);
      assert.ok(fs.existsSync(path.join(room, deadTicket)), 'its ticket outlives it');
      startLockTimings();
      try {
        // First timer wake-up at 10-20 s: only the release's touch wakes it within the test.
        await withLock(file, () => undefined, { minDelayMs: 20_000, maxDelayMs: 20_000, maxWaitMs: 60_000 });
        const [rec] = takeLockTimings();
        assert.equal(rec?.wakesByTimer, 0, 'woken by the release, not by its timer');
      } finally {
        stopLockTimings();
      }
      await waitForExit(holder);
      assert.equal(fs.existsSync(path.join(room, deadTicket)), false, 'the dead waiter\'s ticket is removed');
    });
  }
});

describe('the sessions-folder watcher and the waiting room', () => {
  test('every event a contended append causes in a sessions folder (lock, room, ticket, journal) is routine', async () => {
    const dir = await tempDir('room-watch');
    const journal = path.join(dir, '01890a5d-ac96-774b-bcce-b302099a8057.jsonl');
    const seen: Array<string | null> = [];
    const watcher = fs.watch(dir, { persistent: false }, (_event, filename) => seen.push(filename));
    try {
      const holder = startFixture('lock-holder', [journal, '10000', '300']);
      await waitForLine(holder, (l) => l === 'locked');
      await appendJsonl(journal, { n: 1 }); // waits in the room, then appends
      await waitForExit(holder);
      await sleep(200); // let the last events arrive
    } finally {
      watcher.close();
    }
    assert.ok(seen.some((name) => name?.endsWith('.lock-waiters')), `the room showed up in the events: ${seen.join(', ')}`);
    const notRoutine = seen.filter((name) => !isRoutineChange(dir, name, new Set()));
    assert.deepEqual(notRoutine, [], 'no event of the lock or its room reloads the tree');
  });
});

describe('a kept lock and a thread or process that ends or blocks', () => {
  test('a worker thread terminated right after an append (same turn) leaves no lock behind', async () => {
    const file = path.join(await tempDir('keep-worker'), 'a.jsonl');
    const worker = new Worker(path.join(__dirname, '..', 'fixtures', 'append-block-worker.js'), { workerData: { file } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(fs.existsSync(`${file}.lock`), false, 'a terminated thread runs nothing: a lock it kept would stay until stale');
    assert.deepEqual(records(file), [{ writer: 'worker', seq: 0 }]);
  });


  test('process.exit right after startSession (same turn): the exit-time close is not blocked by the kept journal lock', async () => {
    const dir = await tempDir('keep-exit');
    const child = startFixture('start-session-child', [dir, 'exit-at-once']);
    const line = await waitForLine(child, (l) => l.startsWith('{'));
    const { id } = JSON.parse(line) as { id: string };
    const exit = await waitForExit(child);
    assert.equal(exit.code, 3, exit.stderr);
    assert.doesNotMatch(exit.stderr, /ECLOSEATEXIT|closing session/, 'the close at exit succeeded');
    const events = fs
      .readFileSync(path.join(dir, `${id}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { event: string }).event);
    assert.deepEqual(events, ['created', 'closed']);
    const left = fs.readdirSync(dir).filter((name) => name.includes('.lock'));
    assert.deepEqual(left, [], 'no lock or waiting room left behind');
  });
});

describe('a waiting room that is not a directory of tickets', () => {
  test('a symlink where the room should be: a release deletes nothing where it points, a waiter writes nothing there', async () => {
    const dir = await tempDir('room-link');
    const file = path.join(dir, 'a.jsonl');
    const elsewhere = await tempDir('room-link-target');
    // Names that look like tickets and names that do not: none of them is the lock's to remove.
    const stamp = String(Date.now() - 3_600_000).padStart(15, '0');
    const names = ['thesis.txt', `${stamp}-1-deadbeef`];
    for (const name of names) fs.writeFileSync(path.join(elsewhere, name), 'kept');
    fs.symlinkSync(elsewhere, waitingRoomOf(file));
    await withLock(file, () => undefined); // a release with nobody waiting
    const holder = startFixture('lock-holder', [file, '10000', '300']);
    await waitForLine(holder, (l) => l === 'locked');
    await withLock(file, () => undefined, { maxWaitMs: 30_000 }); // a wait, then releases
    await waitForExit(holder);
    assert.deepEqual(fs.readdirSync(elsewhere).sort(), names.sort(), 'nothing removed or added where the link points');
    assert.ok(fs.lstatSync(waitingRoomOf(file)).isSymbolicLink(), 'the link itself left alone');
  });

  test('a release touches no file through a symlink planted as a ticket', async () => {
    const file = path.join(await tempDir('room-link'), 'a.jsonl');
    const room = waitingRoomOf(file);
    fs.mkdirSync(room);
    const target = path.join(await tempDir('room-link-target'), 'precious');
    fs.writeFileSync(target, 'kept');
    const old = new Date(Math.floor(Date.now() / 1000) * 1000 - 86_400_000); // whole seconds: exact in any mtime
    fs.utimesSync(target, old, old);
    fs.symlinkSync(target, path.join(room, `${String(Date.now()).padStart(15, '0')}-${process.pid}-0badc0de`));
    await withLock(file, () => undefined);
    assert.equal(fs.statSync(target).mtime.getTime(), old.getTime(), 'the file the planted link points to was not touched');
    assert.equal(fs.readFileSync(target, 'utf8'), 'kept');
  });

  test('files in the room that are not tickets are left alone', async () => {
    const file = path.join(await tempDir('room-junk'), 'a.jsonl');
    const room = waitingRoomOf(file);
    fs.mkdirSync(room);
    fs.writeFileSync(path.join(room, 'README'), 'someone put this here');
    await withLock(file, () => undefined);
    assert.equal(fs.readFileSync(path.join(room, 'README'), 'utf8'), 'someone put this here');
  });
});
