import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDuration, heartbeatAge, judgeLiveness, needsProcessCheck } from '../../src/core/liveness';
import type { SessionRecord } from '../../src/core/session-record';
import { SessionStore } from '../../src/core/session-store';
import { cleanupTracked, killed, liveChild, tempDir } from '../helpers/processes';
import { LIVENESS_HOST as HOST, LIVENESS_NOW as NOW, livenessRecord } from '../helpers/records';


/** A record judged at NOW on HOST, last heartbeat 5 s before NOW. */
const rec = (overrides: Partial<SessionRecord> = {}): SessionRecord => livenessRecord(5000, overrides);

const alive = { alive: true, startedAt: Date.parse('2025-03-01T08:00:00.400Z') };
const ago = (ms: number): string => new Date(NOW - ms).toISOString();

describe('judgeLiveness (pure)', () => {
  test('closedAt set: closed, whatever else holds', () => {
    const l = judgeLiveness(rec({ closedAt: ago(120_000), heartbeatAt: ago(48 * 3600_000) }), { now: NOW, hostname: HOST, process: { alive: false, startedAt: null } });
    assert.equal(l.state, 'closed');
    assert.equal(l.reason, 'closed 2 min ago');
  });

  test('fresh heartbeat and live process: active', () => {
    const l = judgeLiveness(rec(), { now: NOW, hostname: HOST, process: alive });
    assert.equal(l.state, 'active');
    assert.equal(l.heartbeatAgeMs, 5000);
    assert.equal(l.reason, 'heartbeat 5 s ago');
  });

  test('process gone on this host: stale even with a fresh heartbeat', () => {
    const l = judgeLiveness(rec(), { now: NOW, hostname: HOST, process: { alive: false, startedAt: null } });
    assert.equal(l.state, 'stale');
    assert.equal(l.reason, 'process 4242 is gone');
  });

  test('pid reused (start time differs): stale', () => {
    const l = judgeLiveness(rec(), { now: NOW, hostname: HOST, process: { alive: true, startedAt: Date.parse('2025-03-01T11:00:00Z') } });
    assert.equal(l.state, 'stale');
    assert.equal(l.reason, 'pid 4242 now belongs to another process');
  });

  test('start times within the tolerance are the same process', () => {
    const l = judgeLiveness(rec(), { now: NOW, hostname: HOST, process: { alive: true, startedAt: Date.parse('2025-03-01T08:00:01.900Z') } });
    assert.equal(l.state, 'active');
  });

  test('unknown start time (either side) never claims reuse', () => {
    assert.equal(judgeLiveness(rec(), { now: NOW, hostname: HOST, process: { alive: true, startedAt: null } }).state, 'active');
    assert.equal(judgeLiveness(rec({ processStartedAt: null }), { now: NOW, hostname: HOST, process: { alive: true, startedAt: 1 } }).state, 'active');
  });

  test('no heartbeat for 3 intervals, process alive: unresponsive (a sleeping laptop is not a dead one)', () => {
    const l = judgeLiveness(rec({ heartbeatAt: ago(120_000) }), { now: NOW, hostname: HOST, process: alive });
    assert.equal(l.state, 'unresponsive');
    assert.equal(l.reason, 'no heartbeat for 2 min; process alive');
    // Exactly 3 intervals is still active; the threshold follows the record's own interval.
    assert.equal(judgeLiveness(rec({ heartbeatAt: ago(30_000) }), { now: NOW, hostname: HOST, process: alive }).state, 'active');
    assert.equal(judgeLiveness(rec({ heartbeatAt: ago(30_000), heartbeatIntervalMs: 5000 }), { now: NOW, hostname: HOST, process: alive }).state, 'unresponsive');
  });

  test('the record\u2019s own unresponsiveAfterMs and expireAfterMs decide, not the reader', () => {
    const at = (extra: Partial<SessionRecord>): string => judgeLiveness(rec({ heartbeatAt: ago(60_000), ...extra }), { now: NOW, hostname: HOST, process: alive }).state;
    assert.equal(at({}), 'unresponsive', 'default: 3 x 10 s');
    assert.equal(at({ unresponsiveAfterMs: 120_000 }), 'active');
    assert.equal(at({ unresponsiveAfterMs: null }), 'unresponsive', 'null means the default');
    // Expiry decides where the process cannot be checked; a live, same process keeps it unresponsive.
    assert.equal(at({ expireAfterMs: 50_000 }), 'unresponsive');
    const l = judgeLiveness(rec({ heartbeatAt: ago(60_000), expireAfterMs: 50_000 }), { now: NOW, hostname: HOST });
    assert.equal(l.state, 'stale');
    assert.equal(l.reason, 'no heartbeat for 1 min (expires after 50 s)');
  });

  test('thresholds sweep: state flips exactly past each record\u2019s own thresholds', () => {
    for (const interval of [100, 2000, 10_000, 60_000]) {
      for (const unresponsiveAfterMs of [undefined, 150, 5000, 90_000]) {
        // Readers clamp: never unresponsive within one heartbeat interval.
        const limit = Math.max(unresponsiveAfterMs ?? 3 * interval, interval);
        const state = (age: number): string =>
          judgeLiveness(rec({ heartbeatIntervalMs: interval, unresponsiveAfterMs, heartbeatAt: ago(age) }), { now: NOW, hostname: HOST, process: alive }).state;
        assert.equal(state(limit), 'active', `interval ${interval}, unresponsiveAfterMs ${unresponsiveAfterMs}: at the limit`);
        assert.equal(state(limit + 1), 'unresponsive', `interval ${interval}, unresponsiveAfterMs ${unresponsiveAfterMs}: past it`);
      }
    }
  });

  test('no heartbeat for more than 24 h: stale unless the same process is provably alive (a sleeping laptop)', () => {
    const old = rec({ heartbeatAt: ago(25 * 3600_000) });
    const l = judgeLiveness(old, { now: NOW, hostname: HOST, process: alive });
    assert.equal(l.state, 'unresponsive');
    assert.equal(l.reason, 'no heartbeat for 25 h; process alive');
    // Not checked, or alive but its identity unknown (no start time): expiry decides.
    for (const process of [undefined, { alive: true, startedAt: null }]) {
      const s = judgeLiveness(old, { now: NOW, hostname: HOST, process });
      assert.equal(s.state, 'stale');
      assert.match(s.reason, /^no heartbeat for 25 h/);
    }
  });

  test('another host: never pid-checked; fresh is active, old is unresponsive, very old is stale', () => {
    const other = (ms: number): SessionRecord => rec({ hostname: 'other-host', heartbeatAt: ago(ms) });
    const dead = { alive: false, startedAt: null };
    assert.equal(needsProcessCheck(other(0), { now: NOW, hostname: HOST }), false);
    assert.equal(judgeLiveness(other(1000), { now: NOW, hostname: HOST, process: dead }).state, 'active');
    const l = judgeLiveness(other(600_000), { now: NOW, hostname: HOST, process: dead });
    assert.equal(l.state, 'unresponsive');
    assert.equal(l.reason, 'no heartbeat for 10 min; on host other-host, process not checked');
    assert.equal(judgeLiveness(other(30 * 3600_000), { now: NOW, hostname: HOST, process: dead }).state, 'stale');
  });

  test('host names compare case-insensitively', () => {
    assert.equal(needsProcessCheck(rec({ hostname: 'THIS-HOST' }), { now: NOW, hostname: HOST }), true);
  });

  test('heartbeat from the future: small skew is age 0 and active; more is unresponsive; past the expiry stale', () => {
    const ahead = (ms: number, extra: Partial<SessionRecord> = {}): SessionRecord => rec({ heartbeatAt: new Date(NOW + ms).toISOString(), ...extra });
    assert.equal(heartbeatAge(ahead(3 * 3600_000), NOW), 0);
    const small = judgeLiveness(ahead(20_000), { now: NOW, hostname: 'other' });
    assert.deepEqual([small.state, small.heartbeatAgeMs], ['active', 0]);
    const mid = judgeLiveness(ahead(3 * 3600_000), { now: NOW, hostname: 'other' });
    assert.equal(mid.state, 'unresponsive');
    assert.match(mid.reason, /^heartbeat 3 h in the future/);
    const far = judgeLiveness(ahead(365 * 24 * 3600_000), { now: NOW, hostname: 'other' });
    assert.equal(far.state, 'stale');
    assert.match(far.reason, /^heartbeat 365 d in the future: the writer's clock is wrong/);
    // A live, same process on this host is at worst unresponsive.
    assert.equal(judgeLiveness(ahead(365 * 24 * 3600_000), { now: NOW, hostname: HOST, process: alive }).state, 'unresponsive');
    // Sweep: the boundaries are the record's own thresholds.
    for (const [unresponsiveAfterMs, expireAfterMs] of [[30_000, 60_000], [5000, 3600_000], [120_000, 120_000]] as const) {
      const st = (ms: number): string => judgeLiveness(ahead(ms, { heartbeatIntervalMs: 1000, unresponsiveAfterMs, expireAfterMs }), { now: NOW, hostname: 'other' }).state;
      assert.deepEqual([st(unresponsiveAfterMs), st(unresponsiveAfterMs + 1), st(expireAfterMs), st(expireAfterMs + 1)], [
        'active',
        unresponsiveAfterMs === expireAfterMs ? 'stale' : 'unresponsive',
        unresponsiveAfterMs === expireAfterMs ? 'active' : 'unresponsive',
        'stale',
      ]);
    }
  });

  test('durations read well', () => {
    assert.deepEqual([0, 45_000, 120_000, 3 * 3600_000, 72 * 3600_000].map(formatDuration), ['0 s', '45 s', '2 min', '3 h', '3 d']);
  });
});

/** Real processes, real files: what list() says about them. */
describe('liveness of real sessions', () => {
  const tmp = (): string => tempDir('liveness');
  afterEach(cleanupTracked);

  test('a session of a process that died is stale; reason names the pid', async () => {
    const dir = tmp();
    const child = await liveChild();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'child', pid: child.pid as number });
    assert.equal((await store.list())[0]?.state, 'active');
    await killed(child);
    const [info] = await store.list();
    assert.equal(info?.record.id, r.id);
    assert.equal(info?.state, 'stale');
    assert.equal(info?.reason, `process ${child.pid} is gone`);
  });

  test('a record with the right pid but another start time (pid reused) is stale', { skip: process.platform === 'win32' }, async () => {
    const dir = tmp();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'me' });
    assert.notEqual(r.processStartedAt, null);
    // What a previous owner of this pid would have recorded (a record of before start ticks): a start a day earlier.
    const file = path.join(dir, `${r.id}.json`);
    const earlier = new Date(Date.parse(r.processStartedAt as string) - 86_400_000).toISOString();
    const { processStartTicks: _ticks, ...withoutTicks } = r;
    fs.writeFileSync(file, JSON.stringify({ ...withoutTicks, processStartedAt: earlier }));
    const [info] = await store.list();
    assert.equal(info?.state, 'stale');
    assert.equal(info?.reason, `pid ${process.pid} now belongs to another process`);
  });

  test('a session of another host is never pid-checked: a dead pid there is not stale', async () => {
    const dir = tmp();
    const child = await liveChild();
    const there = new SessionStore(dir, { hostname: 'far-away', cleanupOnCreate: false });
    await there.create({ label: 'remote', pid: child.pid as number });
    await killed(child);
    const here = new SessionStore(dir, { hostname: 'right-here', cleanupOnCreate: false });
    assert.equal((await here.list())[0]?.state, 'active');
    const later = new SessionStore(dir, { hostname: 'right-here', now: () => Date.now() + 5 * 60_000 });
    const [info] = await later.list();
    assert.equal(info?.state, 'unresponsive');
    assert.match(info?.reason ?? '', /on host far-away, process not checked/);
    assert.deepEqual(await later.cleanup(), [], 'unresponsive sessions are never archived');
    // The same record judged on its own host: the process is gone.
    assert.equal((await there.list())[0]?.state, 'stale');
  });

  test('SESSION_KEEPER_HOSTNAME simulates a second host', async () => {
    const dir = tmp();
    const saved = process.env.SESSION_KEEPER_HOSTNAME;
    try {
      process.env.SESSION_KEEPER_HOSTNAME = 'simulated-host';
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      assert.equal(store.hostname, 'simulated-host');
      assert.equal((await store.create({ label: 'x' })).hostname, 'simulated-host');
    } finally {
      if (saved === undefined) delete process.env.SESSION_KEEPER_HOSTNAME;
      else process.env.SESSION_KEEPER_HOSTNAME = saved;
    }
  });

  test('a live process that stopped heartbeating is unresponsive, even after 25 h (a sleeping laptop is not a dead one)', async () => {
    const dir = tmp();
    await new SessionStore(dir, { cleanupOnCreate: false }).create({ label: 'quiet' });
    const at = (ms: number): SessionStore => new SessionStore(dir, { now: () => Date.now() + ms, cleanupOnCreate: false });
    assert.equal((await at(0).list())[0]?.state, 'active');
    const [u] = await at(90_000).list();
    assert.equal(u?.state, 'unresponsive');
    assert.match(u?.reason ?? '', /no heartbeat for 1 min; process alive/);
    const [late] = await at(25 * 3600_000).list();
    assert.deepEqual([late?.state, late?.reason], ['unresponsive', 'no heartbeat for 25 h; process alive']);
  });

  test('a heartbeat written slightly in the future is active; one an hour ahead is unresponsive, naming the skew', async () => {
    const dir = tmp();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'skewed' });
    const file = path.join(dir, `${r.id}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...r, heartbeatAt: new Date(Date.now() + 10_000).toISOString() }));
    const [info] = await store.list();
    assert.equal(info?.state, 'active');
    assert.equal(info?.heartbeatAgeMs, 0);
    fs.writeFileSync(file, JSON.stringify({ ...r, heartbeatAt: new Date(Date.now() + 3600_000).toISOString() }));
    const [ahead] = await store.list();
    assert.equal(ahead?.state, 'unresponsive');
    assert.match(ahead?.reason ?? '', /^heartbeat (59 min|1 h) in the future; process alive$/);
  });
});
