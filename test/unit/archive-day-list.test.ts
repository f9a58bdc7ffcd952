// The archive's day names kept between listings (src/core/store/archive-day-list.ts): read again
// exactly when the archive directory may have changed. Real folders; the changes come from this
// process, from the real CLI in another process, and from renames. Each case first makes the
// archive directory "settled" (timestamps set 1 h back) and checks that a second listing came from
// memory, so the change that follows is seen through the kept names, not by chance.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SessionStore } from '../../src/core/session-store';
import { ARCHIVE_LIST_RACY_MS, ArchiveDayList, isSettled } from '../../src/core/store/archive-day-list';
import { cleanupTracked, cli, tempSessionsDir } from '../helpers/processes';

afterEach(cleanupTracked);

const DAY_MS = 86_400_000;
const today = (): string => new Date().toISOString().slice(0, 10);
const dayBefore = (n: number): string => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

/** A sessions folder whose archive holds the given (empty) day folders. */
function archiveWith(days: string[]): { dir: string; archive: string } {
  const dir = tempSessionsDir('day-list');
  const archive = path.join(dir, 'archive');
  fs.mkdirSync(archive, { recursive: true, mode: 0o700 });
  for (const d of days) fs.mkdirSync(path.join(archive, d), { mode: 0o700 });
  return { dir, archive };
}

/** An hour before the tests started: every "aged" directory gets exactly this mtime. */
const PAST = new Date(Date.now() - 3_600_000);

/** Sets the archive directory's mtime to PAST (its ctime becomes now: see listAhead). */
function ageDirectory(archive: string): void {
  fs.utimesSync(archive, PAST, PAST);
}

/** A list whose clock runs `ahead` ms in the future, so a ctime set just now already counts as settled. */
function listAhead(ahead = ARCHIVE_LIST_RACY_MS + 1000): ArchiveDayList {
  return new ArchiveDayList(() => Date.now() + ahead);
}

/** Lists twice; asserts the second came from memory (no new read) and returns the names. */
async function settledList(list: ArchiveDayList, dir: string): Promise<string[]> {
  const first = await list.days(dir);
  const reads = list.reads;
  assert.deepEqual(await list.days(dir), first);
  assert.equal(list.reads, reads, 'the second listing of an unchanged, settled archive is not read again');
  return first;
}

describe('archive day list: kept while unchanged, read again when changed', () => {
  test('a day added by this process (archiving) shows at once; the names come from memory only while nothing changed', async () => {
    const { dir, archive } = archiveWith([dayBefore(3), dayBefore(2)]);
    ageDirectory(archive);
    const list = listAhead();
    assert.deepEqual(await settledList(list, dir), [dayBefore(2), dayBefore(3)]);
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'to archive' });
    await store.close(r.id);
    await store.archive(r.id);
    assert.deepEqual(await list.days(dir), [today(), dayBefore(2), dayBefore(3)]);
    assert.equal(list.reads, 2);
  });

  test('a day removed by retention (this process) disappears', async () => {
    const { dir, archive } = archiveWith([dayBefore(400), dayBefore(1)]);
    ageDirectory(archive);
    const list = listAhead();
    assert.deepEqual(await settledList(list, dir), [dayBefore(1), dayBefore(400)]);
    const pruned = await new SessionStore(dir, { cleanupOnCreate: false }).pruneArchive(30);
    assert.deepEqual(pruned.map((p) => p.day), [dayBefore(400)]);
    assert.deepEqual(await list.days(dir), [dayBefore(1)]);
  });

  test('another process archiving (the real CLI) adds today; its retention removes old days', async () => {
    const { dir, archive } = archiveWith([dayBefore(100), dayBefore(5)]);
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'archived by another process' });
    await store.close(r.id);
    ageDirectory(archive);
    const list = listAhead();
    assert.deepEqual(await settledList(list, dir), [dayBefore(5), dayBefore(100)]);
    const archived = await cli(['archive', r.id, '--dir', dir]);
    assert.equal(archived.code, 0, archived.stderr);
    assert.deepEqual(await list.days(dir), [today(), dayBefore(5), dayBefore(100)]);
    ageDirectory(archive);
    await settledList(list, dir);
    const pruned = await cli(['archive', '--prune-older-than', '30', '--dir', dir]);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(await list.days(dir), [today(), dayBefore(5)]);
  });

  test('a day folder replaced by a rename: by a file (no longer a day), by a symbolic link (not followed), by another folder', async () => {
    const { dir, archive } = archiveWith([dayBefore(3), dayBefore(2), dayBefore(1)]);
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const list = listAhead();
    const replace = async (day: string, make: (tmp: string) => void): Promise<string[]> => {
      ageDirectory(archive);
      await settledList(list, dir);
      const tmp = path.join(archive, '.replacement');
      make(tmp);
      fs.rmSync(path.join(archive, day), { recursive: true });
      fs.renameSync(tmp, path.join(archive, day));
      // Put the mtime back to the very value it had: the ctime (which no one can set) still tells.
      ageDirectory(archive);
      return list.days(dir);
    };
    assert.deepEqual(await replace(dayBefore(2), (tmp) => fs.writeFileSync(tmp, 'not a folder')), [dayBefore(1), dayBefore(3)]);
    assert.deepEqual(await replace(dayBefore(1), (tmp) => fs.symlinkSync(elsewhere, tmp)), [dayBefore(3)]);
    assert.deepEqual(await replace(dayBefore(2), (tmp) => fs.mkdirSync(tmp)), [dayBefore(2), dayBefore(3)]);
  });

  test('the archive directory itself replaced or removed', async () => {
    const { dir, archive } = archiveWith([dayBefore(2)]);
    ageDirectory(archive);
    const list = listAhead();
    await settledList(list, dir);
    const other = path.join(dir, 'other-archive');
    fs.mkdirSync(path.join(other, dayBefore(7)), { recursive: true });
    fs.rmSync(archive, { recursive: true });
    fs.renameSync(other, archive);
    ageDirectory(archive);
    assert.deepEqual(await list.days(dir), [dayBefore(7)]);
    fs.rmSync(archive, { recursive: true });
    assert.deepEqual(await list.days(dir), []);
  });

  test('a directory changed within ARCHIVE_LIST_RACY_MS is read again at every listing (the racy rule)', async () => {
    const { dir } = archiveWith([dayBefore(2)]);
    // The real clock: the folder was just made, so its timestamps are young.
    const list = new ArchiveDayList();
    await list.days(dir);
    await list.days(dir);
    await list.days(dir);
    assert.equal(list.reads, 3);
  });

  test('isSettled: both timestamps strictly older than the racy window; a future timestamp is not settled', () => {
    const at = 1_800_000_000_000;
    const st = (mtimeMs: number, ctimeMs: number) => ({ mtimeMs: BigInt(mtimeMs), ctimeMs: BigInt(ctimeMs) });
    assert.equal(isSettled(st(at - ARCHIVE_LIST_RACY_MS - 1, at - 60_000), at), true);
    assert.equal(isSettled(st(at - ARCHIVE_LIST_RACY_MS, at - 60_000), at), false);
    assert.equal(isSettled(st(at - 60_000, at - 10), at), false);
    assert.equal(isSettled(st(at + 5_000, at - 60_000), at), false);
  });

  test('SessionStore.listArchiveDays sees another process’s archiving at once', async () => {
    const { dir } = archiveWith([]);
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'x' });
    await store.close(r.id);
    assert.deepEqual(await store.listArchiveDays(), []);
    const archived = await cli(['archive', r.id, '--dir', dir]);
    assert.equal(archived.code, 0, archived.stderr);
    assert.deepEqual(await store.listArchiveDays(), [today()]);
  });
});
