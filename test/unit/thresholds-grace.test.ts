// One rule for every reader (thresholds come from the session's own record), and crashes that
// stay visible for a grace period before the automatic cleanup archives them (issue 9, item 6).
// The CLI runs as a real process (out/src/cli/main.js).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_STALE_GRACE_MS, dueForCleanup, needsStaleMark } from '../../src/core/liveness';
import type { SessionRecord } from '../../src/core/session-record';
import { SessionStore, type ArchiveResult, type StoreOptions } from '../../src/core/session-store';
import { cleanupTracked, cli, killed, liveChild, tempSessionsDir } from '../helpers/processes';


afterEach(cleanupTracked);

const tempDir = (): string => tempSessionsDir('grace');

/** Rewrites a record as its owner would have left it `ms` ago (a session silent since then). */
function silentFor(dir: string, id: string, ms: number): void {
  const file = path.join(dir, `${id}.json`);
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as SessionRecord;
  fs.writeFileSync(file, JSON.stringify({ ...r, heartbeatAt: new Date(Date.now() - ms).toISOString() }));
}

interface Listed {
  id: string;
  state: string;
  reason: string;
  unresponsiveAfterMs: number;
  expireAfterMs: number;
  bootId: string | null;
  processStartTicks: number | null;
}

async function cliState(dir: string, id: string): Promise<Listed> {
  const r = await cli(['list', '--json', '--dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const found = (JSON.parse(r.stdout) as Listed[]).find((s) => s.id === id);
  assert.ok(found, `session ${id} listed`);
  return found;
}

/** The store as the extension builds it from its default settings (src/ui/store-factory.ts). */
const extensionDefaults: StoreOptions = { heartbeatIntervalMs: 10_000, unresponsiveAfterMs: 30_000, expireAfterMs: 24 * 3600_000, staleGraceMs: 10 * 60_000, tool: 'vscode', cleanupOnCreate: false };

describe('thresholds come from the record: the CLI and the extension\u2019s store agree', () => {
  test('registered with --interval 2000 and silent for 8 s: unresponsive in `list` and in the extension\u2019s store', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const reg = await cli(['register', '--dir', dir, '--pid', String(child.pid), '--interval', '2000', '--label', 'fast']);
    assert.equal(reg.code, 0, reg.stderr);
    const id = reg.stdout.trim();
    silentFor(dir, id, 8000);
    const fromCli = await cliState(dir, id);
    assert.equal(fromCli.state, 'unresponsive', fromCli.reason);
    assert.equal(fromCli.unresponsiveAfterMs, 6000, '3 x its own 2 s interval');
    // The extension's own sessions get 30 s written into their records; that never changes how it judges others.
    const fromExtension = (await new SessionStore(dir, extensionDefaults).list()).find((s) => s.record.id === id);
    assert.equal(fromExtension?.state, 'unresponsive', fromExtension?.reason);
    assert.equal(fromExtension?.reason, fromCli.reason);
  });

  test('--unresponsive-after and --expire-after are written into the record and every reader honours them', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const reg = await cli(['register', '--dir', dir, '--pid', String(child.pid), '--interval', '2000', '--unresponsive-after', '60000', '--expire-after', '120000']);
    assert.equal(reg.code, 0, reg.stderr);
    const id = reg.stdout.trim();
    const record = JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8')) as SessionRecord;
    assert.deepEqual([record.unresponsiveAfterMs, record.expireAfterMs], [60_000, 120_000]);
    const listed = await cliState(dir, id);
    assert.deepEqual(
      [listed.unresponsiveAfterMs, listed.expireAfterMs, listed.bootId, listed.processStartTicks],
      [60_000, 120_000, record.bootId ?? null, record.processStartTicks ?? null],
      'list --json shows the thresholds and PID-space fields',
    );
    const readers = [(): Promise<string> => cliState(dir, id).then((s) => s.state), async () => (await new SessionStore(dir, extensionDefaults).list())[0]?.state ?? 'missing'];
    // Its process is alive and the same: past the expiry it is still only unresponsive.
    for (const [silentMs, expected] of [[8000, 'active'], [61_000, 'unresponsive'], [121_000, 'unresponsive']] as const) {
      silentFor(dir, id, silentMs);
      for (const read of readers) assert.equal(await read(), expected, `silent ${silentMs} ms`);
    }
    // Where the process cannot be checked (another host), the record's expiry decides.
    const file = path.join(dir, `${id}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...record, hostname: 'elsewhere' }));
    for (const [silentMs, expected] of [[61_000, 'unresponsive'], [119_000, 'unresponsive'], [121_000, 'stale']] as const) {
      silentFor(dir, id, silentMs);
      for (const read of readers) assert.equal(await read(), expected, `other host, silent ${silentMs} ms`);
    }
  });

  test('out-of-range thresholds are usage errors, and nothing is registered', async () => {
    const dir = tempDir();
    for (const args of [['--unresponsive-after', '99'], ['--expire-after', 'soon'], ['--grace', '1.5'], ['--unresponsive-after', String(400 * 24 * 3600_000)]]) {
      const r = await cli(['register', '--dir', dir, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^session-keeper: register: ${args[0]} must be an integer from`));
    }
    assert.equal(fs.existsSync(dir), false);
  });

  test('a heartbeat can change the owner\u2019s interval and thresholds in the same write', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir, { cleanupOnCreate: false, unresponsiveAfterMs: 30_000 });
    const r = await store.create({ label: 'window' });
    assert.equal(r.unresponsiveAfterMs, 30_000);
    const changed = await store.heartbeat(r.id, { heartbeatIntervalMs: 60_000, unresponsiveAfterMs: null, expireAfterMs: 3600_000 });
    assert.deepEqual([changed.heartbeatIntervalMs, changed.unresponsiveAfterMs, changed.expireAfterMs], [60_000, null, 3600_000]);
    silentFor(dir, r.id, 150_000);
    assert.equal((await store.list())[0]?.state, 'active', 'null threshold: 3 x the new 60 s interval');
    await assert.rejects(store.heartbeat(r.id, { unresponsiveAfterMs: 5 }), RangeError);
  });
});

describe('stale grace period: a crash stays visible before the automatic cleanup archives it', () => {
  test('a just-died session survives the cleanup after create, is archived after the grace, and explicit archive ignores it', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const reported: ArchiveResult[][] = [];
    const store = new SessionStore(dir, { onCleanupAfterCreate: (a) => reported.push(a) });
    const crashed = await store.create({ label: 'crashed', pid: child.pid });
    await killed(child);
    await store.create({ label: 'next' }); // starts the opportunistic cleanup
    await store.idle();
    const listed = (await store.list()).find((s) => s.record.id === crashed.id);
    assert.equal(listed?.state, 'stale', 'still there, visible as stale');
    assert.equal(reported.length, 0, 'nothing archived, nothing reported');
    // Past the grace (measured from its last heartbeat): the next automatic cleanup takes it and says so.
    const later = new SessionStore(dir, { now: () => Date.now() + DEFAULT_STALE_GRACE_MS + 1000, onCleanupAfterCreate: (a) => reported.push(a) });
    await later.create({ label: 'much later' });
    await later.idle();
    assert.deepEqual(reported.flat().map((a) => [a.id, a.state, a.label, a.reason]), [[crashed.id, 'stale', 'crashed', `process ${child.pid} is gone`]]);
    assert.equal(fs.existsSync(path.join(dir, `${crashed.id}.json`)), false);
  });

  test('explicit archive of one session and `archive --stale` ignore the grace', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const child = await liveChild();
      ids.push((await store.create({ label: `c${i}`, pid: child.pid })).id);
      await killed(child);
    }
    assert.deepEqual(await store.cleanup(), [], 'the default cleanup keeps both for now');
    assert.equal((await store.archive(ids[0] as string)).state, 'stale');
    const r = await cli(['archive', '--stale', '--json', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as ArchiveResult[]).map((a) => a.id), [ids[1]]);
  });

  test('register prints each automatically archived session on stderr; --grace sets the grace of its cleanup', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const holder = await liveChild();
    const crashed = await new SessionStore(dir, { cleanupOnCreate: false }).create({ label: 'crashed job', pid: child.pid });
    await killed(child);
    const first = await cli(['register', '--dir', dir, '--pid', String(holder.pid)]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '', 'within the default grace: nothing archived, nothing said');
    const second = await cli(['register', '--dir', dir, '--pid', String(holder.pid), '--grace', '0']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, `session-keeper: cleanup archived ${crashed.id} (crashed job; stale: process ${child.pid} is gone)\n`);
    assert.match(second.stdout, /^[0-9a-f-]{36}\n$/, 'stdout still holds only the new id');
  });

  test('run honours --grace too, and closed sessions need no grace', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const closed = await store.create({ label: 'done' });
    await store.close(closed.id);
    const child = await liveChild();
    const crashed = await store.create({ label: 'crashed', pid: child.pid });
    await killed(child);
    const kept = await cli(['run', '--dir', dir, '--', process.execPath, '-e', '0']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stderr, new RegExp(`^session-keeper: cleanup archived ${closed.id} \\(done; closed: closed \\d+ s ago\\)\\n$`));
    const gone = await cli(['run', '--dir', dir, '--grace', '0', '--', process.execPath, '-e', '0']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stderr, new RegExp(`cleanup archived ${crashed.id} \\(crashed; stale: process ${child.pid} is gone\\)`));
  });

  test('sweep: a stale session is due exactly when staleSince is more than the grace ago; unmarked ones only at grace 0; closed always, others never', () => {
    const now = Date.parse('2025-03-01T12:00:00.000Z');
    // The last heartbeat is irrelevant to the grace: a day old here.
    const marked = (offset: number | null): SessionRecord =>
      ({ heartbeatAt: new Date(now - 86_400_000).toISOString(), ...(offset === null ? {} : { staleSince: new Date(now + offset).toISOString() }) }) as SessionRecord;
    for (const grace of [0, 1000, DEFAULT_STALE_GRACE_MS]) {
      for (const offset of [-grace - 1, -grace, -1, 0, 1, grace, grace + 1, -86_400_000, 86_400_000, null]) {
        const due = grace === 0 || (offset !== null && -offset > grace);
        assert.equal(dueForCleanup('stale', marked(offset), now, grace), due, `grace ${grace}, staleSince at ${offset}`);
        assert.equal(needsStaleMark('stale', marked(offset), now), offset === null || offset > 0, `mark: staleSince at ${offset}`);
        for (const state of ['unresponsive', 'active'] as const) {
          assert.equal(dueForCleanup(state, marked(offset), now, grace), false);
          assert.equal(needsStaleMark(state, marked(offset), now), false);
        }
        assert.equal(dueForCleanup('closed', marked(offset), now, grace), true);
      }
    }
  });
});
