// The archive at scale from the outside: opt-in retention (store and `archive --prune-older-than`)
// and `list --all` streamed day by day. Real files, the real CLI as a process.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SessionStore } from '../../src/core/session-store';
import { cleanupTracked, cli, tempSessionsDir, trackDir } from '../helpers/processes';

afterEach(cleanupTracked);

const DAY_MS = 86_400_000;

/** Archives one closed session of this process `daysAgo` days before `now` (epoch ms); returns its archive day. */
async function archivedDaysAgo(dir: string, daysAgo: number, now = Date.now()): Promise<string> {
  const s = new SessionStore(dir, { now: () => now - daysAgo * DAY_MS, cleanupOnCreate: false });
  const r = await s.create({ label: `${daysAgo} days ago` });
  await s.close(r.id);
  return (await s.archive(r.id)).archivedOn;
}

describe('archive retention', () => {
  test('pruneArchive deletes the days before today − N, keeps that day and later ones, live records and symlinked days', async () => {
    const dir = tempSessionsDir('prune');
    const now = Date.UTC(2026, 2, 10, 12);
    for (const ago of [0, 29, 30, 31, 400]) await archivedDaysAgo(dir, ago, now);
    const store = new SessionStore(dir, { now: () => now, cleanupOnCreate: false });
    const live = await store.create({ label: 'live' });
    // A folder elsewhere, linked in under a day's name: not ours to delete.
    const elsewhere = trackDir(fs.mkdtempSync(path.join(path.dirname(dir), 'elsewhere-')));
    fs.writeFileSync(path.join(elsewhere, 'keep.txt'), 'x');
    fs.symlinkSync(elsewhere, path.join(dir, 'archive', '2020-01-01'));

    const pruned = await store.pruneArchive(30);
    assert.deepEqual(pruned.map((p) => [p.day, p.files]), [['2026-02-07', 2], ['2025-02-03', 2]]);
    assert.deepEqual(await store.listArchiveDays(), ['2026-03-10', '2026-02-09', '2026-02-08']);
    assert.ok(fs.existsSync(path.join(elsewhere, 'keep.txt')));
    assert.ok(fs.lstatSync(path.join(dir, 'archive', '2020-01-01')).isSymbolicLink());
    assert.deepEqual((await store.list()).map((s) => s.record.id), [live.id]);
    assert.deepEqual(await store.pruneArchive(30), [], 'nothing left to prune');
    await store.close(live.id);
  });

  test('pruneArchive refuses anything but whole days from 1', async () => {
    const store = new SessionStore(tempSessionsDir('prune-bad'), { cleanupOnCreate: false });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 365_001]) {
      await assert.rejects(store.pruneArchive(bad), RangeError, String(bad));
    }
  });

  test('the cleanup prunes only when archiveRetentionDays is set', async () => {
    const dir = tempSessionsDir('prune-cleanup');
    const old = await archivedDaysAgo(dir, 10);
    await new SessionStore(dir, { cleanupOnCreate: false }).cleanup();
    assert.deepEqual(await new SessionStore(dir).listArchiveDays(), [old], 'no retention: nothing deleted');
    await new SessionStore(dir, { cleanupOnCreate: false, archiveRetentionDays: 20 }).cleanup();
    assert.deepEqual(await new SessionStore(dir).listArchiveDays(), [old]);
    await new SessionStore(dir, { cleanupOnCreate: false, archiveRetentionDays: 5 }).cleanup();
    assert.deepEqual(await new SessionStore(dir).listArchiveDays(), []);
  });

  test('CLI: archive --prune-older-than deletes old days (JSON and text); bad values are usage errors', async () => {
    const dir = tempSessionsDir('prune-cli');
    const recent = await archivedDaysAgo(dir, 1);
    const old = await archivedDaysAgo(dir, 50);
    const json = await cli(['archive', '--prune-older-than', '30', '--json', '--dir', dir]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { pruned: [{ day: old, dir: path.join(dir, 'archive', old), files: 2 }] });
    const text = await cli(['archive', '--prune-older-than', '30', '--dir', dir]);
    assert.equal(text.stdout, 'no archive days older than 30 days\n');
    assert.deepEqual(await new SessionStore(dir).listArchiveDays(), [recent]);
    const both = await cli(['archive', '--stale', '--prune-older-than', '1', '--json', '--dir', dir]);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(Object.keys(JSON.parse(both.stdout) as object), ['archived', 'pruned']);
    for (const bad of ['0', '-3', '1.5', 'abc', '']) {
      const r = await cli(['archive', '--prune-older-than', bad, '--dir', dir]);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--prune-older-than expects whole days/);
    }
  });

  test('CLI: list --all streams one valid JSON document (the bytes JSON.stringify gives), live first then day by day', async () => {
    const dir = tempSessionsDir('list-all');
    const empty = await cli(['list', '--all', '--json', '--dir', dir]);
    assert.equal(empty.stdout, '[]\n');
    for (const ago of [0, 1, 1, 3]) await archivedDaysAgo(dir, ago);
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const live = await store.create({ label: 'live' });
    const r = await cli(['list', '--all', '--json', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout) as Array<{ id: string; archivedOn: string | null }>;
    assert.equal(r.stdout, `${JSON.stringify(parsed, null, 2)}\n`);
    const days = await store.listArchiveDays();
    const expected = [live.id];
    for (const d of days) expected.push(...(await store.listArchivedOn(d)).sessions.map((s) => s.record.id));
    assert.deepEqual(parsed.map((s) => s.id), expected);
    assert.deepEqual(parsed.map((s) => s.archivedOn), [null, days[0], days[1], days[1], days[2]]);
    const table = await cli(['list', '--all', '--dir', dir]);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+STATE\s+PID\s+HOST\s+HEARTBEAT\s+ARCHIVED\s+LABEL$/);
    assert.equal(lines.length, 1 + expected.length);
    // Fixed widths: every row's ARCHIVED column starts where the header's does.
    const at = (lines[0] ?? '').indexOf('ARCHIVED');
    assert.ok(lines.slice(2).every((l) => /^\d{4}-\d{2}-\d{2}/.test(l.slice(at))), table.stdout);
    await store.close(live.id);
  });
});
