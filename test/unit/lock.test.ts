import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  withLock,
  LockTimeoutError,
  LockCompromisedError,
  resolveLockOptions,
  lockAgeMs,
} from '../../src/core/lock';
import { stallUntilTakenOver, startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => {
  uncaught.push(err);
};
process.on('uncaughtException', onUncaught);
after(() => {
  process.off('uncaughtException', onUncaught);
  assert.deepEqual(uncaught, [], 'no lock problem may surface as an uncaught exception');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('withLock', () => {
  test('runs fn under the X.lock directory, returns its value, and the target need not exist', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'missing', '..', 'data.jsonl');
    const lockDir = path.join(dir, 'data.jsonl.lock');
    const value = await withLock(target, async () => {
      assert.ok(fs.statSync(lockDir).isDirectory(), 'lock directory exists while held');
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(fs.existsSync(lockDir), false, 'lock directory removed after');
    assert.equal(fs.existsSync(path.join(dir, 'data.jsonl')), false, 'target not created');
  });

  test('releases the lock when fn throws and rethrows the same error', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    const boom = new Error('boom');
    await assert.rejects(
      withLock(target, () => {
        throw boom;
      }),
      (err) => err === boom,
    );
    await assert.rejects(withLock(target, async () => Promise.reject(boom)), (err) => err === boom);
    assert.equal(fs.existsSync(`${target}.lock`), false);
    assert.equal(await withLock(target, () => 'again'), 'again');
  });

  test('serialises concurrent operations in one process (never two holders at once)', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withLock(target, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(1);
          order.push(i);
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
    assert.deepEqual(order, [...Array(20).keys()], 'waiters in one process are served in FIFO order');
  });

  test('different targets do not block each other', async () => {
    const dir = await tempDir('lock');
    const result = await withLock(path.join(dir, 'a'), () =>
      withLock(path.join(dir, 'b'), () => 'nested on another file', { maxWaitMs: 0 }),
    );
    assert.equal(result, 'nested on another file');
  });

  test('times out with LockTimeoutError naming the file and the holder lock age (other process)', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'held.jsonl');
    const holder = startFixture('lock-holder', [target, '10000']);
    try {
      await waitForLine(holder, (l) => l === 'locked');
      await assert.rejects(withLock(target, () => 'never', { maxWaitMs: 150 }), (err: unknown) => {
        assert.ok(err instanceof LockTimeoutError);
        assert.equal(err.file, target);
        assert.equal(typeof err.lockAgeMs, 'number');
        assert.ok((err.lockAgeMs ?? -1) >= 0);
        assert.ok(err.waitedMs >= 150);
        assert.match(err.message, new RegExp(`lock of ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        assert.match(err.message, /another process/);
        assert.match(err.message, /last refreshed \d+ ms ago/);
        return true;
      });
      assert.ok(fs.existsSync(`${target}.lock`), 'the holder keeps its lock');
    } finally {
      holder.kill('SIGKILL');
      await waitForExit(holder);
    }
  });

  test('times out with LockTimeoutError when another operation in this process holds it', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    let letGo!: () => void;
    const holding = withLock(target, () => new Promise<void>((resolve) => (letGo = resolve)));
    await sleep(5);
    await assert.rejects(withLock(target, () => 'never', { maxWaitMs: 30 }), (err: unknown) => {
      assert.ok(err instanceof LockTimeoutError);
      assert.match(err.message, /another operation in this process/);
      return true;
    });
    letGo();
    await holding;
    // The timed-out waiter left the queue: the lock is free again.
    assert.equal(await withLock(target, () => 'free', { maxWaitMs: 0 }), 'free');
  });

  test('a removed lock directory gives LockCompromisedError, never a crash', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    await assert.rejects(
      withLock(target, async () => {
        await fsp.rmdir(`${target}.lock`);
        return 'done';
      }),
      (err: unknown) => {
        assert.ok(err instanceof LockCompromisedError);
        assert.equal(err.file, target);
        assert.match(err.message, /removed/);
        return true;
      },
    );
  });

  test('the refresher notices a removed lock directory while fn runs: signal aborts, then LockCompromisedError', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    const fnError = new Error('stopped because the lock was lost');
    await assert.rejects(
      withLock(
        target,
        async (signal) => {
          await fsp.rmdir(`${target}.lock`);
          // With staleMs 2000 the holder refreshes every 1000 ms and then finds its directory gone.
          // (proper-lockfile's refresh timer is unref'd: keep the loop alive with a guard timer.)
          await new Promise<void>((resolve, reject) => {
            const guard = setTimeout(() => reject(new Error('lock loss not noticed within 5 s')), 5000);
            signal.addEventListener('abort', () => (clearTimeout(guard), resolve()), { once: true });
          });
          assert.ok(signal.reason instanceof LockCompromisedError);
          throw fnError;
        },
        { staleMs: 2000 },
      ),
      (err: unknown) => {
        assert.ok(err instanceof LockCompromisedError);
        assert.equal(err.cause, fnError, "fn's own error is kept as the cause");
        return true;
      },
    );
    // Nothing left behind, and the path is usable again.
    assert.equal(await withLock(target, () => 'ok', { maxWaitMs: 0 }), 'ok');
  });

  test('a holder stalled past the stale threshold loses the lock to another process and does not delete its lock', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    const takers: ChildProcess[] = [];
    try {
      await assert.rejects(
        withLock(target, () => stallUntilTakenOver(target, takers, 200), { staleMs: 2000 }),
        (err: unknown) => {
          assert.ok(err instanceof LockCompromisedError);
          assert.match(err.message, /taken over/);
          return true;
        },
      );
      assert.ok(fs.existsSync(`${target}.lock`), "the new holder's lock directory is left alone");
    } finally {
      for (const t of takers) t.kill('SIGKILL');
    }
  });

  test('a SIGKILLed holder is taken over after the stale threshold', async () => {
    const dir = await tempDir('lock');
    const target = path.join(dir, 'f');
    const holder = startFixture('lock-holder', [target, '2000']);
    await waitForLine(holder, (l) => l === 'locked');
    holder.kill('SIGKILL');
    await waitForExit(holder);
    assert.ok(fs.existsSync(`${target}.lock`), 'the killed holder left its lock directory behind');
    const others = [0, 1, 2].map(() => startFixture('lock-holder', [target, '2000', '10']));
    const exits = await Promise.all(others.map((c) => waitForExit(c)));
    assert.deepEqual(
      exits.map((e) => e.code),
      [0, 0, 0],
    );
    assert.equal(await withLock(target, () => 'mine', { staleMs: 2000 }), 'mine');
    assert.equal(fs.existsSync(`${target}.lock`), false);
  });

  test('options: defaults, proper-lockfile clamping and validation', async () => {
    assert.deepEqual(resolveLockOptions(), {
      staleMs: 10_000,
      updateMs: 5000,
      minDelayMs: 1,
      maxDelayMs: 50,
      maxWaitMs: 15_000,
    });
    const tiny = resolveLockOptions({ staleMs: 10, updateMs: 1 });
    assert.equal(tiny.staleMs, 2000);
    assert.equal(tiny.updateMs, 1000);
    assert.equal(resolveLockOptions({ staleMs: 4000, updateMs: 3000 }).updateMs, 2000);
    assert.throws(() => resolveLockOptions({ maxWaitMs: -1 }), RangeError);
    assert.throws(() => resolveLockOptions({ staleMs: Number.NaN }), RangeError);
    const dir = await tempDir('lock');
    await assert.rejects(withLock(path.join(dir, 'f'), () => 1, { maxDelayMs: -5 }), RangeError);
    assert.equal(await lockAgeMs(path.join(dir, 'f')), null);
  });

  test('a lock in a missing directory fails with the file system error, not a timeout', async () => {
    const dir = await tempDir('lock');
    await assert.rejects(withLock(path.join(dir, 'no', 'such', 'f'), () => 1), { code: 'ENOENT' });
  });
});
