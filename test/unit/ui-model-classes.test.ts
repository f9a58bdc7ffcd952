// The UI's stateful classes without VS Code, on real stores in real temp folders with real child
// processes: SessionsModel (listing, coalescing, stale transitions, the live listing leaving the
// archive unread), TreeRefresher (real fs.watch, visibility), WindowSession (register, heartbeat,
// re-register when closed by someone else, close).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionStore, type ListOptions } from '../../src/core/session-store';
import type { Log } from '../../src/ui/log';
import { SessionsModel, type ModelSnapshot } from '../../src/ui/sessions-model';
import { TreeRefresher } from '../../src/ui/tree-refresh';
import { isRoutineChange, routineChangesOf } from '../../src/ui/watch-events';
import { WindowSession } from '../../src/ui/window-session';
import { cleanupTracked, killed, liveChild, tempSessionsDir } from '../helpers/processes';

afterEach(cleanupTracked);

/** A log that keeps its lines, so a test can read what the class reported. */
class KeptLog implements Log {
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  show(): void {}
}

async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A real store whose list() calls are counted (and their options kept), and the archive days it read. */
function countedStore(dir: string): { store: SessionStore; calls: ListOptions[]; daysRead: string[] } {
  const store = new SessionStore(dir);
  const calls: ListOptions[] = [];
  const daysRead: string[] = [];
  const list = store.list.bind(store);
  store.list = (options: ListOptions = {}) => {
    calls.push(options);
    return list(options);
  };
  const listArchivedOn = store.listArchivedOn.bind(store);
  store.listArchivedOn = (day: string) => {
    daysRead.push(day);
    return listArchivedOn(day);
  };
  return { store, calls, daysRead };
}

describe('SessionsModel', () => {
  test('lists live sessions; a folder that does not exist is not an error; takenAt comes from the clock', async () => {
    const dir = tempSessionsDir('model');
    const { store } = countedStore(dir);
    const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), new KeptLog(), () => 1234);
    await model.reload();
    assert.deepEqual([model.snapshot.main.exists, model.snapshot.main.error, model.snapshot.takenAt], [false, null, 1234]);
    const child = await liveChild();
    const rec = await store.create({ label: 'agent', pid: child.pid });
    await model.reload();
    assert.deepEqual(model.snapshot.main.sessions.map((s) => [s.record.id, s.state]), [[rec.id, 'active']]);
    assert.equal(model.snapshot.main.exists, true);
    model.dispose();
  });

  test('reloads that arrive while one runs share one more listing', async () => {
    const dir = tempSessionsDir('coalesce');
    const { store, calls } = countedStore(dir);
    const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), new KeptLog());
    await Promise.all([model.reload(), model.reload(), model.reload(), model.reload()]);
    assert.equal(calls.length, 2);
    model.dispose();
  });

  test('the live refresh reads no archived record: it lists the archive days by name; a day is read when asked for', async () => {
    const dir = tempSessionsDir('archive');
    const { store, calls, daysRead } = countedStore(dir);
    const child = await liveChild();
    const live = await store.create({ label: 'live', pid: child.pid });
    const gone = await store.create({ label: 'gone', pid: child.pid });
    await store.close(gone.id);
    const result = await store.archive(gone.id);
    const day = path.basename(path.dirname(result.moved[0]?.to ?? ''));
    const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), new KeptLog());
    await model.reload();
    assert.deepEqual(model.snapshot.main.sessions.map((s) => s.record.id), [live.id]);
    assert.deepEqual(model.snapshot.main.archiveDays, [day]);
    assert.equal(calls.every((c) => !c.includeArchived), true, 'list() without includeArchived');
    assert.deepEqual(daysRead, []);
    const archived = await model.archivedOn(dir, day);
    assert.deepEqual(archived.map((s) => [s.record.id, s.archivedOn]), [[gone.id, day]]);
    assert.deepEqual(daysRead, [day]);
    assert.deepEqual(await model.archivedOn('/not/shown', day), []);
    model.dispose();
  });

  test('a session seen alive that goes stale (its process killed) is reported once', async () => {
    const dir = tempSessionsDir('stale');
    const store = new SessionStore(dir);
    const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), new KeptLog());
    const seen: string[][] = [];
    model.onDidBecomeStale((s) => seen.push(s.map((i) => i.record.label)));
    const child = await liveChild();
    await store.create({ label: 'doomed', pid: child.pid });
    await model.reload();
    await killed(child);
    await model.reload();
    await model.reload();
    assert.deepEqual(seen, [['doomed']]);
    model.dispose();
  });

  test('an unreadable folder is reported in the snapshot and logged once, however often it is polled', async () => {
    const dir = tempSessionsDir('notadir');
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.writeFileSync(dir, 'a file, not a folder\n');
    const log = new KeptLog();
    const model = new SessionsModel(() => ({ main: { dir, store: new SessionStore(dir) }, extras: [] }), log);
    const seen: ModelSnapshot[] = [];
    model.onDidChange((s) => seen.push(s));
    for (let i = 0; i < 3; i++) await model.reload();
    assert.equal(seen.length, 3);
    assert.match(model.snapshot.main.error ?? '', /is not a directory/);
    assert.equal(model.snapshot.main.problem, 'unsafe');
    assert.equal(log.lines.filter((l) => l.startsWith('error Cannot read sessions folder')).length, 1);
    model.dispose();
  });
});

describe('TreeRefresher', () => {
  const timings = { debounceMs: 30, maxWaitMs: 1000, visibleIntervalMs: 60_000, hiddenIntervalMs: 60_000 };

  test('while visible a change in a watched folder reloads (debounced); while hidden it does not', async () => {
    const dir = path.dirname(tempSessionsDir('watch'));
    let reloads = 0;
    const refresher = new TreeRefresher(async () => void reloads++, new KeptLog(), timings);
    try {
      refresher.watch([dir]);
      refresher.setVisible(true);
      await until(() => reloads === 1, 'the reload on becoming visible');
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, `f${i}`), 'x');
      await until(() => reloads >= 2, 'a reload after the writes');
      refresher.setVisible(false);
      const before = reloads;
      fs.writeFileSync(path.join(dir, 'hidden'), 'x');
      // A negative check: nothing may come of the write (the debounce is 30 ms; wait much longer).
      await sleep(500);
      assert.equal(reloads, before, 'no reload from a file event while hidden');
    } finally {
      refresher.dispose();
    }
  });

  test('events that never pause (many sessions heartbeating) still reload within maxWaitMs, not only on the timer', async () => {
    const dir = path.dirname(tempSessionsDir('busy'));
    const reloadedAt: number[] = [];
    const refresher = new TreeRefresher(async () => void reloadedAt.push(Date.now()), new KeptLog(), { ...timings, debounceMs: 200, maxWaitMs: 500 });
    // A write every 40 ms: always inside the 200 ms debounce, so a plain debounce would never fire.
    let n = 0;
    const writer = setInterval(() => fs.writeFileSync(path.join(dir, `beat${n++ % 4}`), String(n)), 40);
    try {
      refresher.watch([dir]);
      refresher.setVisible(true);
      await until(() => reloadedAt.length >= 1, 'the reload on becoming visible');
      const start = Date.now();
      await until(() => reloadedAt.length >= 4, 'reloads while the events keep coming', 10_000);
      // Three reloads after the first, each at most maxWaitMs (+ scheduling slack) apart.
      assert.ok(Date.now() - start < 3 * 500 + 1500, `took ${Date.now() - start} ms`);
    } finally {
      clearInterval(writer);
      refresher.dispose();
    }
  });

  test('in a busy folder heartbeats are routine, but a new session and an archived one show within maxWaitMs', async () => {
    const dir = tempSessionsDir('routine');
    const store = new SessionStore(dir);
    const child = await liveChild();
    const beating = await Promise.all([0, 1, 2].map((i) => store.create({ label: `beating ${i}`, pid: child.pid })));
    const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), new KeptLog());
    await model.reload();
    const refresher = new TreeRefresher(() => model.reload(), new KeptLog(), { ...timings, debounceMs: 300, maxWaitMs: 600 }, routineChangesOf(model));
    // Heartbeats back to back: the folder never falls quiet for the 300 ms debounce.
    let stop = false;
    const beats = (async () => {
      for (let i = 0; !stop; i++) {
        await store.heartbeat(beating[i % beating.length]?.id ?? '');
        await sleep(20);
      }
    })();
    try {
      refresher.watch([dir]);
      refresher.setVisible(true);
      // Becoming visible reloads once; let that finish (reloads coalesce) before counting.
      await sleep(50);
      await model.reload();
      const reloadsBefore = model.snapshot.takenAt;
      // A negative check: heartbeats alone do not reload (the timer is 60 s here).
      await sleep(1500);
      assert.equal(model.snapshot.takenAt, reloadsBefore, 'no reload from heartbeats alone');
      const added = await store.create({ label: 'new one', pid: child.pid });
      const t0 = Date.now();
      await until(() => model.snapshot.main.sessions.some((s) => s.record.id === added.id), 'the new session listed', 5000);
      assert.ok(Date.now() - t0 < 3000, `the new session took ${Date.now() - t0} ms`);
      await store.close(added.id);
      await store.archive(added.id);
      await until(() => !model.snapshot.main.sessions.some((s) => s.record.id === added.id), 'the archived session gone', 5000);
    } finally {
      stop = true;
      await beats;
      refresher.dispose();
      model.dispose();
    }
  });

  test('a folder that appears later is watched from the next timer tick', async () => {
    const dir = tempSessionsDir('later');
    let reloads = 0;
    const refresher = new TreeRefresher(async () => void reloads++, new KeptLog(), { ...timings, visibleIntervalMs: 100 });
    try {
      refresher.watch([dir]);
      refresher.setVisible(true);
      fs.mkdirSync(dir, { recursive: true });
      await sleep(250);
      const before = reloads;
      fs.writeFileSync(path.join(dir, 'new'), 'x');
      await until(() => reloads > before, 'a reload after a write in the new folder');
    } finally {
      refresher.dispose();
    }
  });
});

describe('WindowSession', () => {
  const who = () => ({ label: 'my window', workspaceFolders: ['/w'], tool: 'vscode', pid: process.pid });

  test('registers, heartbeats on its interval, and closes its record on stop', async () => {
    const dir = tempSessionsDir('window');
    const store = new SessionStore(dir);
    let changes = 0;
    const session = new WindowSession(store, dir, 200, who, new KeptLog(), () => changes++);
    await session.start();
    const id = session.sessionId as string;
    assert.ok(id);
    assert.equal(changes, 1);
    const first = JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8')) as { heartbeatAt: string; pid: number; label: string };
    assert.deepEqual([first.pid, first.label], [process.pid, 'my window']);
    await until(() => (JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8')) as { heartbeatAt: string }).heartbeatAt > first.heartbeatAt, 'a heartbeat');
    await session.stop();
    const closed = JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8')) as { closedAt: string | null };
    assert.ok(closed.closedAt);
  });

  test('closed by someone else, it registers again at the next heartbeat and says so', async () => {
    const dir = tempSessionsDir('reregister');
    const store = new SessionStore(dir);
    const log = new KeptLog();
    const session = new WindowSession(store, dir, 60_000, who, log, () => undefined);
    await session.start();
    const old = session.sessionId as string;
    await new SessionStore(dir).close(old);
    await session.beat();
    assert.notEqual(session.sessionId, old);
    assert.ok(fs.existsSync(path.join(dir, `${session.sessionId}.json`)));
    assert.ok(log.lines.some((l) => l.startsWith(`warn Session ${old} was closed or removed by someone else`)), log.lines.join('\n'));
    await session.stop();
  });
});

describe('isRoutineChange', () => {
  test('temp files, locks, journals and rewrites of listed records are routine; new, gone and unknown names are not', () => {
    const dir = tempSessionsDir('names');
    fs.mkdirSync(dir, { recursive: true });
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    const known = new Set([id]);
    fs.writeFileSync(path.join(dir, `${id}.json`), '{}');
    assert.equal(isRoutineChange(dir, `.${id}.json.123-abcd.tmp`, known), true);
    assert.equal(isRoutineChange(dir, `${id}.json.lock`, known), true);
    assert.equal(isRoutineChange(dir, `${id}.jsonl`, known), true);
    assert.equal(isRoutineChange(dir, `${id}.json`, known), true, 'a heartbeat of a listed session');
    assert.equal(isRoutineChange(dir, `${id.toUpperCase()}.json`, known), false, 'no such file');
    assert.equal(isRoutineChange(dir, `${id}.json`, new Set()), false, 'a session the tree does not list yet');
    fs.rmSync(path.join(dir, `${id}.json`));
    assert.equal(isRoutineChange(dir, `${id}.json`, known), false, 'a record that went (archived)');
    assert.equal(isRoutineChange(dir, '2026-11-30', known), false, 'a new archive day');
    assert.equal(isRoutineChange(dir, null, known), false, 'an event without a name');
  });
});
