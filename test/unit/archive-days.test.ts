// The archive by day: listArchiveDays() names the day folders without reading records, and
// listArchivedOn(day) reads one day (cached while the folder is unchanged). Real files throughout.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasErrorCode } from '../../src/core/errors';
import { SessionStore, type SessionProblem } from '../../src/core/session-store';
import { cleanupTracked, tempSessionsDir } from '../helpers/processes';

afterEach(cleanupTracked);

const DAY_MS = 86_400_000;
/** 2026-03-10T12:00:00Z: noon, so a few hours either way stay on the same UTC day. */
const BASE = Date.UTC(2026, 2, 10, 12);

/** Archives `count` closed sessions of this process on each of the given days (offsets from BASE in days). */
async function archiveOn(dir: string, days: number[], count: number): Promise<Map<string, string[]>> {
  const byDay = new Map<string, string[]>();
  for (const offset of days) {
    const at = BASE + offset * DAY_MS;
    let tick = 0;
    // Each session a millisecond after the last, so "newest first" has one answer.
    const s = new SessionStore(dir, { now: () => at + tick, cleanupOnCreate: false });
    for (let i = 0; i < count; i++, tick++) {
      const r = await s.create({ label: `day ${offset} #${i}` });
      await s.close(r.id);
      const result = await s.archive(r.id);
      byDay.set(result.archivedOn, [...(byDay.get(result.archivedOn) ?? []), r.id]);
    }
  }
  return byDay;
}

describe('archive days', () => {
  test('listArchiveDays: none without a sessions folder or an archive; day folders newest first, other names ignored', async () => {
    const dir = tempSessionsDir('days');
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    assert.deepEqual(await store.listArchiveDays(), []);
    fs.mkdirSync(dir, { mode: 0o700 });
    assert.deepEqual(await store.listArchiveDays(), []);
    await archiveOn(dir, [0, -40, -1], 1);
    const archive = path.join(dir, 'archive');
    fs.mkdirSync(path.join(archive, 'not-a-day'));
    fs.writeFileSync(path.join(archive, '2026-03-11'), 'a file, not a folder');
    assert.deepEqual(await store.listArchiveDays(), ['2026-03-10', '2026-03-09', '2026-01-29']);
  });

  test('listArchivedOn: the sessions of that day only, newest first, archivedOn set; problems of that day', async () => {
    const dir = tempSessionsDir('day');
    const byDay = await archiveOn(dir, [0, -1], 3);
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const bad = path.join(dir, 'archive', '2026-03-10', 'not-a-session.json');
    fs.writeFileSync(bad, '{}');
    const today = await store.listArchivedOn('2026-03-10');
    assert.deepEqual(
      today.sessions.map((s) => s.record.id),
      [...(byDay.get('2026-03-10') ?? [])].reverse(),
    );
    assert.ok(today.sessions.every((s) => s.archivedOn === '2026-03-10' && s.state === 'closed'));
    assert.deepEqual(today.problems.map((p: SessionProblem) => [p.file, p.kind]), [[bad, 'bad-name']]);
    const yesterday = await store.listArchivedOn('2026-03-09');
    assert.equal(yesterday.sessions.length, 3);
    assert.deepEqual(yesterday.problems, []);
    assert.deepEqual(await store.listArchivedOn('2025-01-01'), { sessions: [], problems: [] });
  });

  test('listArchivedOn refuses a name that is not YYYY-MM-DD (no path escapes)', async () => {
    const store = new SessionStore(tempSessionsDir('bad-day'), { cleanupOnCreate: false });
    for (const day of ['..', '../..', '2026-3-1', '2026-03-10/..', '', 'x2026-03-10']) {
      await assert.rejects(store.listArchivedOn(day), (e: unknown) => hasErrorCode(e, 'EINVALIDDAY'), day);
    }
  });

  test('a day is read once while its folder is unchanged, and again when an entry is added', async () => {
    const dir = tempSessionsDir('cache');
    const [id] = (await archiveOn(dir, [0], 1)).get('2026-03-10') ?? [];
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const first = await store.listArchivedOn('2026-03-10');
    assert.equal(first.sessions[0]?.record.label, 'day 0 #0');
    // Rewriting a record in place leaves the folder's entries (and mtime) as they were: the
    // cached parse is used. Archived records are never rewritten by us; this only shows the cache.
    const file = path.join(dir, 'archive', '2026-03-10', `${id}.json`);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('day 0 #0', 'edited'));
    assert.equal((await store.listArchivedOn('2026-03-10')).sessions[0]?.record.label, 'day 0 #0');
    // A new store has no cache: it reads the file as it is now.
    assert.equal((await new SessionStore(dir).listArchivedOn('2026-03-10')).sessions[0]?.record.label, 'edited');
    // Another session archived that day: the folder changed, the day is read again.
    await archiveOn(dir, [0], 1);
    const again = await store.listArchivedOn('2026-03-10');
    assert.equal(again.sessions.length, 2);
    assert.ok(again.sessions.some((s) => s.record.label === 'edited'));
  });

  test('list({ includeArchived }) is the live sessions followed by every day of the archive', async () => {
    const dir = tempSessionsDir('union');
    await archiveOn(dir, [0, -1, -2], 2);
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const live = await store.create({ label: 'live' });
    const all = await store.list({ includeArchived: true });
    const days = await store.listArchiveDays();
    const perDay = (await Promise.all(days.map((d) => store.listArchivedOn(d)))).flatMap((r) => r.sessions);
    assert.deepEqual(
      all.map((s) => s.record.id),
      [live.id, ...perDay.map((s) => s.record.id)],
    );
    assert.deepEqual((await store.list()).map((s) => s.record.id), [live.id]);
    await store.close(live.id);
  });
});
