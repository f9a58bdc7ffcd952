// lock-directory.ts (under lock.ts) reaches into proper-lockfile's internal modules (lib/lockfile's table of held locks,
// lib/adapter's synchronous fs, lib/mtime-precision), which no semver promise covers. The
// dependency is pinned to one exact version; this test states every internal that lock.ts relies
// on, so an upgrade that changes one of them fails here, loudly, before it fails in the field.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupTracked, tempDir } from '../helpers/processes';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface HeldLockState {
  mtime: unknown;
  lastUpdate: unknown;
  mtimePrecision: unknown;
  updateTimeout: unknown;
  released?: unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the internal modules under test */
const lib = require('proper-lockfile/lib/lockfile') as {
  lock(file: string, options: object, cb: (err: Error | null, release?: Release) => void): void;
  getLocks(): Record<string, HeldLockState | undefined>;
};
const adapter = require('proper-lockfile/lib/adapter') as { toSyncOptions(o: object): { fs: object } };
const mtimePrecision = require('proper-lockfile/lib/mtime-precision') as { getMtime(precision: 's' | 'ms'): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

/** The release function lib.lock hands its callback. */
type Release = (cb: (err?: Error | null) => void) => void;

/** lib.lock as a promise of its release function. */
function lock(file: string, options: object): Promise<Release> {
  return new Promise((resolve, reject) => lib.lock(file, options, (err, rel) => (err || !rel ? reject(err ?? new Error('no release function')) : resolve(rel))));
}

/** Calls a release function; resolves once it has released, rejects with its error. */
function released(release: Release): Promise<void> {
  return new Promise((resolve, reject) => release((err) => (err ? reject(err) : resolve())));
}

afterEach(cleanupTracked);

describe('proper-lockfile internals that lock.ts relies on', () => {
  test('package.json pins the exact version that is installed', () => {
    const pinned = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies['proper-lockfile'];
    assert.match(pinned ?? '', /^\d+\.\d+\.\d+$/, `proper-lockfile must be pinned to an exact version, not ${pinned}`);
    const installed = (JSON.parse(fs.readFileSync(require.resolve('proper-lockfile/package.json'), 'utf8')) as { version: string }).version;
    assert.equal(installed, pinned);
  });

  test('lib/lockfile locks with the synchronous adapter and keeps a table entry with mtime, lastUpdate, precision and timer', async () => {
    const dir = tempDir('pl-contract');
    const file = path.join(dir, 'x.jsonl');
    const syncFs = adapter.toSyncOptions({}).fs;
    assert.equal(typeof (syncFs as { mkdir?: unknown }).mkdir, 'function');
    const release = await lock(file, { stale: 10_000, update: 5_000, realpath: false, retries: 0, fs: syncFs, onCompromised: () => undefined });
    const state = lib.getLocks()[file];
    assert.ok(state, 'getLocks() is keyed by the path given to lock()');
    assert.ok(state.mtime instanceof Date);
    assert.equal(fs.statSync(`${file}.lock`).mtime.getTime(), state.mtime.getTime(), 'the table holds the mtime it set');
    assert.equal(typeof state.lastUpdate, 'number');
    assert.ok(state.mtimePrecision === 's' || state.mtimePrecision === 'ms');
    assert.ok(state.updateTimeout !== undefined, 'the refresh timer is in the table');
    await released(release);
    assert.equal(lib.getLocks()[file], undefined, 'release removes the table entry');
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  test('release marks the table entry released; the table is the live object (detach deletes from it)', async () => {
    const dir = tempDir('pl-contract');
    const file = path.join(dir, 'x.jsonl');
    const syncFs = adapter.toSyncOptions({}).fs;
    const options = { stale: 10_000, update: 5_000, realpath: false, retries: 0, fs: syncFs, onCompromised: () => undefined };
    const lockOnce = (): Promise<Release> => lock(file, options);
    // assertHeld() refuses a lease whose state says released.
    const release = await lockOnce();
    const state = lib.getLocks()[file];
    assert.ok(state);
    await released(release);
    assert.equal(state.released, true, 'release sets released on the state object lock.ts holds');

    // detach(): clear the timer, mark released, delete from the table getLocks() returns.
    await lockOnce();
    const second = lib.getLocks()[file];
    assert.ok(second);
    clearTimeout(second.updateTimeout as ReturnType<typeof setTimeout>);
    second.released = true;
    delete lib.getLocks()[file];
    assert.equal(lib.getLocks()[file], undefined, 'getLocks() returns the table itself, not a copy');
    // The directory is left alone (it is not ours any more); a later lock after its removal works.
    assert.equal(fs.existsSync(`${file}.lock`), true);
    fs.rmdirSync(`${file}.lock`);
    const third = await lockOnce();
    await released(third);
  });

  test('the refresher with the synchronous adapter updates mtime and lastUpdate in the table, and reports a removed lock to onCompromised', async () => {
    const dir = tempDir('pl-contract');
    const file = path.join(dir, 'x.jsonl');
    let compromised: (Error & { code?: string }) | null = null;
    const options = {
      stale: 10_000,
      update: 1_000, // proper-lockfile's minimum
      realpath: false,
      retries: 0,
      fs: adapter.toSyncOptions({}).fs,
      onCompromised: (err: Error) => {
        compromised = err;
      },
    };
    const release = await lock(file, options);
    const state = lib.getLocks()[file];
    assert.ok(state);
    const firstUpdate = state.lastUpdate as number;
    const deadline = Date.now() + 10_000;
    while (state.lastUpdate === firstUpdate && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok((state.lastUpdate as number) > firstUpdate, 'the refresher ran');
    // verifyAndRelease and assertHeld compare the directory's mtime with state.mtime.
    assert.equal(fs.statSync(`${file}.lock`).mtime.getTime(), (state.mtime as Date).getTime());

    fs.rmdirSync(`${file}.lock`);
    while (compromised === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(compromised, 'onCompromised was called for a removed lock');
    assert.equal((compromised as Error & { code?: string }).code, 'ECOMPROMISED');
    assert.equal(state.released, true);
    assert.equal(lib.getLocks()[file], undefined);
    void release; // never called: the compromise released the lock already
  });

  test('lib/mtime-precision gives a Date for both precisions', () => {
    assert.ok(mtimePrecision.getMtime('s') instanceof Date);
    assert.ok(mtimePrecision.getMtime('ms') instanceof Date);
  });
});
