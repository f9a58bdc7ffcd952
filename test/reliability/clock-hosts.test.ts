// Time and place: clocks that jump, hosts whose clocks are skewed, a real second host name (a UTS
// namespace), and an event loop blocked past the lock's stale time. What must hold: no live
// session is judged stale or archived, and a compromised lock is a clear error, not a crash.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { SessionStore } from '../../src/core/session-store';
import { withLock } from '../../src/core/lock';
import { startChild, exitWithin, fixture, canRun, runChildJson, sleep, type Child } from './lib/proc';
import { inTempDir, tempDir } from './lib/tmp';
import { recordFigures } from './lib/figures';

const op = fixture('reliability-store-op');
const HOUR = 3600_000;
const isRoot = process.getuid?.() === 0;
const canUnshareUts = isRoot && canRun(['unshare', '--uts', 'true']);

function archived(dir: string): string[] {
  const a = join(dir, 'archive');
  if (!existsSync(a)) return [];
  return readdirSync(a).flatMap((d) => readdirSync(join(a, d)));
}

describe('clock jumps and skew (injected clocks)', () => {
  test('a live local session is never judged stale or archived when the clock jumps within the expiry time', async () => {
    await inTempDir('clock-jump', async (tmp) => {
      const dir = join(tmp, 'sessions');
      const real = new SessionStore(dir, { cleanupOnCreate: false, heartbeatIntervalMs: 1000 });
      const seen: Record<string, string> = {};
      const jumps = [['back 1 h', -HOUR], ['back 30 d', -720 * HOUR], ['ahead 10 min', HOUR / 6], ['ahead 23 h', 23 * HOUR]] as const;
      for (const [name, skew] of jumps) {
        const s = await real.create({ label: name }); // stands for this process: alive
        const jumped = new SessionStore(dir, { now: () => Date.now() + skew, cleanupOnCreate: false });
        const info = (await jumped.list()).find((x) => x.record.id === s.id);
        assert.ok(info, `${name}: listed`);
        assert.notEqual(info.state, 'stale', `${name}: a live process judged stale after the jump (${info.reason})`);
        assert.ok(info.heartbeatAgeMs >= 0, `${name}: negative heartbeat age`);
        seen[name] = info.state;
        assert.deepEqual(await jumped.cleanup(), [], `${name}: cleanup under the jumped clock archived a live session`);
        // A heartbeat written under the jumped clock, seen by a store with the right clock.
        await jumped.heartbeat(s.id);
        const after = (await real.list()).find((x) => x.record.id === s.id);
        if (Math.abs(skew) < 24 * HOUR) assert.notEqual(after?.state, 'stale', `${name}: heartbeat from the jumped clock made it stale (${after?.reason})`);
        await real.heartbeat(s.id);
      }
      assert.deepEqual(archived(dir), []);
      recordFigures({ test: 'clock-jumps', injects: 'store clocks 30 days back, 1 h back, 10 min and 23 h ahead', figures: { ...seen, archivedWrongly: 0 } });
    });
  });

  test('a heartbeat written 30 days in the past, or a clock 25 h ahead, leaves a provably live session unresponsive; on another host it expires, and its next heartbeat brings it back', async () => {
    await inTempDir('clock-expire', async (tmp) => {
      const dir = join(tmp, 'sessions');
      for (const [how, writer, judge] of [
        ['heartbeat from a clock 30 d behind', -720 * HOUR, 0],
        ['cleanup under a clock 25 h ahead', 0, 25 * HOUR],
      ] as const) {
        for (const checkable of [true, false]) {
          // A reader under another host name cannot check the pid: expiry decides there.
          const hostname = checkable ? undefined : 'elsewhere.example';
          const real = new SessionStore(dir, { cleanupOnCreate: false, ...(hostname ? { hostname } : {}) });
          const s = await real.create({ label: how });
          await new SessionStore(dir, { now: () => Date.now() + writer, cleanupOnCreate: false, ...(hostname ? { hostname } : {}) }).heartbeat(s.id);
          const judgeStore = new SessionStore(dir, { now: () => Date.now() + judge, cleanupOnCreate: false });
          const judged = (await judgeStore.list()).find((x) => x.record.id === s.id);
          assert.equal(judged?.state, checkable ? 'unresponsive' : 'stale', `${how}, checkable ${checkable}: ${judged?.reason}`);
          const cleaned = await judgeStore.cleanup({ staleGraceMs: 0 });
          assert.equal(cleaned.some((c) => c.id === s.id), !checkable, `${how}, checkable ${checkable}: archived only where the process cannot be checked`);
          await real.heartbeat(s.id);
          const info = (await real.list()).find((x) => x.record.id === s.id);
          assert.equal(info?.state, 'active', `${how}: the heartbeat re-registered the session`);
          assert.equal(info?.archivedOn, null);
        }
      }
    });
  });

  test('heartbeats from another host with a skewed clock: 1 h ahead or 10 min behind read as unresponsive, never stale within the expiry', async () => {
    await inTempDir('clock-skew', async (tmp) => {
      const dir = join(tmp, 'sessions');
      const ahead = new SessionStore(dir, { hostname: 'fast-clock.example', now: () => Date.now() + HOUR, cleanupOnCreate: false, heartbeatIntervalMs: 1000 });
      const behind = new SessionStore(dir, { hostname: 'slow-clock.example', now: () => Date.now() - 10 * 60_000, cleanupOnCreate: false, heartbeatIntervalMs: 1000 });
      const a = await ahead.create({ label: 'from the future' });
      const b = await behind.create({ label: 'from the past' });
      const here = new SessionStore(dir, { cleanupOnCreate: false });
      const list = await here.list();
      const stateOf = (id: string): string | undefined => list.find((x) => x.record.id === id)?.state;
      // Further ahead than its unresponsive threshold (3 s) but within its expiry.
      assert.equal(stateOf(a.id), 'unresponsive');
      assert.match(list.find((x) => x.record.id === a.id)?.reason ?? '', /^heartbeat (59 min|1 h) in the future \(the writer's clock is ahead\)/);
      assert.ok(list.find((x) => x.record.id === a.id)?.heartbeatAgeMs === 0, 'a future heartbeat counts as age 0, not negative');
      assert.equal(stateOf(b.id), 'unresponsive');
      assert.deepEqual(await here.cleanup(), []);
      recordFigures({ test: 'clock-skew', injects: 'records from hosts 1 h ahead and 10 min behind', figures: { ahead: String(stateOf(a.id)), behind: String(stateOf(b.id)), archived: 0 } });
    });
  });
});

describe('a real second host (UTS namespace)', { skip: !canUnshareUts && 'needs root and unshare --uts' }, () => {
  const other = 'sk-other-host';
  const inOtherHost = ['unshare', '--uts', 'sh', '-c', `hostname ${other} && exec "$@"`, 'sh'];

  test('sessions of another host are judged by heartbeat only: its dead pid does not make it stale here', async () => {
    const tmp = tempDir('hosts');
    let child: Child | undefined;
    try {
      const dir = join(tmp.dir, 'sessions');
      child = startChild(op, ['create-stay', JSON.stringify({ dir, intervalMs: 1000 })], { wrapper: inOtherHost });
      const line = await child.waitForLine((l) => l.startsWith('{'), 30_000);
      const remote = (JSON.parse(line) as { record: { id: string; hostname: string; pid: number } }).record;
      assert.equal(remote.hostname, other, 'the record carries the other host name');
      assert.notEqual(hostname(), other);
      // Same host, same kind of child, for contrast: its death is seen at once via the pid.
      const local = await runChildJson<{ record: { id: string } }>(op, ['create', JSON.stringify({ dir, intervalMs: 1000 })]);
      child.proc.kill('SIGKILL');
      await exitWithin(child, 10_000);
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      const now = await store.list();
      const r = now.find((x) => x.record.id === remote.id);
      const l = now.find((x) => x.record.id === local.result.record.id);
      assert.equal(l?.state, 'stale', `local dead pid: ${l?.reason}`);
      assert.equal(r?.state, 'active', `remote session with a recent heartbeat stays active although pid ${remote.pid} is dead here: ${r?.reason}`);
      const later = await new SessionStore(dir, { now: () => Date.now() + 60_000, cleanupOnCreate: false }).list();
      assert.equal(later.find((x) => x.record.id === remote.id)?.state, 'unresponsive', 'no heartbeat past unresponsiveAfterMs: unresponsive, not stale');
      const expired = await new SessionStore(dir, { now: () => Date.now() + 25 * HOUR, cleanupOnCreate: false }).list();
      assert.equal(expired.find((x) => x.record.id === remote.id)?.state, 'stale', 'past the expiry: stale');
      assert.deepEqual(await store.cleanup(), [], 'the dead local session stays visible for the stale grace period');
      const cleaned = await store.cleanup({ staleGraceMs: 0 });
      assert.deepEqual(cleaned.map((c) => c.id), [local.result.record.id], 'cleanup archives the dead local session only');
      recordFigures({ test: 'second-host', injects: 'unshare --uts with hostname sk-other-host; its process killed', figures: { remoteState: String(r?.state), localState: String(l?.state), remoteArchived: false } });
    } finally {
      if (child) {
        child.proc.kill('SIGKILL');
        await exitWithin(child, 10_000).catch(() => undefined);
      }
      tmp.dispose();
    }
  });

  test('SESSION_KEEPER_HOSTNAME overrides the host name', async () => {
    await inTempDir('hostname-env', async (tmp) => {
      const dir = join(tmp, 'sessions');
      const { result } = await runChildJson<{ record: { hostname: string } }>(op, ['create', JSON.stringify({ dir })], {
        env: { ...process.env, SESSION_KEEPER_HOSTNAME: 'configured.example' },
      });
      assert.equal(result.record.hostname, 'configured.example');
    });
  });
});

describe('an event loop blocked past the lock stale time', () => {
  test('the lock is taken over, the blocked holder gets LockCompromisedError, and it does not crash', async () => {
    await inTempDir('lock-block', async (tmp) => {
      const target = join(tmp, 'target');
      const child = startChild(op, ['lock-block', JSON.stringify({ dir: tmp, staleMs: 2000, blockMs: 6000 })]);
      await child.waitForLine((l) => l === 'holding', 30_000);
      let tookOver = false;
      // Stale after 2 s: we get the lock while the holder is still blocked, and keep it until it wakes.
      await withLock(
        target,
        async () => {
          tookOver = true;
          await sleep(5000);
        },
        { staleMs: 2000, maxWaitMs: 15_000 },
      );
      const { code, signal } = await exitWithin(child, 30_000);
      const results = child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { ok: boolean; name?: string; survived?: boolean; error?: string });
      assert.ok(tookOver);
      assert.equal(signal, null, `the blocked holder was killed by ${signal}: ${child.stderr()}`);
      assert.equal(code, 0, child.stderr());
      assert.equal(results[0]?.name, 'LockCompromisedError', JSON.stringify(results[0]));
      assert.match(results[0]?.error ?? '', /compromised/);
      assert.equal(results[1]?.survived, true);
      recordFigures({ test: 'lock-blocked-loop', injects: 'Atomics.wait 6 s inside withLock with staleMs 2 s; another process takes over', figures: { holderError: String(results[0]?.name), holderCrashed: false } });
    });
  });

  test('a session whose process blocks its event loop is never judged stale or archived', async () => {
    await inTempDir('session-block', async (tmp) => {
      const dir = join(tmp, 'sessions');
      const child = startChild(op, ['create-block', JSON.stringify({ dir, intervalMs: 200, blockMs: 4000 })]);
      const first = JSON.parse(await child.waitForLine((l) => l.startsWith('{'), 30_000)) as { record: { id: string } };
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      await sleep(1500); // 7 intervals without a heartbeat
      const info = (await store.list()).find((x) => x.record.id === first.record.id);
      assert.equal(info?.state, 'unresponsive', info?.reason);
      assert.deepEqual(await store.cleanup(), []);
      await exitWithin(child, 30_000);
      const last = JSON.parse(child.lines.filter((l) => l.startsWith('{')).at(-1) ?? '{}') as { ok: boolean; error?: string };
      assert.equal(last.ok, true, `heartbeat after the block: ${last.error}`);
      assert.deepEqual(archived(dir), [], 'nothing was archived');
    });
  });
});
