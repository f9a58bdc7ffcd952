// The lock's opt-in per-phase timings (src/core/lock-timings.ts): nothing is recorded unless
// asked for, and a wait for another process's lock shows up in the phases where it was spent.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { withLock } from '../../src/core/lock';
import { startLockTimings, stopLockTimings, takeLockTimings } from '../../src/core/lock-timings';
import { startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

describe('lock phase timings', () => {
  afterEach(() => stopLockTimings());

  test('off by default: withLock records nothing', async () => {
    const file = path.join(await tempDir('timings'), 'a.jsonl');
    await withLock(file, () => undefined);
    assert.deepEqual(takeLockTimings(), []);
  });

  test('a lock with nobody else: one attempt, no sleep, times in order', async () => {
    const file = path.join(await tempDir('timings'), 'a.jsonl');
    startLockTimings();
    await withLock(file, () => new Promise((r) => setTimeout(r, 20)));
    const [rec, ...rest] = takeLockTimings();
    assert.equal(rest.length, 0);
    assert.ok(rec);
    assert.equal(rec.attempts, 1);
    assert.equal(rec.peeks, 0);
    assert.equal(rec.sleepMs, 0);
    assert.ok(rec.calledAt <= rec.acquiredAt && rec.acquiredAt <= rec.releasedAt);
    assert.ok(rec.holdMs >= 15, `hold ${rec.holdMs} ms covers fn's 20 ms`);
    assert.ok(rec.releaseMs >= 0 && rec.resolveMs >= 0);
    assert.deepEqual(takeLockTimings(), [], 'take empties the record');
  });

  test('a wait for another process: retries peek and sleep, and the lock is had only after the holder let go', async () => {
    const file = path.join(await tempDir('timings'), 'a.jsonl');
    const holder = startFixture('lock-holder', [file, '10000', '1500']);
    await waitForLine(holder, (l) => l === 'locked');
    startLockTimings();
    await withLock(file, () => undefined);
    const released = Date.now();
    await waitForExit(holder);
    const [rec] = takeLockTimings();
    assert.ok(rec);
    // Every attempt looks first: the busy lock is seen by a look (lstat), never by a mkdir.
    assert.ok(rec.peeks >= 1, `${rec.peeks} looks: at least the first one, which found it busy`);
    assert.ok(rec.attempts >= 1, `${rec.attempts} mkdir attempts: at least the winning one`);
    assert.ok(rec.sleepMs > 100, `asleep ${rec.sleepMs} ms while the holder held it`);
    assert.ok(rec.wakesByChange + rec.wakesByTimer >= 1);
    assert.ok(rec.acquiredAt - rec.calledAt > 100, 'the wait is in acquiredAt - calledAt');
    assert.ok(rec.releasedAt <= released + 1);
  });
});
