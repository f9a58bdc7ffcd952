// The tree's signature (session-tree-model.ts treeSignature) decides whether a poll re-renders the
// view, and a re-render closes an open hover. It must stay the same across polls of unchanged
// sessions, wherever a poll falls in their heartbeat cycles, and change with what is shown.
// Real stores on a real folder; the clocks of writer and reader are set, so each poll is exact.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { SessionStore } from '../../src/core/session-store';
import type { Log } from '../../src/ui/log';
import { SessionsModel } from '../../src/ui/sessions-model';
import { describeSession, HEARTBEAT_SLACK_MAX_MS, shownHeartbeatAge } from '../../src/ui/session-text';
import { treeSignature } from '../../src/ui/session-tree-model';
import { cleanupTracked, tempSessionsDir } from '../helpers/processes';
import { sessionInfo } from '../helpers/session-info';

afterEach(cleanupTracked);

const quiet: Log = { info: () => undefined, warn: () => undefined, error: (m) => assert.fail(m), show: () => undefined };
/** A whole second, a little in the past: records written "at T" are never in the future. */
const T = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const INTERVAL = 10_000;

/** A folder with this window and two agents (heartbeat every 10 s, all written at T) and one archive day. */
async function folder(): Promise<{ dir: string; writer: SessionStore; writerClock: { t: number }; selfId: string; ids: string[] }> {
  const dir = tempSessionsDir('signature');
  const writerClock = { t: T - 1000 };
  const writer = new SessionStore(dir, { now: () => writerClock.t, cleanupOnCreate: false, heartbeatIntervalMs: INTERVAL });
  const done = await writer.create({ label: 'done earlier' });
  await writer.close(done.id);
  await writer.archive(done.id);
  writerClock.t = T;
  const self = await writer.create({ label: 'this window', workspaceFolders: ['/work/repo'] });
  const ids = [(await writer.create({ label: 'agent 1', workspaceFolders: ['/work/repo'] })).id, (await writer.create({ label: 'agent 2' })).id];
  return { dir, writer, writerClock, selfId: self.id, ids: [self.id, ...ids] };
}

/** A view's reader: polls at the given time and returns the tree's signature. */
function viewer(dir: string, selfId: string): (at: number) => Promise<string> {
  const clock = { t: 0 };
  const store = new SessionStore(dir, { now: () => clock.t, cleanupOnCreate: false });
  const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), quiet, () => clock.t);
  return async (at) => {
    clock.t = at;
    await model.reload();
    return treeSignature({ snapshot: model.snapshot, selfId, localHost: os.hostname() });
  };
}

describe('tree signature across polls', () => {
  test('polls anywhere in the heartbeat cycle, including just after a beat was due and before it was written: one signature', async () => {
    const { dir, selfId } = await folder();
    const poll = viewer(dir, selfId);
    const first = await poll(T + 1);
    // Every 250 ms from the beat to 1.5 intervals after it (a beat due at T + 10 s may be written a moment later).
    for (let at = T + 250; at < T + INTERVAL * 1.5; at += 250) assert.equal(await poll(at), first, `poll ${at - T} ms after the beats`);
    for (const at of [T + INTERVAL - 1, T + INTERVAL, T + INTERVAL + 1, T + INTERVAL + 30]) assert.equal(await poll(at), first, `poll ${at - T} ms after the beats`);
  });

  test('after every session beat again, a later poll: the same signature', async () => {
    const { dir, writer, writerClock, selfId, ids } = await folder();
    const poll = viewer(dir, selfId);
    const before = await poll(T + INTERVAL + 20);
    writerClock.t = T + INTERVAL + 40; // the beats land a little late
    for (const id of ids) await writer.heartbeat(id);
    assert.equal(await poll(T + INTERVAL + 3_000), before);
    assert.equal(await poll(T + 2 * INTERVAL + 500), before);
  });

  test('what is shown changes, the signature changes: a new session, a closed one, a late beat, a new archive day', async () => {
    const { dir, writer, writerClock, selfId, ids } = await folder();
    const poll = viewer(dir, selfId);
    const seen = new Set([await poll(T + 2000)]);
    const differs = async (what: string, at: number): Promise<void> => {
      const sig = await poll(at);
      assert.ok(!seen.has(sig), `${what}: the signature changes`);
      seen.add(sig);
    };
    writerClock.t = T + 2500;
    const added = await writer.create({ label: 'new agent' });
    await differs('a new session', T + 3000);
    await writer.close(ids[2] as string);
    await differs('a session closed', T + 3500);
    // Nobody beats: at 1.5 intervals the beat is late and the ages show (20 s ago).
    await differs('beats late', T + 22_000);
    writerClock.t = T + 86_400_000;
    await writer.close(added.id);
    await writer.archive(added.id);
    await differs('a session archived on a new day', T + 22_500);
  });
});

describe('the age a row shows', () => {
  test('a beat up to half an interval (at most HEARTBEAT_SLACK_MAX_MS) overdue reads as on time; later, the real age', () => {
    for (const interval of [1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 300_000, 3_600_000]) {
      const slack = Math.min(interval / 2, HEARTBEAT_SLACK_MAX_MS);
      const row = (age: number): string => describeSession(sessionInfo({ heartbeatIntervalMs: interval }, { heartbeatAgeMs: age }), { self: false, localHost: 'build-01' }).description;
      const onTime = row(interval - 1);
      for (const late of [0, 1, slack / 4, slack / 2, slack - 1]) assert.equal(row(interval + late), onTime, `interval ${interval}, ${late} ms overdue`);
      for (const age of [interval + slack, interval + slack + 1, 2 * interval + slack]) {
        assert.equal(shownHeartbeatAge(sessionInfo({ heartbeatIntervalMs: interval }, { heartbeatAgeMs: age })), age, `interval ${interval}, age ${age}`);
      }
      for (const age of [0, 1, interval / 2, interval - 1]) assert.equal(shownHeartbeatAge(sessionInfo({ heartbeatIntervalMs: interval }, { heartbeatAgeMs: age })), age);
    }
    assert.equal(describeSession(sessionInfo({}, { heartbeatAgeMs: 16_000 }), { self: false, localHost: 'build-01' }).description, '10 s ago · pid 4242');
    assert.ok(Number.isNaN(shownHeartbeatAge(sessionInfo({}, { heartbeatAgeMs: Number.NaN }))));
  });
});
